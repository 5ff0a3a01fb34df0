// The lean HTTP/1.1 path (runtime/http/lean-connection.ts) on its own: requests cut at every byte,
// pipelining, the hand-over to node:http (bodies, upgrades, malformed input) and responses byte for
// byte like node:http's. The rest of test/http and test/hardening runs through it too (it is the default).
import nodeHttp from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLimit } from '../../../runtime/http/connection-limit.ts';
import { RequestDispatcher, type RequestHandler } from '../../../runtime/http/dispatch.ts';
import { closingAwareResponse } from '../../../runtime/http/closing-response.ts';
import { useLeanPath } from '../../../runtime/http/lean-connection.ts';
import { available } from '../../../runtime/http/node-internals.ts';
import { Server } from '../../../runtime/http/server.ts';
import { RawHttpConnection, rawRequest } from '../../helpers/raw-http.ts';

interface LeanServer {
  port: number;
  node: nodeHttp.Server;
  /** The server side of each accepted connection, in order. */
  sockets: net.Socket[];
  close(): Promise<void>;
}

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A node:http server wired as krandog's Server wires it, with the lean path, on 127.0.0.1. */
async function leanServer(handler: RequestHandler, options: { keepAliveTimeout?: number; maxHeaderSize?: number } = {}): Promise<LeanServer> {
  const keepAliveTimeout = options.keepAliveTimeout ?? 5000;
  const maxHeaderSize = options.maxHeaderSize ?? 16384;
  const ResponseClass = closingAwareResponse(() => false);
  const server = nodeHttp.createServer({ keepAliveTimeout, maxHeaderSize, ServerResponse: ResponseClass });
  const dispatcher = new RequestDispatcher(handler, 1024 * 1024);
  const limit = new ConnectionLimit(server, Infinity, 'connection');
  server.on('request', dispatcher.onRequest);
  useLeanPath({ server, dispatcher, limit, maxHeaderSize, keepAliveTimeout, ResponseClass, isClosing: () => false });
  const sockets: net.Socket[] = [];
  server.on('connection', (socket: net.Socket) => sockets.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const lean = {
    port: (server.address() as AddressInfo).port,
    node: server,
    sockets,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(lean);
  return lean;
}

/** Resolves once the server side of the connection has read `count` bytes in all. */
async function serverRead(server: LeanServer, index: number, count: number): Promise<void> {
  while ((server.sockets[index]?.bytesRead ?? 0) < count) await new Promise((resolve) => setImmediate(resolve));
}

/** Sends `pieces` one after another, each only once the server has read the ones before. */
async function sendInPieces(server: LeanServer, index: number, connection: RawHttpConnection, pieces: (string | Buffer)[]): Promise<void> {
  let sent = 0;
  for (const piece of pieces) {
    connection.write(piece);
    sent += Buffer.byteLength(piece);
    await serverRead(server, index, sent);
  }
}

const echoHandler: RequestHandler = (req) => ({ body: { method: req.method, url: req.url, host: req.headers.host, x: req.headers['x-one'], body: req.body } });

describe.runIf(available)('the lean path', () => {
  it('parses a request head cut at every byte, and the request after it', async () => {
    const server = await leanServer(echoHandler);
    const first = rawRequest('GET', '/first?a=1', { 'X-One': 'one' });
    const second = rawRequest('GET', '/second');
    const bytes = first + second;
    for (let cut = 1; cut < bytes.length; cut++) {
      const connection = await RawHttpConnection.connect(server.port);
      await sendInPieces(server, server.sockets.length - 1, connection, [bytes.slice(0, cut), bytes.slice(cut)]);
      const a = JSON.parse((await connection.readResponse()).body.toString());
      const b = JSON.parse((await connection.readResponse()).body.toString());
      expect([a.url, a.x, b.url], `cut at byte ${cut}`).toEqual(['/first?a=1', 'one', '/second']);
      connection.close();
    }
  });

  it('parses a request sent one byte at a time', async () => {
    const server = await leanServer(echoHandler);
    const bytes = rawRequest('GET', '/bytewise', { 'X-One': 'slow' });
    const connection = await RawHttpConnection.connect(server.port);
    await sendInPieces(server, 0, connection, [...bytes]);
    const response = JSON.parse((await connection.readResponse()).body.toString());
    expect([response.url, response.x]).toEqual(['/bytewise', 'slow']);
  });

  it('hands a request with a body, cut at every byte of its head, to node:http whole', async () => {
    const server = await leanServer(echoHandler);
    const bytes = rawRequest('GET', '/before') + rawRequest('POST', '/upload', { 'X-One': 'posted' }, 'the body') + rawRequest('GET', '/after');
    const headEnd = bytes.indexOf('\r\n\r\n', bytes.indexOf('POST')) + 4;
    for (let cut = 1; cut <= headEnd; cut++) {
      const connection = await RawHttpConnection.connect(server.port);
      await sendInPieces(server, server.sockets.length - 1, connection, [bytes.slice(0, cut), bytes.slice(cut)]);
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(JSON.parse((await connection.readResponse()).body.toString()));
      expect(answers.map((answer) => [answer.url, answer.body]), `cut at byte ${cut}`).toEqual([
        ['/before', ''],
        ['/upload', 'the body'],
        ['/after', ''],
      ]);
      connection.close();
    }
  });

  it('answers pipelined requests in order when an earlier one is answered later', async () => {
    const server = await leanServer(async (req) => {
      if (req.pathname === '/slow') await new Promise((resolve) => setTimeout(resolve, 50));
      return { body: req.pathname };
    });
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/slow') + rawRequest('GET', '/fast') + rawRequest('GET', '/slow') + rawRequest('GET', '/last'));
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await connection.readResponse()).body.toString());
    expect(bodies).toEqual(['/slow', '/fast', '/slow', '/last']);
  });

  it('keeps requests that arrive while a response is pending, in separate reads, for after it', async () => {
    let release: () => void = () => {};
    let started: () => void = () => {};
    const slowStarted = new Promise<void>((resolve) => (started = resolve));
    const server = await leanServer(async (req) => {
      if (req.pathname === '/slow') {
        started();
        await new Promise<void>((resolve) => (release = resolve));
      }
      return { body: req.pathname };
    });
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/slow'));
    await slowStarted;
    let sent = Buffer.byteLength(rawRequest('GET', '/slow'));
    for (const target of ['/second', '/third']) {
      connection.write(rawRequest('GET', target));
      sent += Buffer.byteLength(rawRequest('GET', target));
      await serverRead(server, 0, sent);
    }
    release();
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await connection.readResponse()).body.toString());
    expect(bodies).toEqual(['/slow', '/second', '/third']);
  });

  it("leaves a malformed request after a good one to node:http's 400", async () => {
    const server = await leanServer(echoHandler);
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/good') + 'GET /bad HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    expect(JSON.parse((await connection.readResponse()).body.toString()).url).toBe('/good');
    const bad = await connection.readResponse();
    expect(bad.status).toBe(400);
    await connection.closed;
  });

  it('answers a head larger than maxHeaderSize with 431, cut or not', async () => {
    const server = await leanServer(echoHandler, { maxHeaderSize: 1024 });
    const bytes = rawRequest('GET', '/', { 'X-Big': 'b'.repeat(2000) });
    for (const pieces of [[bytes], [bytes.slice(0, 700), bytes.slice(700)]]) {
      const connection = await RawHttpConnection.connect(server.port);
      for (const piece of pieces) connection.write(piece);
      expect((await connection.readResponse()).status).toBe(431);
      await connection.closed;
    }
  });

  it("gives an upgrade after a lean request to node:http's 'upgrade' event, with the bytes after it", async () => {
    const server = await leanServer(echoHandler);
    const upgrades: string[] = [];
    server.node.on('upgrade', (req: nodeHttp.IncomingMessage, socket: net.Socket, head: Buffer) => {
      upgrades.push(req.url!, head.toString());
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    });
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/plain'));
    expect(JSON.parse((await connection.readResponse()).body.toString()).url).toBe('/plain');
    connection.write(rawRequest('GET', '/ws', { Connection: 'Upgrade', Upgrade: 'websocket' }) + 'frames');
    expect((await connection.readResponse({ bodiless: true })).status).toBe(101);
    expect(upgrades).toEqual(['/ws', 'frames']);
  });

  it('closes a connection the request asks to close, after the response', async () => {
    const server = await leanServer(echoHandler);
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/bye', { Connection: 'close' }));
    const response = await connection.readResponse();
    expect(response.headers.get('connection')).toEqual(['close']);
    await connection.closed;
  });

  it('closes an idle kept-alive connection after keepAliveTimeout', async () => {
    const server = await leanServer(echoHandler, { keepAliveTimeout: 50 });
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/'));
    expect((await connection.readResponse()).headers.get('keep-alive')).toEqual(['timeout=0']);
    await connection.closed;
  });
});

