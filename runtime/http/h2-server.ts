// `options.http2` with `options.tls`: one TLS port that speaks HTTP/2 (ALPN h2) and HTTP/1.1 (ALPN
// http/1.1 or none), with SETTINGS_ENABLE_CONNECT_PROTOCOL so that WebSockets can open over h2
// streams (RFC 8441). HTTP/1.1 connections go through node:http's own code (Node's `allowHTTP1`),
// so they keep the parser, timeouts and 'upgrade' event of the HTTPS server; h2 requests reach the
// same 'request' listener as Http2ServerRequest/Http2ServerResponse (the compat API, same shape).
import http2 from 'node:http2';
import type nodeHttp from 'node:http';
import type { Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import { markHttp2Server, recordSessionSocket } from '../util/h2-sessions.ts';

/** The node:http options the HTTPS server takes that matter for its HTTP/1.1 connections. */
export interface Http1Options {
  IncomingMessage: typeof nodeHttp.IncomingMessage;
  ServerResponse: new (request: nodeHttp.IncomingMessage) => nodeHttp.ServerResponse;
  headersTimeout: number;
  keepAliveTimeout: number;
  maxHeaderSize: number;
}

/**
 * An Http2SecureServer dressed as the node:http Server that runtime/http/server.ts drives: close()
 * and closeIdleConnections() send GOAWAY to every h2 session (their open streams finish first) and
 * close idle HTTP/1.1 connections, as node:http's close() does; closeAllConnections() destroys every
 * connection.
 */
export function createHttp2Server(tls: TlsOptions, http1: Http1Options): nodeHttp.Server {
  const server = http2.createSecureServer({
    handshakeTimeout: http1.headersTimeout || undefined,
    ...tls,
    allowHTTP1: true,
    settings: { enableConnectProtocol: true },
    maxSendHeaderBlockLength: http1.maxHeaderSize,
    Http1IncomingMessage: http1.IncomingMessage,
    Http1ServerResponse: http1.ServerResponse,
  } as http2.SecureServerOptions);
  // node:http reads it off the server for each HTTP/1.1 connection. Its headersTimeout and
  // requestTimeout need node:http's own connection tracking, which an h2 server lacks (README).
  (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = http1.keepAliveTimeout;
  markHttp2Server(server);
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<Socket>();
  // Node makes the session inside its own 'secureConnection' listener: seen first here, the socket
  // is the one the 'session' event that follows belongs to.
  let accepted: Socket | undefined;
  server.prependListener('secureConnection', (socket: Socket) => {
    accepted = socket;
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    if (accepted !== undefined) recordSessionSocket(session, accepted);
    accepted = undefined;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A peer's protocol error ends its session only.
    session.on('error', () => session.destroy());
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const closeIdle = (): void => {
    for (const session of sessions) if (!session.closed) session.close();
    for (const socket of sockets) if (isIdleHttp1(socket)) socket.destroy();
  };
  const close = server.close.bind(server);
  return Object.assign(server, {
    close(callback?: (error?: Error) => void) {
      close(callback);
      closeIdle();
      return server;
    },
    closeIdleConnections: closeIdle,
    closeAllConnections() {
      for (const socket of sockets) socket.destroy();
    },
  }) as unknown as nodeHttp.Server;
}

type Http1Socket = Socket & { alpnProtocol?: string | false; parser?: unknown; _httpMessage?: unknown };

/**
 * An HTTP/1.1 connection between requests: Node's parser still on it (an upgraded WebSocket has
 * none) and no response in progress (Node attaches the one being written as `_httpMessage`).
 */
function isIdleHttp1(socket: Http1Socket): boolean {
  return socket.alpnProtocol !== 'h2' && socket.parser != null && socket._httpMessage == null;
}
