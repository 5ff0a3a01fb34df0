// Validators of a file (RFC 9110 §8.8) and the conditional requests that use them: If-None-Match and
// If-Modified-Since for 304 (§13.1.2, §13.1.3), If-Range for Range (§13.1.5).
import type { Stats } from 'node:fs';

/** A strong ETag from size and modification time, marked with the content coding of the representation. */
export function etagOf(stat: Stats, encoding: string | undefined): string {
  const tag = `${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}`;
  return `"${encoding === undefined ? tag : `${tag}-${encoding}`}"`;
}

/** Last-Modified: an HTTP-date, whole seconds. */
export function lastModifiedOf(stat: Stats): string {
  return stat.mtime.toUTCString();
}

/**
 * Whether a GET or HEAD may be answered 304. If-None-Match decides when present (weak comparison,
 * `*` matches any); only without it is If-Modified-Since read (§13.2.2).
 */
export function isNotModified(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined, etag: string, stat: Stats): boolean {
  if (ifNoneMatch !== undefined) {
    const wanted = opaque(etag);
    return ifNoneMatch.split(',').some((tag) => {
      const trimmed = tag.trim();
      return trimmed === '*' || opaque(trimmed) === wanted;
    });
  }
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // An invalid date is ignored (§13.1.3); HTTP dates have whole seconds, mtimes do not.
  return !Number.isNaN(since) && Math.floor(stat.mtimeMs / 1000) * 1000 <= since;
}

/** Whether a Range applies under If-Range: it names the current ETag (strongly) or Last-Modified exactly. */
export function rangeStillValid(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  const given = ifRange.trim();
  if (given.startsWith('"')) return given === etag;
  return given === lastModified;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}
