// The TLS port with HTTP/2 (`options.tls`, unless `http2: false`): ALPN offers h2 and http/1.1,
// and each connection, once its handshake is done, goes to the protocol it agreed on. HTTP/1.1 (or
// no ALPN) goes to the HTTPS server's own connection listener: the port *is* a node:https server,
// listening, so its HTTP/1.1 connections keep everything it does (headersTimeout, requestTimeout,
// keepAliveTimeout, limits, 100-continue, 'upgrade'). h2 goes to a node:http2 server that never
// listens, with SETTINGS_ENABLE_CONNECT_PROTOCOL so that WebSockets can open over h2 streams
// (RFC 8441); its requests reach the HTTPS server's listeners as Http2ServerRequest and
// Http2ServerResponse (Node's compat API, the same shape).
import http2 from 'node:http2';
import nodeHttps from 'node:https';
import type nodeHttp from 'node:http';
import type { Socket } from 'node:net';
import type { TlsOptions, TLSSocket } from 'node:tls';
import { markHttp2Server, recordSessionSocket } from '../util/h2-sessions.ts';
import { closeWhenIdle } from './h2-idle.ts';

/** The node:http options of the HTTPS server (its HTTP/1.1 connections); the h2 side reads a few. */
export interface Http1Options {
  headersTimeout: number;
  keepAliveTimeout: number;
  maxHeaderSize: number;
  [option: string]: unknown;
}

type Listener = (this: nodeHttp.Server, socket: Socket) => void;

/**
 * The node:https server of `options.tls`; with `withHttp2`, its h2 connections are served by node:http2
 * (see {@link serveHttp2}).
 */
export function createTlsServer(tls: TlsOptions, http1: Http1Options, withHttp2: boolean): nodeHttp.Server {
  // A TLS handshake that never finishes is a slowloris too: it gets no longer than the headers.
  const alpn = withHttp2 ? { ALPNProtocols: ['h2', 'http/1.1'] } : {};
  const server = nodeHttps.createServer({ handshakeTimeout: http1.headersTimeout || undefined, ...alpn, ...tls, ...http1 });
  return withHttp2 ? serveHttp2(server, http1) : server;
}

/**
 * Serves the h2 connections of `server` with node:http2. close() and closeIdleConnections() also
 * send GOAWAY to every h2 session (open streams finish first), closeAllConnections() destroys them.
 */
function serveHttp2(server: nodeHttp.Server, http1: Http1Options): nodeHttp.Server {
  markHttp2Server(server);
  const h2 = http2.createServer({ settings: { enableConnectProtocol: true }, maxSendHeaderBlockLength: http1.maxHeaderSize });
  forwardRequests(h2, server);

  // node:https serves each TLS connection from its one 'secureConnection' listener (node:http's).
  const listeners = server.listeners('secureConnection') as Listener[];
  if (listeners.length !== 1) throw new Error('krandog: unexpected node:https server (no single secureConnection listener)');
  const [serveHttp1] = listeners;
  server.removeListener('secureConnection', serveHttp1);

  const sessions = new Set<http2.ServerHttp2Session>();
  let closing = false;
  let accepted: Socket | undefined;
  h2.on('session', (session: http2.ServerHttp2Session) => {
    // `session.socket` is a stand-in Proxy; the connection limit knows the socket itself.
    recordSessionSocket(session, accepted!);
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A peer's protocol error ends its session only.
    session.on('error', () => session.destroy());
    if (closing) session.close();
    else closeWhenIdle(session, http1.headersTimeout, http1.keepAliveTimeout);
  });
  server.on('secureConnection', function (this: nodeHttp.Server, socket: TLSSocket) {
    if (socket.alpnProtocol !== 'h2') return serveHttp1.call(this, socket);
    accepted = socket;
    // Node's http2 'connection' listener makes the session ('session' above) before it returns.
    h2.emit('connection', socket);
    accepted = undefined;
  });

  const closeIdleHttp1 = server.closeIdleConnections.bind(server);
  const closeAllHttp1 = server.closeAllConnections.bind(server);
  const close = server.close.bind(server);
  return Object.assign(server, {
    close(callback?: (error?: Error) => void) {
      closing = true;
      // node:https's close() calls closeIdleConnections() below.
      return close(callback);
    },
    closeIdleConnections() {
      closeIdleHttp1();
      for (const session of sessions) if (!session.closed) session.close();
    },
    closeAllConnections() {
      closeAllHttp1();
      for (const session of sessions) session.destroy();
    },
  });
}

/**
 * Hands the h2 server's requests to the HTTPS server's listeners, with Node's answers where nobody
 * listens there: a CONNECT gets 405, an `Expect: 100-continue` its 100 before 'request'.
 */
function forwardRequests(h2: http2.Http2Server, server: nodeHttp.Server): void {
  h2.on('request', (req, res) => server.emit('request', req, res));
  h2.on('connect', (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (server.emit('connect', req, res)) return;
    res.statusCode = 405;
    res.end();
  });
  h2.on('checkContinue', (req, res) => {
    if (server.emit('checkContinue', req, res)) return;
    res.writeContinue();
    server.emit('request', req, res);
  });
}
