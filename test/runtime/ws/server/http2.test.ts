// WebSocket over HTTP/2 (RFC 8441) on a `{ tls }` server (h2 is on by default; one test says
// `http2: true`): Node's own http2 client opens extended CONNECT streams and speaks masked frames on
// them (test/helpers/h2-peer.ts); plain GETs over h2, HTTPS/1.1 requests and a wss:// `ws` client
// reach the same server.
import { once } from 'node:events';
import http2 from 'node:http2';
import nodeHttps from 'node:https';
import zlib from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, type HandlerSpec, type Server } from '../../../../runtime/http/server.ts';
import { buildFrame, OP } from '../../../helpers/frames.ts';
import { openWebSocket, text } from '../../../helpers/h2-peer.ts';
import { hasOpenssl, makeTestCert } from '../../../helpers/test-cert.ts';
import { within } from '../../../helpers/within.ts';

let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  if (hasOpenssl) ({ key, cert } = makeTestCert('/CN=krandog h2 test'));
});

let server: Server | undefined;
const sessions: http2.ClientHttp2Session[] = [];

afterEach(async () => {
  for (const session of sessions.splice(0)) session.destroy();
  await server?.close({ force: true });
  server = undefined;
});

async function listen(handler: HandlerSpec): Promise<number> {
  server = createServer(handler, { tls: { key, cert }, quiet: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server.port!;
}

async function connect(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: cert, servername: 'localhost' });
  sessions.push(session);
  session.on('error', () => {});
  const [settings] = (await within(once(session, 'remoteSettings'), 5_000, 'remote SETTINGS')) as [http2.Settings];
  expect(settings.enableConnectProtocol).toBe(true);
  return session;
}

