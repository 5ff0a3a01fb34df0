// Sending what a handler returned: a plain `{ status, headers, type, body }` object or a WHATWG Response.
import type { ServerResponse } from 'node:http';
import { describeValue } from '../util/describe-value.ts';
import { discardStreamBody, isStreamBody, pipeStreamBody, type StreamBody } from './body-stream.ts';
import {
  buildHeaderList,
  checkHeaderList,
  forwardedHeaders,
  KEEP_GIVEN_LENGTH,
  NO_LENGTH,
  type HeaderList,
  type HeadersInit,
} from './response-headers.ts';
import { isBinaryData, viewBytes } from '../util/bytes.ts';

/** What a handler returns (or resolves to). */
export interface ResponseObject {
  /** Status code, 200–599. Default 200. */
  status?: number;
  /** Response headers; array values send a header several times. */
  headers?: HeadersInit;
  /** Content-Type; overrides one in `headers`. Default from the body: text, bytes or JSON. */
  type?: string;
  /**
   * A string, bytes (Buffer/Uint8Array/ArrayBuffer/SharedArrayBuffer/typed array), a Blob, null/undefined (empty),
   * an async iterable or ReadableStream of chunks (streamed), or any other value (sent as JSON).
   */
  body?: unknown;
}

const TEXT = 'text/plain; charset=utf-8';
const BYTES = 'application/octet-stream';
const JSON_TYPE = 'application/json';

/** A handler result that cannot be turned into a response; the server answers 500 and logs it. */
export class InvalidResponseError extends TypeError {
  /** What the 500 body may tell the peer ('' for nothing beyond the status). */
  readonly peerDetail: string;

  constructor(message: string, peerDetail = '') {
    super(message);
    this.peerDetail = peerDetail;
  }
}

/**
 * Writes `result` to `res`. Returns a promise only for streamed bodies (which end later); throws
 * InvalidResponseError or Node's header errors before anything is written.
 */
export function sendResult(res: ServerResponse, method: string, url: string, result: unknown): Promise<void> | undefined {
  if (typeof result !== 'object' || result === null) {
    const returned = result === undefined ? 'no response' : describeValue(result);
    throw new InvalidResponseError(
      `the request handler returned ${returned}; return { status, headers, body } or a Response`,
      result === undefined ? 'the request handler returned no response' : '',
    );
  }
  if (result instanceof Response) return sendFetchResponse(res, method, url, result);
  if (Object.getPrototypeOf(result) !== Object.prototype && isBody(result)) {
    // A body returned on its own (an array, bytes, a stream) would be sent as an empty 200.
    throw new InvalidResponseError(`the request handler returned ${describeValue(result)}; return it as the body: { body }`);
  }
  return sendResponseObject(res, method, url, result as ResponseObject);
}

function isBody(value: object): boolean {
  return Array.isArray(value) || isBinaryData(value) || value instanceof Blob || isStreamBody(value);
}

function sendResponseObject(res: ServerResponse, method: string, url: string, response: ResponseObject): Promise<void> | undefined {
  const { status = 200, headers, type, body } = response;
  checkStatus(status);
  if (type !== undefined && typeof type !== 'string') throw new InvalidResponseError(`response type must be a string, got ${describeValue(type)}`);
  const bodiless = status === 204 || status === 304;

  // The common cases first: one writeHead() and one end() with a known Content-Length.
  let payload: string | Uint8Array | undefined;
  let fallbackType: string | undefined;
  if (typeof body === 'string') {
    payload = body;
    fallbackType = TEXT;
  } else if (body === undefined || body === null) {
    payload = undefined;
  } else if (isBinaryData(body)) {
    payload = viewBytes(body);
    fallbackType = BYTES;
  } else if (body instanceof Blob) {
    const length = bodiless ? NO_LENGTH : body.size;
    return sendStream(res, method, url, status, buildHeaderList(headers, type, body.type || BYTES, length), body.stream());
  } else if (typeof body === 'object' && isStreamBody(body)) {
    const length = bodiless ? NO_LENGTH : KEEP_GIVEN_LENGTH;
    return sendStream(res, method, url, status, buildHeaderList(headers, type, BYTES, length), body);
  } else {
    payload = JSON.stringify(body);
    if (payload === undefined) throw new InvalidResponseError(`response body ${describeValue(body)} cannot be sent as JSON`);
    fallbackType = JSON_TYPE;
  }

  let length: number;
  if (payload === undefined || status === 204) length = emptyBodyLength(status, method);
  else length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  // HEAD: Node sends the head only (RFC 9110 §9.3.2), Content-Length saying what GET would send.
  res.writeHead(status, buildHeaderList(headers, type, fallbackType, length));
  res.end(payload);
  return undefined;
}

/**
 * A fetch-style Response: its status, headers (Set-Cookie kept apart by Headers) and body stream.
 * One that fetch() returned (type 'basic', 'cors', …; a constructed one is 'default') is forwarded
 * as a proxy would: see forwardedHeaders.
 */
function sendFetchResponse(res: ServerResponse, method: string, url: string, response: Response): Promise<void> | undefined {
  const { status, statusText, body } = response;
  checkStatus(status);
  const given = response.type === 'default' ? response.headers : forwardedHeaders(response.headers, body !== null);
  const headers = buildHeaderList(given, undefined, undefined, body === null ? emptyBodyLength(status, method) : KEEP_GIVEN_LENGTH);
  if (body === null) {
    res.writeHead(status, statusText || undefined, headers).end();
    return undefined;
  }
  return sendStream(res, method, url, status, headers, body, statusText);
}

function sendStream(
  res: ServerResponse,
  method: string,
  url: string,
  status: number,
  headers: HeaderList,
  body: StreamBody,
  reason?: string,
): Promise<void> | undefined {
  if (method === 'HEAD' || status === 204 || status === 304) {
    res.writeHead(status, reason || undefined, headers);
    discardStreamBody(body);
    res.end();
    return undefined;
  }
  // The head waits for the first chunk, so that a body failing before it still gets a 500; its
  // mistakes are found now, as for the other bodies.
  let length: number | undefined;
  try {
    length = byteCount(checkHeaderList(headers));
  } catch (error) {
    discardStreamBody(body);
    throw error;
  }
  return pipeStreamBody(res, { status, reason: reason || undefined, headers, length }, body, method, url);
}

/** A handler's Content-Length for a streamed body: one whole number of bytes, which the body must then match. */
function byteCount(contentLength: unknown): number | undefined {
  if (contentLength === undefined) return undefined;
  const text = typeof contentLength === 'number' || typeof contentLength === 'string' ? String(contentLength).trim() : '';
  if (!/^\d{1,15}$/.test(text)) throw new InvalidResponseError(`response Content-Length must be one number of bytes, got ${describeValue(contentLength)}`);
  return Number(text);
}

/**
 * Content-Length of a response without body: none for 204 (RFC 9110 §8.6); the handler's own for
 * HEAD and 304, where it describes the body a GET would get (§8.6, §15.4.5); else 0.
 */
function emptyBodyLength(status: number, method: string): number {
  if (status === 204) return NO_LENGTH;
  return status === 304 || method === 'HEAD' ? KEEP_GIVEN_LENGTH : 0;
}

/** RFC 9110 §15: a final status is 200–599 (1xx are interim, and Node handles 100 Continue). */
function checkStatus(status: unknown): asserts status is number {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    throw new InvalidResponseError(`response status must be an integer from 200 to 599, got ${describeValue(status)}`);
  }
}
