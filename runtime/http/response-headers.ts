// Turning a handler's headers into the flat [name, value, name, value, …] list res.writeHead() takes
// (Node's fastest form: no per-header setHeader() bookkeeping).
import type { OutgoingHttpHeader } from 'node:http';

/** A header value; an array sends the header once per element (e.g. several Set-Cookie). */
export type HeaderValue = string | number | readonly string[];

/** Headers a handler may return: a plain object, a WHATWG `Headers`, or `[name, value]` pairs. */
export type HeadersInit = Record<string, HeaderValue | undefined> | Headers | Iterable<readonly [string, string]>;

/** Node's flat header form: names and values alternate. */
export type HeaderList = OutgoingHttpHeader[];

/** How the Content-Length of a response is decided. */
export const KEEP_GIVEN_LENGTH = -1; // length unknown (stream) or set by the handler (HEAD): keep theirs
export const NO_LENGTH = -2; // 204: RFC 9110 §8.6 forbids Content-Length

/**
 * Builds the header list of a response.
 * @param given the handler's headers, if any
 * @param type the handler's `type`, which overrides a Content-Type among `given`
 * @param fallbackType Content-Type for the body kind, used when neither of the above sets one
 * @param contentLength the body size in bytes (replaces a given Content-Length), or
 *   KEEP_GIVEN_LENGTH / NO_LENGTH
 */
export function buildHeaderList(
  given: HeadersInit | undefined,
  type: string | undefined,
  fallbackType: string | undefined,
  contentLength: number,
): HeaderList {
  const list: HeaderList = [];
  let hasType = false;
  if (given != null) {
    if (typeof given !== 'object') throw new TypeError(`response headers must be an object, got ${typeof given}`);
    if (isIterable(given)) {
      for (const pair of given) hasType = addHeader(list, pair[0], pair[1], type, contentLength) || hasType;
    } else {
      for (const name in given) {
        if (Object.hasOwn(given, name)) hasType = addHeader(list, name, given[name], type, contentLength) || hasType;
      }
    }
  }
  const contentType = type ?? (hasType ? undefined : fallbackType);
  if (contentType !== undefined) list.push('Content-Type', contentType);
  if (contentLength >= 0) list.push('Content-Length', contentLength);
  return list;
}

/** Appends one header unless the response sets it itself; says whether it was a Content-Type. */
function addHeader(list: HeaderList, name: string, value: HeaderValue | undefined, type: string | undefined, contentLength: number): boolean {
  if (value === undefined) return false;
  // Only these two names need a look; their lengths spare the lower-casing for every other header.
  if (name.length === 12 && name.toLowerCase() === 'content-type') {
    if (type !== undefined) return false;
    list.push(name, value as OutgoingHttpHeader);
    return true;
  }
  if (name.length === 14 && contentLength !== KEEP_GIVEN_LENGTH && name.toLowerCase() === 'content-length') return false;
  list.push(name, value as OutgoingHttpHeader);
  return false;
}

function isIterable(value: object): value is Iterable<readonly [string, string]> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}
