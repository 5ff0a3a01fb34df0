// `http.file(path)`: a file as a handler's response. Turned into an ordinary `{ status, headers, body }`
// result (body: the bytes, or a read stream from disk) once the request is known, with the file's
// type, validators, 304, Range and precompressed siblings decided from the request headers.
//
// The lookups (stat, realpath) and the reads of small bodies are synchronous: a few microseconds
// each on a local disk, where every asynchronous call costs a thread-pool round trip (about 25 µs
// of CPU each on the benchmark machine, 10x the call itself). Large bodies are streamed.
import fs, { type Stats } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { describeValue } from '../../util/describe-value.ts';
import { InvalidResponseError, type ResponseObject } from '../response.ts';
import type { HeaderValue } from '../response-headers.ts';
import { etagOf, isNotModified, lastModifiedOf, rangeStillValid } from './conditional.ts';
import { mimeTypeOf } from './mime.ts';
import { acceptsEncoding, SIBLINGS } from './precompressed.ts';
import { parseRange, UNSATISFIABLE } from './range.ts';
import { isInside } from './safe-path.ts';
import { resolveFromScript } from './script-dir.ts';

/** Options of http.file(). */
export interface FileOptions {
  /** Extra response headers (Cache-Control, …). The file's own (Content-Length, ETag, …) win. */
  headers?: Record<string, string | number | readonly string[]>;
  /** Content-Type instead of the one from the extension. */
  type?: string;
}

/** What http.file() returns: a file to send, resolved per request by {@link answerWithFile}. */
export class FileResponse {
  /** Absolute path of the file. */
  readonly path: string;
  readonly headers: FileOptions['headers'];
  readonly type: string | undefined;

  constructor(file: string, options: FileOptions = {}) {
    this.path = file;
    this.headers = options.headers;
    this.type = options.type;
  }

  /** `{ body: http.file(…) }` would send the path as JSON: refused (a 500 and a line on stderr) instead. */
  toJSON(): never {
    throw new InvalidResponseError('http.file() is a response by itself: return http.file(path), not { body: http.file(path) }');
  }
}

/** `http.file(path, options?)`; a relative path is taken from the script's folder. */
export function file(path: string, options?: FileOptions): FileResponse {
  if (typeof path !== 'string' || path === '') throw new TypeError(`http.file: the path must be a non-empty string, got ${describeValue(path)}`);
  if (path.includes('\0')) throw new TypeError('http.file: the path must not contain NUL bytes');
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`http.file: options must be an object { headers, type }, got ${describeValue(options)}`);
  }
  return new FileResponse(resolveFromScript(path), options);
}

/** The parts of a request that decide how a file is sent. */
export interface FileRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
}

export const NOT_FOUND: ResponseObject = { status: 404, body: 'Not Found' };
const FORBIDDEN: ResponseObject = { status: 403, body: 'Forbidden' };
// Names of the headers the file's answer sets itself; the script's own of these are dropped.
const OWN_HEADERS = new Set(['content-length', 'content-range', 'content-encoding', 'etag', 'last-modified', 'accept-ranges', 'vary']);

/** Bodies up to this size are read whole; larger ones are streamed. */
const WHOLE_READ_LIMIT = 64 * 1024;

/** A representation of the file: itself or a precompressed sibling. */
interface Representation {
  path: string;
  stat: Stats;
  encoding: string | undefined;
}

/** What a static folder already knows of a file it found. */
export interface FolderFile {
  /** The folder's real path: siblings whose real path leaves it are not used. */
  root: string;
  /** The file's stat. */
  stat: Stats;
}

