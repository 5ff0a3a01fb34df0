// What the HTTP/2 server (runtime/http/h2-server.ts) records for the layers below it: which servers
// are h2 servers, and the TLS socket of each h2 session (`session.socket` is a stand-in Proxy, which
// the connection limit, keyed by the accepted socket, would not know).
import type { Http2Session } from 'node:http2';
import type { Socket } from 'node:net';

const http2Servers = new WeakSet<object>();
const sessionSockets = new WeakMap<Http2Session, Socket>();

export function markHttp2Server(server: object): void {
  http2Servers.add(server);
}

/** Whether `server` is an h2 server (its CONNECT streams may be WebSockets). */
export function isHttp2Server(server: object): boolean {
  return http2Servers.has(server);
}

export function recordSessionSocket(session: Http2Session, socket: Socket): void {
  sessionSockets.set(session, socket);
}

/** The TLS socket an h2 session runs on; undefined for a session the h2 server did not record. */
export function socketOfSession(session: Http2Session): Socket | undefined {
  return sessionSockets.get(session);
}
