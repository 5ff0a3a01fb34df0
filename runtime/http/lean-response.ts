// The lean path's response writer for the common results: a plain `{ status, headers, type, body }`
// object whose body is already text, bytes or JSON. It builds the same head node:http would send
// for it (status line, the handler's headers, Content-Type, Content-Length, Date, Connection,
// Keep-Alive) as one string. Everything else (HEAD, 204/304, streams, Blobs, fetch Responses,
// header arrays or the names node:http treats specially) returns undefined: the caller then goes
// through a real ServerResponse, so those keep node:http's exact behaviour.
import { STATUS_CODES } from 'node:http';
import { isStreamBody } from './body-stream.ts';
import { isBinaryData, viewBytes } from '../util/bytes.ts';

/** A response head (without Date, Connection and the closing blank line) and its body. */
export interface SimpleResponse {
  head: string;
  body: string | Uint8Array | undefined;
}

const TEXT = 'text/plain; charset=utf-8';
const BYTES = 'application/octet-stream';
const JSON_TYPE = 'application/json';
const statusLines: string[] = [];
// node:http's checks (_http_common's checkIsHttpToken and checkInvalidHeaderChar): a header that
// fails them is left to the full path, whose writeHead() throws node:http's own error for it.
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * The head and body of `result`, or undefined when it is not one of the simple cases. Throws only
 * what the full path would throw for the same result (JSON.stringify's errors).
 */
export function simpleResponse(result: unknown, method: string): SimpleResponse | undefined {
  if (typeof result !== 'object' || result === null || Object.getPrototypeOf(result) !== Object.prototype || method === 'HEAD') return undefined;
  const { status = 200, headers, type, body } = result as { status?: unknown; headers?: unknown; type?: unknown; body?: unknown };
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 304) return undefined;
  if (type !== undefined && typeof type !== 'string') return undefined;
  if (headers != null && (typeof headers !== 'object' || !isPlainObject(headers))) return undefined;

  let payload: string | Uint8Array | undefined;
  let fallbackType: string | undefined;
  let length: number;
  if (typeof body === 'string') {
    payload = body;
    fallbackType = TEXT;
    length = Buffer.byteLength(body);
  } else if (body === undefined || body === null) {
    length = 0;
  } else if (isBinaryData(body)) {
    payload = viewBytes(body);
    fallbackType = BYTES;
    length = payload.byteLength;
  } else if (typeof body === 'object' && !(body instanceof Blob) && !isStreamBody(body)) {
    payload = JSON.stringify(body);
    if (payload === undefined) return undefined;
    fallbackType = JSON_TYPE;
    length = Buffer.byteLength(payload);
  } else {
    return undefined;
  }

  let head = (statusLines[status] ??= `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`);
  // The handler's headers as buildHeaderList() takes them (Content-Length and Transfer-Encoding are
  // the server's; `type` overrides a Content-Type), checked as node:http's writeHead() checks them.
  let hasType = false;
  if (headers != null) {
    const given = headers as Record<string, unknown>;
    for (const name in given) {
      if (!Object.hasOwn(given, name)) continue;
      const value = given[name];
      if (value === undefined) continue;
      switch (name.length) {
        case 12:
          if (name.toLowerCase() === 'content-type') {
            if (type !== undefined) continue;
            hasType = true;
          }
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') continue;
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') continue;
          break;
        default:
          if (handledByNode(name)) return undefined;
      }
      if (typeof value === 'string') {
        if (INVALID_VALUE.test(value)) return undefined;
      } else if (typeof value !== 'number') {
        return undefined;
      }
      if (!TOKEN.test(name)) return undefined;
      head += name + ': ' + value + '\r\n';
    }
  }
  const contentType = type ?? (hasType ? undefined : fallbackType);
  if (contentType !== undefined) {
    if (INVALID_VALUE.test(contentType)) return undefined;
    head += 'Content-Type: ' + contentType + '\r\n';
  }
  return { head: head + 'Content-Length: ' + length + '\r\n', body: payload };
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Names whose presence changes what node:http adds to the head (_storeHeader's matchHeader). */
function handledByNode(name: string): boolean {
  switch (name.length) {
    case 4:
      return name.toLowerCase() === 'date';
    case 6:
      return name.toLowerCase() === 'expect';
    case 7:
      return name.toLowerCase() === 'trailer';
    case 10: {
      const lower = name.toLowerCase();
      return lower === 'connection' || lower === 'keep-alive';
    }
    default:
      return false;
  }
}


let date: string | undefined;

/** The Date header's value, computed at most once a second (as node:http does). */
export function utcDate(): string {
  if (date === undefined) {
    const now = new Date();
    date = now.toUTCString();
    setTimeout(() => (date = undefined), 1000 - now.getMilliseconds()).unref();
  }
  return date;
}