/** The bytes of one exchange on a fresh connection, with the Date header's value blanked. */
async function exchange(port: number, request: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.end(request.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('latin1').replace(/\r\nDate: [^\r]*/, '\r\nDate: -');
}

async function krandogServer(handler: RequestHandler, path: 'lean' | 'node'): Promise<number> {
  const previous = process.env.KRANDOG_HTTP_PATH;
  process.env.KRANDOG_HTTP_PATH = path;
  try {
    const server = new Server(handler, { quiet: true });
    servers.push({ close: () => server.close({ force: true }) });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return server.port!;
  } finally {
    if (previous === undefined) delete process.env.KRANDOG_HTTP_PATH;
    else process.env.KRANDOG_HTTP_PATH = previous;
  }
}

describe.runIf(available)('lean responses are byte for byte those of node:http', () => {
  const results: Record<string, unknown> = {
    '/text': { body: 'Hello, World!' },
    '/unicode': { body: 'héllo ✓' },
    '/bytes': { body: new Uint8Array([1, 2, 3]) },
    '/json': { status: 201, body: { a: [1, 'two'] } },
    '/empty': { status: 404 },
    '/headers': { headers: { 'X-A': 'a', 'content-type': 'text/html', 'X-N': 7, 'Content-Length': '99' }, body: '<p>' },
    '/type': { type: 'text/csv', headers: { 'Content-Type': 'ignored' }, body: 'a,b' },
    '/latin1-header': { headers: { 'X-L': 'caf\u00e9' }, body: 'x' },
    '/array-header': { headers: { 'Set-Cookie': ['a=1', 'b=2'] }, body: 'x' },
    '/connection-header': { headers: { Connection: 'close' }, body: 'x' },
    '/date-header': { headers: { Date: 'yesterday' }, body: 'x' },
    '/no-content': { status: 204, body: 'dropped' },
    '/not-modified': { status: 304, headers: { ETag: '"1"' } },
    '/bad-status': { status: 99 },
    '/bad-header': { headers: { 'Bad Name': 'x' }, body: 'x' },
    '/response': new Response('fetch style', { headers: { 'X-F': 'f' } }),
  };
  const handler: RequestHandler = (req) => {
    const result = results[req.pathname];
    return result instanceof Response ? result.clone() : result;
  };

  for (const [target, method] of [...Object.keys(results).map((target) => [target, 'GET']), ['/text', 'HEAD'], ['/json', 'HEAD']] as const) {
    it(`${method} ${target}`, async () => {
      const [lean, node] = await Promise.all([krandogServer(handler, 'lean'), krandogServer(handler, 'node')]);
      const request = rawRequest(method, target);
      expect(await exchange(lean, request)).toBe(await exchange(node, request));
    });
  }
});
