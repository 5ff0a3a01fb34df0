// Sending what a handler returned: a plain `{ status, headers, type, body }` object or a WHATWG Response.
import type { ServerResponse } from 'node:http';
import { discardStreamBody, isStreamBody, pipeStreamBody, type StreamBody } from './body-stream.ts';
import { buildHeaderList, KEEP_GIVEN_LENGTH, NO_LENGTH, type HeaderList, type HeadersInit } from './response-headers.ts';

/** What a handler returns (or resolves to). */
export interface ResponseObject {
  /** Status code, 200–599. Default 200. */
  status?: number;
  /** Response headers; array values send a header several times. */
  headers?: HeadersInit;
  /** Content-Type; overrides one in `headers`. Default from the body: text, bytes or JSON. */
  type?: string;
  /**
   * A string, bytes (Buffer/Uint8Array/ArrayBuffer/typed array), a Blob, null/undefined (empty),
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
    const returned = result === undefined ? 'no response' : describe(result);
    throw new InvalidResponseError(
      `the request handler returned ${returned}; return { status, headers, body } or a Response`,
      result === undefined ? 'the request handler returned no response' : '',
    );
  }
  if (result instanceof Response) return sendFetchResponse(res, method, url, result);
  return sendResponseObject(res, method, url, result as ResponseObject);
}

function sendResponseObject(res: ServerResponse, method: string, url: string, response: ResponseObject): Promise<void> | undefined {
  const { status = 200, headers, type, body } = response;
  checkStatus(status);
  if (type !== undefined && typeof type !== 'string') throw new InvalidResponseError(`response type must be a string, got ${describe(type)}`);
  const bodiless = status === 204 || status === 304;

  // The common cases first: one writeHead() and one end() with a known Content-Length.
  let payload: string | Uint8Array | undefined;
  let fallbackType: string | undefined;
  if (typeof body === 'string') {
    payload = body;
    fallbackType = TEXT;
  } else if (body === undefined || body === null) {
    payload = undefined;
  } else if (body instanceof Uint8Array) {
    payload = body;
    fallbackType = BYTES;
  } else if (body instanceof ArrayBuffer) {
    payload = new Uint8Array(body);
    fallbackType = BYTES;
  } else if (ArrayBuffer.isView(body)) {
    payload = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    fallbackType = BYTES;
  } else if (body instanceof Blob) {
    const length = bodiless ? NO_LENGTH : body.size;
    return sendStream(res, method, url, status, buildHeaderList(headers, type, body.type || BYTES, length), body.stream());
  } else if (typeof body === 'object' && isStreamBody(body)) {
    const length = bodiless ? NO_LENGTH : KEEP_GIVEN_LENGTH;
    return sendStream(res, method, url, status, buildHeaderList(headers, type, BYTES, length), body);
  } else {
    payload = JSON.stringify(body);
    if (payload === undefined) throw new InvalidResponseError(`response body ${describe(body)} cannot be sent as JSON`);
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

/** A fetch-style Response: its status, headers (Set-Cookie kept apart by Headers) and body stream. */
function sendFetchResponse(res: ServerResponse, method: string, url: string, response: Response): Promise<void> | undefined {
  const { status, statusText, body } = response;
  checkStatus(status);
  const headers = buildHeaderList(response.headers, undefined, undefined, body === null ? emptyBodyLength(status, method) : KEEP_GIVEN_LENGTH);
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
  res.writeHead(status, reason || undefined, headers);
  if (method === 'HEAD' || status === 204 || status === 304) {
    discardStreamBody(body);
    res.end();
    return undefined;
  }
  return pipeStreamBody(res, body, method, url);
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
    throw new InvalidResponseError(`response status must be an integer from 200 to 599, got ${describe(status)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (value !== null && typeof value === 'object') return `a ${value.constructor?.name ?? 'prototype-free'} object`;
  return String(value);
}
