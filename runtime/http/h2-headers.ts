// The h2 side of a request, for the dispatcher and the connection limit (pseudo-headers: see
// runtime/util/h2-headers.ts).
import type { Socket } from 'node:net';
import type { Http2Session } from 'node:http2';
import { socketOfSession } from '../util/h2-sessions.ts';

/**
 * Whether an h2 request may still send a body: its HEADERS frame did not end the stream. Such a
 * request needs no Content-Length (RFC 9113 §8.1), so it is read like a chunked one.
 */
export function mayHaveH2Body(incoming: object): boolean {
  const stream = (incoming as { stream?: { endAfterHeaders?: boolean } }).stream;
  return stream !== undefined && stream.endAfterHeaders === false;
}

/** The TLS socket a request came on: an h2 request's `socket` is a stand-in object, not the socket. */
export function connectionSocketOf(incoming: { socket: Socket }): Socket {
  const session = (incoming as { stream?: { session?: Http2Session } }).stream?.session;
  return (session === undefined ? undefined : socketOfSession(session)) ?? incoming.socket;
}

/** Sends GOAWAY on the h2 connection of a request (`Connection: close` means nothing in h2). */
export function closeH2Connection(incoming: object): void {
  (incoming as { stream?: { session?: { close(): void } } }).stream?.session?.close();
}

/** Whether a request came over HTTP/2. */
export function isH2Request(incoming: { httpVersionMajor: number }): boolean {
  return incoming.httpVersionMajor === 2;
}
