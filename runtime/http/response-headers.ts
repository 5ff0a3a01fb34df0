// Turning a handler's headers into the flat [name, value, name, value, …] list res.writeHead() takes
// (Node's fastest form: no per-header setHeader() bookkeeping).
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeader } from 'node:http';
import { describeValue } from '../util/describe-value.ts';

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
    if (typeof given !== 'object') throw new TypeError(`response headers must be an object, got ${describeValue(given)}`);
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
  // The framing is the server's: a handler's Transfer-Encoding would be sent beside a Content-Length.
  if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return false;
  list.push(name, value as OutgoingHttpHeader);
  return false;
}

function isIterable(value: object): value is Iterable<readonly [string, string]> {
  return typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}

/**
 * Checks the list as res.writeHead() would (it throws Node's own errors), for a head written later.
 * Returns the value of its Content-Length (an array if it has several), undefined for none.
 */
export function checkHeaderList(list: HeaderList): unknown {
  let contentLength: unknown;
  for (let i = 0; i < list.length; i += 2) {
    const name = String(list[i]);
    const value = list[i + 1];
    validateHeaderName(name);
    for (const item of Array.isArray(value) ? value : [value]) validateHeaderValue(name, item as string);
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      contentLength = contentLength === undefined ? value : [contentLength, value].flat();
    }
  }
  return contentLength;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
// What fetch() decodes (undici's list; zstd since undici 7.10, the release after it was merged).
const FETCH_DECODES = new Set(['gzip', 'x-gzip', 'deflate', 'br']);
if (undiciAtLeast(7, 10)) FETCH_DECODES.add('zstd');

/**
 * The headers of a Response fetch() returned, as a server may send them on: without the upstream's
 * hop-by-hop headers (RFC 9110 §7.6.1), and, when fetch decoded the body, without the
 * Content-Encoding and Content-Length of the encoded one (the body is then streamed chunked).
 */
export function forwardedHeaders(headers: Headers, hasBody: boolean): [string, string][] {
  const connectionOptions = (headers.get('connection') ?? '').toLowerCase().split(',').map((token) => token.trim());
  const codings = (headers.get('content-encoding') ?? '').toLowerCase().split(',').map((coding) => coding.trim());
  const decoded = hasBody && codings[0] !== '' && codings.every((coding) => FETCH_DECODES.has(coding));
  const kept: [string, string][] = [];
  for (const [name, value] of headers) {
    if (HOP_BY_HOP.has(name) || connectionOptions.includes(name)) continue;
    if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
    kept.push([name, value]);
  }
  return kept;
}

function undiciAtLeast(major: number, minor: number): boolean {
  const [givenMajor = 0, givenMinor = 0] = (process.versions.undici ?? '').split('.').map(Number);
  return givenMajor > major || (givenMajor === major && givenMinor >= minor);
}
