// The upgrade request's headers, kept for `ws.headers` in one flat string until a handler reads
// them. Node's headers object costs a hidden-class slot per header, a property array and one
// string per value, for every idle connection; one string of `name\nvalue\n...` costs a third of that.
import type { IncomingHttpHeaders } from 'node:http';

/** Headers as one string, or the object itself when a value cannot be packed (an array, a line feed). */
export type PackedHeaders = IncomingHttpHeaders | string;

const SEPARATOR = '\n';

export function packHeaders(headers: IncomingHttpHeaders): PackedHeaders {
  const parts: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    // set-cookie (an array) is rare in a request; a value with a line feed cannot come from the
    // parser, but the object may have been changed since: keep such headers as they are.
    if (typeof value !== 'string' || value.includes(SEPARATOR)) return headers;
    parts.push(name, value);
  }
  return parts.join(SEPARATOR);
}

/** The headers object again: the same names, values and order that packHeaders was given. */
export function unpackHeaders(packed: PackedHeaders): IncomingHttpHeaders {
  if (typeof packed !== 'string') return packed;
  const headers: IncomingHttpHeaders = {};
  if (packed === '') return headers;
  const parts = packed.split(SEPARATOR);
  for (let i = 0; i < parts.length; i += 2) headers[parts[i]] = parts[i + 1];
  return headers;
}
