// The Range request header (RFC 9110 §14.2), one byte range of it: `bytes=a-b`, `bytes=a-`, `bytes=-n`.

/** A byte range to send: first and last byte, inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/** No range can be served from this file: answer 416. */
export const UNSATISFIABLE = 'unsatisfiable';

const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/;

/**
 * The range `header` asks of a file of `size` bytes. undefined means send the whole file: no
 * header, a unit other than bytes, a malformed one (all ignored, §14.2), or several ranges (which
 * a server may answer whole, §14.2, rather than as multipart/byteranges).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | typeof UNSATISFIABLE | undefined {
  if (header === undefined) return undefined;
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return undefined;
  const specs = header.slice(equals + 1);
  if (specs.includes(',')) return undefined;
  const match = SPEC.exec(specs);
  if (match === null) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    // A suffix: the last n bytes (all of them when the file is shorter).
    const length = Number(last);
    if (length === 0 || size === 0) return UNSATISFIABLE;
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return UNSATISFIABLE;
  if (start >= size) return UNSATISFIABLE;
  return { start, end };
}
