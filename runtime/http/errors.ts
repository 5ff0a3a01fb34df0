// What the peer and stderr get when something goes wrong: short bodies to the peer, details to stderr.
import type { ServerResponse } from 'node:http';
import { logUserError } from '../util/report.ts';

/** A short plain-text error response. The peer never sees a stack or an error message. */
export function sendErrorResponse(res: ServerResponse, status: number, reason: string, body: string, close = false, extraHeaders: string[] = []): void {
  if (res.headersSent) {
    // The status line is gone: the only honest signal left is a truncated response.
    res.destroy();
    return;
  }
  const headers: (string | number)[] = ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', Buffer.byteLength(body)];
  if (close) headers.push('Connection', 'close');
  headers.push(...extraHeaders);
  // A writeHead() for the handler's response that threw (bad header) has already applied part of
  // it: its reason phrase (so ours is explicit) and, for 204/304, Node's "no body" flag, which
  // would send our Content-Length without the body and hang the client.
  (res as unknown as { _hasBody: boolean })._hasBody = res.req.method !== 'HEAD';
  // HTTP/2 has no reason phrase (RFC 9113 §8.3.2): Node warns when given one.
  if (res.req.httpVersionMajor === 2) res.writeHead(status, headers).end(body);
  else res.writeHead(status, reason, headers).end(body);
}

/** 500 for a handler that threw, rejected, or returned something that cannot be sent. */
export function sendInternalError(res: ServerResponse, detail = ''): void {
  sendErrorResponse(res, 500, 'Internal Server Error', detail === '' ? 'Internal Server Error' : `Internal Server Error: ${detail}`);
}

/** 413 (RFC 9110 §15.5.14). The connection closes: the rest of the body is not worth reading. */
export function sendPayloadTooLarge(res: ServerResponse, maxBodySize: number): void {
  sendErrorResponse(res, 413, 'Content Too Large', `Request body larger than ${maxBodySize} bytes`, true);
}

/** 503 (RFC 9110 §15.6.4) to a request the server will not serve now; the connection closes. */
export function sendServiceUnavailable(res: ServerResponse, why: string): void {
  sendErrorResponse(res, 503, 'Service Unavailable', `Service Unavailable: ${why}`, true, ['Retry-After', '1']);
}

/** Logs an error raised while answering `method url`, with the user's frames only. */
export function logRequestError(what: string, method: string, url: string, error: unknown): void {
  logUserError(`${what} (${method} ${url})`, error);
}

/** The one line printed when listen() fails, e.g. `port 3000 is already in use`. */
export function describeListenError(error: NodeJS.ErrnoException, port: number, host: string | undefined): string {
  const where = host === undefined ? `port ${port}` : `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use`;
    case 'EACCES':
      return `permission denied to listen on ${where}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: address not available on this machine`;
    default:
      return `cannot listen on ${where}: ${error.message}`;
  }
}
