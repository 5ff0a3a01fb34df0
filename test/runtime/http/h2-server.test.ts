// The TLS port of `{ tls }`, which offers h2 and HTTP/1.1 by default (runtime/http/h2-server.ts):
// HTTP/1.1 clients (raw TLS sockets, `ws`) keep what node:https gives them (slowloris 408s,
// keep-alive, limits, 100-continue), h2 clients (Node's http2 client) get WebSockets, idle GOAWAY
// and GOAWAY on close, and `http2: false` takes h2 out of ALPN.
import { once } from 'node:events';
import http2 from 'node:http2';
import tls, { type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, type HandlerSpec, type Server } from '../../../runtime/http/server.ts';
import type { ServerOptions } from '../../../runtime/http/options.ts';
import { openWebSocket, text } from '../../helpers/h2-peer.ts';
import { hasOpenssl, makeTestCert } from '../../helpers/test-cert.ts';
import { within } from '../../helpers/within.ts';

let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  if (hasOpenssl) ({ key, cert } = makeTestCert());
});

const servers: Server[] = [];
const sessions: http2.ClientHttp2Session[] = [];
afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ force: true })));
});

const echo = (req: { type: string; ws?: { send(data: unknown): number }; data?: unknown; body?: string }) => {
  if (req.type === 'websocket') return void req.ws!.send(req.data);
  return { body: `got ${req.body ?? ''}` };
};

async function listen(options: ServerOptions = {}, handler: HandlerSpec = echo as HandlerSpec): Promise<{ server: Server; port: number }> {
  const server = createServer(handler, { tls: { key, cert }, quiet: true, ...options });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: server.port! };
}

/** A TLS connection that offers `alpn` (none when undefined) and records what it receives. */
async function rawTls(port: number, alpn?: string[]) {
  const socket: TLSSocket = tls.connect({ host: '127.0.0.1', port, ca: cert, servername: 'localhost', ALPNProtocols: alpn });
  socket.on('error', () => {});
  let received = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (received += chunk));
  const closed = once(socket, 'close');
  await within(once(socket, 'secureConnect'), 5_000, 'TLS handshake');
  return {
    socket,
    received: () => received,
    closed: () => within(closed, 10_000, 'the server never closed the connection'),
    /** Resolves once `pattern` has been received. */
    async receives(pattern: RegExp) {
      while (!pattern.test(received)) await within(once(socket, 'data'), 5_000, `never received ${pattern}`);
    },
  };
}

async function connectH2(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: cert, servername: 'localhost' });
  sessions.push(session);
  session.on('error', () => {});
  await within(once(session, 'remoteSettings'), 5_000, 'remote SETTINGS');
  return session;
}

async function h2Get(session: http2.ClientHttp2Session, path: string): Promise<{ status: unknown; body: string }> {
  const stream = session.request({ ':path': path });
  let body = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
  const [headers] = (await within(once(stream, 'response'), 5_000, 'h2 response')) as [http2.IncomingHttpHeaders];
  await within(once(stream, 'close'), 5_000, 'h2 stream close');
  return { status: headers[':status'], body };
}

function openWss(port: number): Promise<WebSocket> {
  const client = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: cert, servername: 'localhost' });
  client.on('error', () => {});
  return within(once(client, 'open').then(() => client), 5_000, 'wss open');
}