describe.skipIf(!hasOpenssl)('WebSocket over HTTP/2 (RFC 8441)', () => {
  it('answers an extended CONNECT with 200 and echoes through the same handler and ws object', async () => {
    const seen: unknown[] = [];
    const port = await listen({
      websocket: {
        open(ws: { pathname: string; query: unknown }) {
          seen.push(['open', ws.pathname, ws.query]);
        },
        message(ws: { send(data: unknown): number }, data: unknown) {
          ws.send(data);
        },
      },
    });
    const session = await connect(port);
    const { stream, reader, headers } = await openWebSocket(session);
    expect(headers[':status']).toBe(200);
    expect(headers['sec-websocket-accept']).toBeUndefined();
    stream.write(text('hello over h2'));
    const frame = await within(reader.next(), 5_000, 'echo');
    expect(frame).toMatchObject({ opcode: OP.text, fin: true });
    expect(frame.payload.toString()).toBe('hello over h2');
    expect(seen).toEqual([['open', '/chat', { room: '1' }]]);
  });

  it('reassembles a fragmented message', async () => {
    const port = await listen({ websocket: { message: (ws: { send(d: unknown): number }, data: unknown) => void ws.send(data) } });
    const { stream, reader } = await openWebSocket(await connect(port));
    stream.write(text('frag', false));
    stream.write(text('men', false, OP.cont));
    stream.write(text('ted', true, OP.cont));
    const frame = await within(reader.next(), 5_000, 'echo');
    expect(frame.payload.toString()).toBe('fragmented');
  });

  it('runs the close handshake and ends the stream', async () => {
    let closed: unknown;
    const port = await listen({
      websocket: {
        message() {},
        close(_ws: unknown, code: number, reason: string) {
          closed = [code, reason];
        },
      },
    });
    const { stream, reader } = await openWebSocket(await connect(port));
    const payload = Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('bye')]); // 4000
    stream.write(buildFrame({ opcode: OP.close, payload, mask: true }));
    const frame = await within(reader.next(), 5_000, 'close echo');
    expect(frame.opcode).toBe(OP.close);
    expect(frame.payload.readUInt16BE(0)).toBe(4000);
    stream.end();
    await within(once(stream, 'close'), 5_000, 'stream close');
    await within(
      (async () => {
        while (closed === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5_000,
      'close hook',
    );
    expect(closed).toEqual([4000, 'bye']);
  });

  it('delivers many messages both ways with flow control on the stream', async () => {
    const count = 2_000;
    const big = 'x'.repeat(16 * 1024);
    const port = await listen({ websocket: { message: (ws: { send(d: unknown): number }, data: unknown) => void ws.send(data) } });
    const { stream, reader } = await openWebSocket(await connect(port));
    const writes = (async () => {
      for (let i = 0; i < count; i++) {
        if (!stream.write(text(`${i}:${big}`))) await once(stream, 'drain');
      }
    })();
    for (let i = 0; i < count; i++) {
      const frame = await within(reader.next(), 10_000, `echo ${i}`);
      expect(frame.payload.subarray(0, 12).toString().split(':')[0]).toBe(String(i));
    }
    await writes;
  });

  it('negotiates a subprotocol and refuses a wrong version with 426', async () => {
    const port = await listen({ websocket: { message() {} } as object });
    server!.close({ force: true });
    server = createServer({ websocket: { message() {} } }, { tls: { key, cert }, quiet: true, protocols: ['chat'] });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = await connect(server.port!);
    const { headers } = await openWebSocket(session, { 'sec-websocket-protocol': 'other, chat' });
    expect(headers[':status']).toBe(200);
    expect(headers['sec-websocket-protocol']).toBe('chat');
    const refused = await openWebSocket(session, { 'sec-websocket-version': '8' });
    expect(refused.headers[':status']).toBe(426);
    expect(refused.headers['sec-websocket-version']).toBe('13');
    void port;
  });

  it('serves plain GETs over h2, HTTPS/1.1 requests and a wss:// ws client on the same port', async () => {
    const port = await listen({
      request: (req: { method: string; pathname: string; headers: Record<string, unknown> }) => ({ body: `${req.method} ${req.pathname} ${String(req.headers['x-test'])}` }),
      websocket: { message: (ws: { send(d: unknown): number }, data: unknown) => void ws.send(data) },
    });
    const session = await connect(port);
    const get = session.request({ ':method': 'GET', ':path': '/hello?x=1', 'x-test': 'h2' });
    get.setEncoding('utf8');
    let body = '';
    get.on('data', (chunk: string) => (body += chunk));
    const [headers] = (await within(once(get, 'response'), 5_000, 'GET response')) as [http2.IncomingHttpHeaders];
    await within(once(get, 'end'), 5_000, 'GET body');
    expect(headers[':status']).toBe(200);
    expect(body).toBe('GET /hello h2');

    const http1 = await within(
      new Promise<string>((resolve, reject) => {
        nodeHttps
          .get({ host: '127.0.0.1', port, path: '/one', ca: cert, servername: 'localhost', headers: { 'x-test': 'h1' } }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve(`${res.httpVersion} ${text}`));
          })
          .on('error', reject);
      }),
      5_000,
      'https/1.1 GET',
    );
    expect(http1).toBe('1.1 GET /one h1');

    const ws = new WebSocket(`wss://localhost:${port}/`, { ca: cert });
    await within(once(ws, 'open'), 5_000, 'wss open');
    ws.send('over http/1.1');
    const [data] = await within(once(ws, 'message'), 5_000, 'wss echo');
    expect(String(data)).toBe('over http/1.1');
    ws.close();
    await within(once(ws, 'close'), 5_000, 'wss close');
  });

  it('reads request bodies over h2 (without Content-Length) and refuses too large ones with 413', async () => {
    server = createServer((req: { body: string }) => ({ body: `got ${req.body}` }), { tls: { key, cert }, quiet: true, maxBodySize: 10 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = await connect(server.port!);
    const post = async (body: string) => {
      const stream = session.request({ ':method': 'POST', ':path': '/' });
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (text += chunk));
      stream.end(body);
      const [headers] = (await within(once(stream, 'response'), 5_000, 'POST response')) as [http2.IncomingHttpHeaders];
      await within(once(stream, 'close'), 5_000, 'POST close');
      return [headers[':status'], text];
    };
    expect(await post('hi')).toEqual([200, 'got hi']);
    const [status] = await post('x'.repeat(100));
    expect(status).toBe(413);
  });

  it('shows handlers headers without pseudo-headers, with host from :authority', async () => {
    let wsHeaders: Record<string, unknown> | undefined;
    const port = await listen({
      request: (req: { headers: Record<string, unknown> }) => ({ body: JSON.stringify(req.headers) }),
      websocket: {
        open(ws: { headers: Record<string, unknown> }) {
          wsHeaders = ws.headers;
        },
        message() {},
      },
    });
    const session = await connect(port);
    const get = session.request({ ':method': 'GET', ':path': '/', 'x-test': '1' });
    let body = '';
    get.setEncoding('utf8');
    get.on('data', (chunk: string) => (body += chunk));
    await within(once(get, 'end'), 5_000, 'GET body');
    const headers = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(headers).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(headers.host).toMatch(new RegExp(`:${port}$`));
    expect(headers['x-test']).toBe('1');
    const { headers: response } = await openWebSocket(session, { 'x-test': '2' });
    expect(response[':status']).toBe(200);
    expect(Object.keys(wsHeaders!).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(wsHeaders!['x-test']).toBe('2');
  });

  it('runs the upgrade hook: a refusal is the stream\'s status, an acceptance carries data', async () => {
    const port = await listen({
      websocket: {
        upgrade: (req: { pathname: string; method: string }) => (req.pathname === '/no' ? { status: 403, body: 'nope' } : { data: req.method }),
        message(ws: { data: unknown; send(d: unknown): number }) {
          ws.send(String(ws.data));
        },
      },
    });
    const session = await connect(port);
    const refused = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': '/no', 'sec-websocket-version': '13' });
    let body = '';
    refused.setEncoding('utf8');
    refused.on('data', (chunk: string) => (body += chunk));
    const [headers] = (await within(once(refused, 'response'), 5_000, 'refusal')) as [http2.IncomingHttpHeaders];
    await within(once(refused, 'end'), 5_000, 'refusal body');
    expect([headers[':status'], body]).toEqual([403, 'nope']);
    const { stream, reader } = await openWebSocket(session);
    stream.write(text('which method?'));
    expect((await within(reader.next(), 5_000, 'reply')).payload.toString()).toBe('CONNECT');
  });

  it('agrees on permessage-deflate over h2 as over HTTP/1.1', async () => {
    server = createServer(
      { websocket: { message: (ws: { send(d: unknown): number }, data: unknown) => void ws.send(data) } },
      { tls: { key, cert }, quiet: true, perMessageDeflate: true },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = await connect(server.port!);
    const { stream, reader, headers } = await openWebSocket(session, { 'sec-websocket-extensions': 'permessage-deflate; client_no_context_takeover; server_no_context_takeover' });
    expect(String(headers['sec-websocket-extensions'])).toMatch(/^permessage-deflate/);
    const message = 'compress me '.repeat(200); // above the 1 KiB threshold: the echo is compressed too
    const deflated = zlib.deflateRawSync(Buffer.from(message), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    stream.write(buildFrame({ opcode: OP.text, rsv: 4, payload: deflated.subarray(0, deflated.length - 4), mask: true }));
    const frame = await within(reader.next(), 5_000, 'echo');
    expect(frame.rsv1).toBe(true);
    const inflated = zlib.inflateRawSync(Buffer.concat([frame.payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(inflated.toString()).toBe(message);
  });

  it('server.close() sends 1001 on h2 WebSockets and settles', async () => {
    const port = await listen({ websocket: { message() {} } });
    const { stream, reader } = await openWebSocket(await connect(port));
    const closing = server!.close();
    const frame = await within(reader.next(), 5_000, 'close 1001');
    expect([frame.opcode, frame.payload.readUInt16BE(0)]).toEqual([OP.close, 1001]);
    stream.end(buildFrame({ opcode: OP.close, payload: frame.payload.subarray(0, 2), mask: true }));
    await within(closing, 5_000, 'server.close()');
    server = undefined;
  });

  it('needs tls', () => {
    expect(() => createServer(() => ({}), { http2: true })).toThrow(/options\.http2 needs options\.tls/);
  });

  it('reports backpressure while the peer does not read, then drain once it does', async () => {
    const chunk = 'y'.repeat(16 * 1024);
    const results: number[] = [];
    let drained = false;
    let sent = 0;
    server = createServer(
      {
        websocket: {
          message(ws: { send(d: unknown): number }) {
            // Until send() says the limit is passed (bounded: 4 MiB).
            for (let i = 0; i < 256; i++) {
              const result = ws.send(chunk);
              results.push(result);
              sent++;
              if (result === -1) break;
            }
          },
          drain() {
            drained = true;
          },
        },
      },
      { tls: { key, cert }, quiet: true, backpressureLimit: 256 * 1024 },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { stream, reader } = await openWebSocket(await connect(server.port!));
    stream.pause();
    stream.write(text('go'));
    await within(
      (async () => {
        while (!results.includes(-1)) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5_000,
      'send() returning -1',
    );
    expect(drained).toBe(false);
    stream.resume();
    for (let i = 0; i < sent; i++) expect((await within(reader.next(), 5_000, `message ${i}`)).payload.length).toBe(chunk.length);
    await within(
      (async () => {
        while (!drained) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5_000,
      'drain hook',
    );
  });

  it('server.close() closes idle HTTPS/1.1 keep-alive connections at once and sends 1001 to wss:// ones', async () => {
    server = createServer(
      { request: () => ({ body: 'x' }), websocket: { message() {} } },
      { tls: { key, cert }, quiet: true, shutdownTimeout: 60_000 },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = server.port!;
    const agent = new nodeHttps.Agent({ keepAlive: true, ca: cert, servername: 'localhost' });
    await within(
      new Promise((resolve) => nodeHttps.get({ host: '127.0.0.1', port, agent }, (res) => res.resume().on('end', resolve))),
      5_000,
      'keep-alive GET',
    );
    const ws = new WebSocket(`wss://localhost:${port}/`, { ca: cert });
    await within(once(ws, 'open'), 5_000, 'wss open');
    const closed = once(ws, 'close');
    // Well before shutdownTimeout: nothing is left waiting for it.
    await within(server.close(), 5_000, 'server.close()');
    const [code] = (await within(closed, 5_000, 'wss close')) as [number];
    expect(code).toBe(1001);
    server = undefined;
    agent.destroy();
  });

  it('closes a WebSocket whose peer stops reading with 1008, and only that stream', async () => {
    const chunk = 'z'.repeat(64 * 1024);
    let closeCode: number | undefined;
    server = createServer(
      {
        websocket: {
          message(ws: { send(d: unknown): number }, data: unknown) {
            if (String(data) !== 'flood') return void ws.send(data);
            // 4 MiB, far past the limit and what Node and the kernel buffer for the stream.
            for (let i = 0; i < 64; i++) ws.send(chunk);
          },
          close(_ws: unknown, code: number) {
            closeCode ??= code;
          },
        },
      },
      { tls: { key, cert }, quiet: true, backpressureLimit: 256 * 1024 },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = await connect(server.port!);
    const stalled = await openWebSocket(session);
    stalled.stream.pause(); // never reads again: its flow-control window stays shut
    stalled.stream.write(text('flood'));
    await within(
      (async () => {
        while (closeCode === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      10_000,
      'the stalled WebSocket closed',
    );
    expect(closeCode).toBe(1008);
    // The connection and its other streams go on.
    const other = await openWebSocket(session);
    other.stream.write(text('still here'));
    expect((await within(other.reader.next(), 5_000, 'echo on another stream')).payload.toString()).toBe('still here');
  });

  it('answers 503 to h2 requests and WebSockets of a connection past maxConnections', async () => {
    server = createServer(
      { request: () => ({ body: 'x' }), websocket: { message() {} } },
      { tls: { key, cert }, quiet: true, maxConnections: 1 },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const first = await connect(server.port!);
    const ok = first.request({ ':path': '/' });
    ok.resume();
    const [okHeaders] = (await within(once(ok, 'response'), 5_000, 'first connection')) as [http2.IncomingHttpHeaders];
    expect(okHeaders[':status']).toBe(200);
    const second = await connect(server.port!);
    const refusedWs = await openWebSocket(second);
    expect(refusedWs.headers[':status']).toBe(503);
    const refused = second.request({ ':path': '/' });
    refused.resume();
    refused.on('error', () => {});
    const [headers] = (await within(once(refused, 'response'), 5_000, 'second connection')) as [http2.IncomingHttpHeaders];
    expect(headers[':status']).toBe(503);
    await within(once(second, 'close'), 5_000, 'GOAWAY closes the second connection');
  });

  it('gives a Node-style (req, res) listener the h2 compat objects (with http2: true said)', async () => {
    server = createServer(
      (req: { httpVersion: string; url: string }, res: { end(body: string): void }) => res.end(`${req.httpVersion} ${req.url}`),
      { tls: { key, cert }, http2: true, quiet: true },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = await connect(server.port!);
    const get = session.request({ ':path': '/node?x=1' });
    let body = '';
    get.setEncoding('utf8');
    get.on('data', (chunk: string) => (body += chunk));
    await within(once(get, 'end'), 5_000, 'GET body');
    expect(body).toBe('2.0 /node?x=1');
  });
});