/** The response for `file` to `request`. */
export function answerWithFile(file: FileResponse, request: FileRequest, inFolder?: FolderFile): ResponseObject {
  const base = inFolder?.stat ?? statFile(file.path);
  if (base === undefined) return NOT_FOUND;
  const root = inFolder?.root;
  const siblings = SIBLINGS.map((sibling) => ({ ...sibling, stat: statFile(file.path + sibling.suffix, root) }));
  const present = siblings.filter((sibling) => sibling.stat !== undefined);
  const acceptEncoding = request.headers['accept-encoding'];
  const chosen = present.find((sibling) => acceptsEncoding(acceptEncoding, sibling.encoding));
  const representation: Representation =
    chosen === undefined ? { path: file.path, stat: base, encoding: undefined } : { path: file.path + chosen.suffix, stat: chosen.stat!, encoding: chosen.encoding };

  const { stat, encoding } = representation;
  const etag = etagOf(stat, encoding);
  const lastModified = lastModifiedOf(stat);
  const headers = scriptHeaders(file.headers);
  // Revalidate every time (a 304 while unchanged), so an edited file shows at once; browsers
  // would otherwise cache a file with only a Last-Modified for a share of its age.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'cache-control')) headers['Cache-Control'] = 'no-cache';
  headers.ETag = etag;
  headers['Last-Modified'] = lastModified;
  headers['Accept-Ranges'] = 'bytes';
  if (present.length > 0) headers.Vary = 'Accept-Encoding';
  if (encoding !== undefined) headers['Content-Encoding'] = encoding;
  const type = file.type ?? mimeTypeOf(file.path);

  const { method } = request;
  const readsOnly = method === 'GET' || method === 'HEAD';
  if (readsOnly && isNotModified(header(request, 'if-none-match'), header(request, 'if-modified-since'), etag, stat)) {
    return { status: 304, headers };
  }
  const range = readsOnly && rangeStillValid(header(request, 'if-range'), etag, lastModified) ? parseRange(header(request, 'range'), stat.size) : undefined;
  if (range === UNSATISFIABLE) {
    headers['Content-Range'] = `bytes */${stat.size}`;
    return { status: 416, headers, type: 'text/plain; charset=utf-8', body: 'Range Not Satisfiable' };
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? stat.size - 1;
  headers['Content-Length'] = end - start + 1;
  if (range !== undefined) headers['Content-Range'] = `bytes ${start}-${end}/${stat.size}`;
  const status = range === undefined ? 200 : 206;
  // HEAD and empty files need no file descriptor; a small body is read whole and sent in one
  // write; a larger one is streamed, 64 KiB at a time, only as fast as the socket takes it
  // (body-stream.ts).
  if (method === 'HEAD' || end < start) return { status, headers, type };
  const length = end - start + 1;
  if (length <= WHOLE_READ_LIMIT) {
    try {
      return { status, headers, type, body: readBytes(representation.path, start, length) };
    } catch (error) {
      // Gone or unreadable since its stat.
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'EACCES' || code === 'EPERM' ? FORBIDDEN : NOT_FOUND;
    }
  }
  return { status, headers, type, body: fs.createReadStream(representation.path, { start, end }) };
}

/** The stat of a regular file, or undefined (missing, a directory, or outside `root`). */
function statFile(file: string, root?: string): Stats | undefined {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined || !stat.isFile()) return undefined;
    // Most siblings do not exist: the stat above answers for them in one step.
    if (root !== undefined && !isInside(root, fs.realpathSync.native(file))) return undefined;
    return stat;
  } catch {
    return undefined;
  }
}

/** `length` bytes of a file from `start` (fewer if it shrank since its stat). */
function readBytes(file: string, start: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const read = fs.readSync(fd, bytes, filled, length - filled, start + filled);
      if (read === 0) break;
      filled += read;
    }
    return filled === length ? bytes : bytes.subarray(0, filled);
  } finally {
    fs.closeSync(fd);
  }
}

/** The script's extra headers, without those the file's answer sets itself. */
function scriptHeaders(given: FileOptions['headers']): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = Object.create(null);
  if (given === undefined || given === null) return headers;
  for (const [name, value] of Object.entries(given)) if (!OWN_HEADERS.has(name.toLowerCase())) headers[name] = value;
  return headers;
}

function header(request: FileRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