describe.skipIf(!hasOpenssl)('the default TLS server: h2 and HTTP/1.1 on one port', () => {
  it('offers h2 by ALPN; an HTTP/1.1 client (ALPN http/1.1 or none) whose headers never finish gets 408 after headersTimeout', async () => {
    const { port } = await listen({ headersTimeout: 300 });
    const h2Client = await rawTls(port, ['h2', 'http/1.1']);
    expect(h2Client.socket.alpnProtocol).toBe('h2');
    h2Client.socket.destroy();
    for (const alpn of [['http/1.1'], undefined]) {
      const slow = await rawTls(port, alpn);
      expect(slow.socket.alpnProtocol).toBe(alpn === undefined ? false : 'http/1.1');
      slow.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      await slow.closed();
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    }
  });

  it('keeps HTTP/1.1 requestTimeout (408 for a body that never finishes) and maxHeaderSize (431)', async () => {
    const { port } = await listen({ headersTimeout: 300, requestTimeout: 400, maxHeaderSize: 4096 });
    const slowBody = await rawTls(port, ['http/1.1']);
    slowBody.socket.write('POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\na');
    await slowBody.closed();
    expect(slowBody.received()).toMatch(/^HTTP\/1\.1 408 /);

    const big = await rawTls(port, ['http/1.1']);
    big.socket.write(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'b'.repeat(8192)}\r\n\r\n`);
    await big.receives(/^HTTP\/1\.1 431 /);
  });

  it('keeps HTTP/1.1 keep-alive (closed after keepAliveTimeout) and answers Expect: 100-continue', async () => {
    const { port } = await listen({ keepAliveTimeout: 200 });
    const client = await rawTls(port, ['http/1.1']);
    client.socket.write('POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    await client.receives(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    client.socket.write('hello');
    await client.receives(/\r\n\r\ngot hello$/);
    expect(client.received()).toMatch(/\r\nKeep-Alive: timeout=\d+\r\n/);
    await client.closed();
  });

  it('serves a ws client (HTTP/1.1 upgrade) and Node\'s http2 client (extended CONNECT) on the same port', async () => {
    const { port } = await listen();
    const ws = await openWss(port);
    ws.send('over http/1.1');
    expect(String((await within(once(ws, 'message'), 5_000, 'ws echo'))[0])).toBe('over http/1.1');

    const session = await connectH2(port);
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const { stream, reader, headers } = await openWebSocket(session);
    expect(headers[':status']).toBe(200);
    stream.write(text('over h2'));
    expect((await within(reader.next(), 5_000, 'h2 echo')).payload.toString()).toBe('over h2');
    expect(await h2Get(session, '/plain')).toEqual({ status: 200, body: 'got ' });
    ws.close();
  });

  it('sends GOAWAY to an h2 connection idle for keepAliveTimeout, and to a new one that opens no stream within headersTimeout', async () => {
    const { port } = await listen({ keepAliveTimeout: 200, headersTimeout: 300 });
    // A connection with a WebSocket open is not idle.
    const busy = await connectH2(port);
    let busyGoaway = false;
    busy.on('goaway', () => (busyGoaway = true));
    const { stream, reader } = await openWebSocket(busy);

    const idle = await connectH2(port);
    expect((await h2Get(idle, '/')).status).toBe(200);
    const [code] = (await within(once(idle, 'goaway'), 5_000, 'GOAWAY after keepAliveTimeout')) as [number];
    expect(code).toBe(http2.constants.NGHTTP2_NO_ERROR);
    await within(once(idle, 'close'), 5_000, 'idle connection closed');

    const silent = await connectH2(port);
    await within(once(silent, 'goaway'), 5_000, 'GOAWAY after headersTimeout');

    stream.write(text('still open'));
    expect((await within(reader.next(), 5_000, 'echo on the busy connection')).payload.toString()).toBe('still open');
    expect(busyGoaway).toBe(false);
  });

  it('server.close() sends GOAWAY to h2 connections and settles without waiting for shutdownTimeout', async () => {
    const { server, port } = await listen({ keepAliveTimeout: 60_000, shutdownTimeout: 60_000 });
    const session = await connectH2(port);
    expect((await h2Get(session, '/')).status).toBe(200);
    const goaway = once(session, 'goaway');
    await within(server.close(), 5_000, 'server.close()');
    await within(goaway, 5_000, 'GOAWAY on close');
  });

  it('server.stats() counts an h2 connection carrying WebSockets as one HTTP connection', async () => {
    const { server, port } = await listen();
    const session = await connectH2(port);
    for (const message of ['one', 'two']) {
      const { stream, reader } = await openWebSocket(session);
      stream.write(text(message));
      await within(reader.next(), 5_000, 'h2 echo');
    }
    const ws = await openWss(port);
    ws.send('three');
    await within(once(ws, 'message'), 5_000, 'ws echo');
    const stats = server.stats();
    expect(stats.websocket.connections).toBe(3);
    expect(stats.http.connections).toBe(1);
    ws.close();
  });

  it('http2: false offers only http/1.1 by ALPN', async () => {
    const { port } = await listen({ http2: false });
    const client = await rawTls(port, ['h2', 'http/1.1']);
    expect(client.socket.alpnProtocol).toBe('http/1.1');
    client.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await client.receives(/^HTTP\/1\.1 200 /);
    expect(() => createServer(echo as HandlerSpec, { http2: false })).not.toThrow();
  });
});
