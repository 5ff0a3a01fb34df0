// The upgrade request's headers, kept for `ws.headers` in one flat string until a handler reads
// them. Node's headers object costs a hidden-class slot per header, a property array and one
// string per value, for every idle connection; one string of `name\nvalue\n...` costs a third of that.
import type { IncomingHttpHeaders } from 'node:http';

/** Headers as one string, or the object itself when a value cannot be packed (an array, a line feed). */
export type PackedHeaders = IncomingHttpHeaders | string;

const SEPARATOR = '\n';

/**
 * Names most upgrade requests carry, packed as one control character each (a header name is a
 * token and never holds one): the names are most of the packed string otherwise.
 */
const COMMON_NAMES = [
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'origin',
  'user-agent',
  'cookie',
  'pragma',
  'cache-control',
  'accept-encoding',
  'accept-language',
  'authorization',
  'x-forwarded-for',
];
/** The first code: past the separator (\n), so every code stays a control character other than it. */
const FIRST_CODE = 0x0b;
const CODE_OF_NAME = new Map(COMMON_NAMES.map((name, index) => [name, String.fromCharCode(FIRST_CODE + index)]));

export function packHeaders(headers: IncomingHttpHeaders): PackedHeaders {
  const parts: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    // set-cookie (an array) is rare in a request; a value with a line feed cannot come from the
    // parser, but the object may have been changed since: keep such headers as they are.
    if (typeof value !== 'string' || value.includes(SEPARATOR)) return headers;
    parts.push(CODE_OF_NAME.get(name) ?? name, value);
  }
  return parts.join(SEPARATOR);
}

/** The headers object again: the same names, values and order that packHeaders was given. */
export function unpackHeaders(packed: PackedHeaders): IncomingHttpHeaders {
  if (typeof packed !== 'string') return packed;
  const headers: IncomingHttpHeaders = {};
  if (packed === '') return headers;
  const parts = packed.split(SEPARATOR);
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i];
    const index = name.length === 1 ? name.charCodeAt(0) - FIRST_CODE : -1;
    headers[index >= 0 && index < COMMON_NAMES.length ? COMMON_NAMES[index] : name] = parts[i + 1];
  }
  return headers;
}
