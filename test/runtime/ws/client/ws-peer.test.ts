// The client against the `ws` package's server (an independent implementation) on 127.0.0.1:0:
// text and binary both ways up to 16 MiB, fragmented messages, pings, close codes and reasons,
// subprotocols, custom headers, Blob ordering and bufferedAmount.
import { createHash, randomBytes } from 'node:crypto';
import { Blob } from 'node:buffer';
import { afterEach, describe, expect, it } from 'vitest';
import type { RawData, WebSocket as PeerSocket } from 'ws';
import { closed, messages, next, openClient, record, startPeer, stopPeers, WebSocket } from '../../../helpers/ws-client.ts';

afterEach(stopPeers);

/** A `ws` server that echoes every message with its type. */
async function echoPeer() {
  const peer = await startPeer({ maxPayload: 64 * 1024 * 1024 });
  peer.server.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  return peer;
}

/** Resolves with the next message the server-side socket receives. */
function received(socket: PeerSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => socket.once('message', (data: RawData, isBinary) => resolve({ data: data as Buffer, isBinary })));
}

/** A client connected to a fresh `ws` server, and that server's side of the connection. */
async function connectPair(options?: Parameters<typeof startPeer>[0]): Promise<{ ws: WebSocket; socket: PeerSocket }> {
  const peer = await startPeer(options);
  const serverSide = peer.nextSocket();
  const ws = await openClient(peer.url);
  return { ws, socket: await serverSide };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('messages both ways', () => {
  it('echoes text, including non-ASCII and empty strings', async () => {
    const ws = await openClient((await echoPeer()).url);
    const texts = ['hello', '', 'héllo wörld ✓ 🦊', 'x'.repeat(70_000)];
    for (const text of texts) ws.send(text);
    expect(await messages(ws, texts.length)).toEqual(texts);
    ws.close();
  });

  const sizes = [0, 1, 125, 126, 65535, 65536, 1024 * 1024, 16 * 1024 * 1024];
  it.each(sizes)('echoes %i binary bytes as an ArrayBuffer', async (size) => {
    const ws = await openClient((await echoPeer()).url);
    ws.binaryType = 'arraybuffer';
    const payload = randomBytes(size);
    ws.send(payload);
    const [data] = await messages(ws, 1);
    expect(data).toBeInstanceOf(ArrayBuffer);
    expect((data as ArrayBuffer).byteLength).toBe(size);
    expect(sha(new Uint8Array(data as ArrayBuffer))).toBe(sha(payload));
    ws.close();
  });

  it.each([0, 200, 100_000])('delivers %i binary bytes as a Blob by default', async (size) => {
    const ws = await openClient((await echoPeer()).url);
    expect(ws.binaryType).toBe('blob');
    const payload = randomBytes(size);
    ws.send(payload);
    const [data] = await messages(ws, 1);
    expect(data).toBeInstanceOf(Blob);
    expect(Buffer.from(await (data as Blob).arrayBuffer()).equals(payload)).toBe(true);
    ws.close();
  });

  it('sends 16 MiB to the server intact', async () => {
    const peer = await startPeer({ maxPayload: 64 * 1024 * 1024 });
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    const message = received(await serverSide);
    const payload = randomBytes(16 * 1024 * 1024);
    ws.send(payload);
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(payload.length);
    const { data, isBinary } = await message;
    expect(isBinary).toBe(true);
    expect(sha(data)).toBe(sha(payload));
    // Everything left the socket: bufferedAmount falls back to 0 (in a later task).
    while (ws.bufferedAmount > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
  });

  it('counts what send() queued during the current task in bytes of UTF-8 and binary, without framing', async () => {
    const ws = await openClient((await echoPeer()).url);
    expect(ws.bufferedAmount).toBe(0);
    ws.send('abc');
    ws.send('é✓🦊');
    ws.send(new Uint8Array(300));
    ws.send(new Blob(['blob']));
    expect(ws.bufferedAmount).toBe(3 + 9 + 300 + 4);
    await messages(ws, 4);
    while (ws.bufferedAmount > 0) await new Promise((resolve) => setImmediate(resolve));
    ws.close();
  });

  it('sends every binary form: ArrayBuffer, typed arrays, a DataView, a Buffer slice, a Blob', async () => {
    const { ws, socket } = await connectPair();
    const got: string[] = [];
    socket.on('message', (data: RawData, isBinary) => got.push(`${isBinary ? 'binary' : 'text'}:${(data as Buffer).toString('hex')}`));
    const backing = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7).buffer;
    ws.send(backing);
    ws.send(new Uint16Array(backing, 2, 2));
    ws.send(new DataView(backing, 6, 2));
    ws.send(Buffer.from('abcdef').subarray(2, 4));
    ws.send(new Blob([Uint8Array.of(0xfe), 'ok']));
    ws.send('text');
    await new Promise<void>((resolve) => socket.on('message', () => got.length === 6 && resolve()));
    expect(got).toEqual([
      'binary:0001020304050607',
      'binary:02030405',
      'binary:0607',
      'binary:6364',
      'binary:fe6f6b',
      `text:${Buffer.from('text').toString('hex')}`,
    ]);
    ws.close();
  });

  it('keeps send order across Blobs (they are read asynchronously)', async () => {
    const { ws, socket } = await connectPair();
    const got: string[] = [];
    socket.on('message', (data: RawData) => got.push((data as Buffer).toString()));
    ws.send('1');
    ws.send(new Blob(['2']));
    ws.send('3');
    ws.send(new Blob(['4'.repeat(1_000_000)]));
    ws.send(Buffer.from('5'));
    ws.send(new Blob(['6']));
    ws.close(4000, 'after the blobs');
    const [code, reason] = await new Promise<[number, string]>((resolve) => socket.on('close', (c, r) => resolve([c, r.toString()])));
    expect(got.map((message) => message.slice(0, 1))).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(got[3]).toHaveLength(1_000_000);
    expect([code, reason]).toEqual([4000, 'after the blobs']);
  });

  it('sends a typed array as it was when send() was called, even behind a Blob', async () => {
    const { ws, socket } = await connectPair();
    const got: string[] = [];
    socket.on('message', (data: RawData) => got.push((data as Buffer).toString()));
    const bytes = Buffer.from('before');
    ws.send(new Blob(['blob']));
    ws.send(bytes);
    bytes.write('AFTER!');
    await new Promise<void>((resolve) => socket.on('message', () => got.length === 2 && resolve()));
    expect(got).toEqual(['blob', 'before']);
    ws.close();
  });
});

describe('frames from the server', () => {
  it('delivers a fragmented text message whole, even with a code point cut between fragments', async () => {
    const { ws, socket } = await connectPair();
    const bytes = Buffer.from('fragmented 🦊 message');
    socket.send(bytes.subarray(0, 12), { fin: false, binary: false });
    socket.send(bytes.subarray(12, 13), { fin: false, binary: false });
    socket.send(bytes.subarray(13), { fin: true, binary: false });
    expect(await messages(ws, 1)).toEqual(['fragmented 🦊 message']);
    ws.close();
  });

  it('delivers a binary message of 100 fragments whole', async () => {
    const peer = await startPeer();
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    ws.binaryType = 'arraybuffer';
    const socket = await serverSide;
    const payload = randomBytes(100 * 1000);
    for (let i = 0; i < 100; i++) socket.send(payload.subarray(i * 1000, (i + 1) * 1000), { fin: i === 99, binary: true });
    const [data] = await messages(ws, 1);
    expect(Buffer.from(data as ArrayBuffer).equals(payload)).toBe(true);
    ws.close();
  });

  it('answers pings with pongs carrying the same payload', async () => {
    const { ws, socket } = await connectPair();
    const pongs: string[] = [];
    socket.on('pong', (data) => pongs.push(data.toString()));
    socket.ping('one');
    socket.ping('');
    socket.ping('x'.repeat(125));
    socket.send('after the pings');
    await messages(ws, 1);
    await new Promise<void>((resolve) => (pongs.length === 3 ? resolve() : socket.on('pong', () => pongs.length === 3 && resolve())));
    expect(pongs).toEqual(['one', '', 'x'.repeat(125)]);
    ws.close();
  });
});

describe('closing', () => {
  it.each([
    [1000, 'done'],
    [1001, 'going away'],
    [1011, ''],
    [4999, 'é'.repeat(61)],
  ])('reports the server closing with %i %j cleanly', async (code, reason) => {
    const peer = await startPeer();
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    const events = record(ws);
    (await serverSide).close(code, reason);
    await next(ws, 'close');
    expect(events).toEqual([{ type: 'close', code, reason, wasClean: true, readyState: WebSocket.CLOSED }]);
  });

  it('reports 1005 when the server closes without a code', async () => {
    const peer = await startPeer();
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    (await serverSide).close();
    const { close: event } = await closed(ws);
    expect([event.code, event.reason, event.wasClean]).toEqual([1005, '', true]);
  });

  it.each([
    [[3000, 'app'], 3000, 'app'],
    [[1000], 1000, ''],
    [[undefined, 'reason only'], 1000, 'reason only'],
    [[], 1005, ''],
  ] as Array<[[number?, string?], number, string]>)('close(%j): the server gets %i %j, the client closes cleanly', async (args, code, reason) => {
    const { ws, socket } = await connectPair();
    const serverClose = new Promise<[number, string]>((resolve) => socket.on('close', (c, r) => resolve([c, r.toString()])));
    ws.close(...args);
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    const { close: event } = await closed(ws);
    expect(await serverClose).toEqual([code, reason]);
    // ws echoes the code it received (and 1005 as an empty close frame).
    expect([event.code, event.wasClean]).toEqual([code, true]);
  });

  it('a server terminating the connection gives 1006, wasClean false', async () => {
    const peer = await startPeer();
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url);
    (await serverSide).terminate();
    const { close: event } = await closed(ws);
    expect([event.code, event.wasClean]).toEqual([1006, false]);
  });

  it('after close(), send() only grows bufferedAmount and nothing leaves', async () => {
    const { ws, socket } = await connectPair();
    const got: unknown[] = [];
    socket.on('message', (data) => got.push(data));
    ws.close();
    ws.send('héllo');
    ws.send(new ArrayBuffer(10));
    ws.send(new Uint32Array(4));
    ws.send(new Blob(['12345']));
    const sent = 6 + 10 + 16 + 5;
    expect(ws.bufferedAmount).toBe(sent);
    await closed(ws);
    ws.send('x');
    expect(ws.bufferedAmount).toBe(sent + 1);
    expect(got).toEqual([]);
  });
});

describe('handshake with ws', () => {
  it('agrees on the subprotocol the server picks from those offered', async () => {
    const peer = await startPeer({ handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) });
    const serverSide = peer.nextSocket();
    const ws = await openClient(peer.url, ['v1', 'v2', 'v3']);
    expect(ws.protocol).toBe('v2');
    expect((await serverSide).protocol).toBe('v2');
    ws.close();
  });

  it('fails when ws picks none of the offered subprotocols', async () => {
    const peer = await startPeer({ handleProtocols: () => false });
    const ws = new WebSocket(peer.url, 'chat');
    const events = record(ws);
    await closed(ws);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
  });

  it('sends custom headers from the options object', async () => {
    const peer = await startPeer();
    const request = new Promise<Record<string, string | string[] | undefined>>((resolve) => peer.server.on('connection', (_s, req) => resolve(req.headers)));
    const ws = new WebSocket(peer.url, {
      protocols: ['chat'],
      headers: { Authorization: 'Bearer secret', 'X-Trace': 'abc', Origin: 'https://example.com', Cookie: 'a=1' },
    });
    const headers = await request;
    expect(headers).toMatchObject({
      authorization: 'Bearer secret',
      'x-trace': 'abc',
      origin: 'https://example.com',
      cookie: 'a=1',
      'sec-websocket-protocol': 'chat',
    });
    await next(ws, 'open');
    expect(ws.protocol).toBe('chat');
    ws.close();
  });

  it('sends no Origin header by default', async () => {
    const peer = await startPeer();
    const request = new Promise<Record<string, unknown>>((resolve) => peer.server.on('connection', (_s, req) => resolve(req.headers)));
    const ws = await openClient(peer.url);
    expect(await request).not.toHaveProperty('origin');
    ws.close();
  });

  it('sends URL credentials as Basic authentication', async () => {
    const peer = await startPeer();
    const request = new Promise<Record<string, unknown>>((resolve) => peer.server.on('connection', (_s, req) => resolve(req.headers)));
    const ws = await openClient(`ws://us%40er:p%3Ass@127.0.0.1:${peer.port}/`);
    expect((await request).authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    ws.close();
  });

  it('maps http: URLs to ws: and reaches the server', async () => {
    const peer = await startPeer();
    const ws = await openClient(`http://127.0.0.1:${peer.port}/path?q=1`);
    expect(ws.url).toBe(`ws://127.0.0.1:${peer.port}/path?q=1`);
    ws.close();
  });

  it('fails with 1006 when the server refuses the upgrade with 401', async () => {
    const peer = await startPeer({ verifyClient: (_info, done) => done(false, 401, 'no') });
    const ws = new WebSocket(peer.url);
    const events = record(ws);
    const { error } = await closed(ws);
    expect(events.map((event) => event.type)).toEqual(['error', 'close']);
    expect(events[1]).toMatchObject({ code: 1006, wasClean: false });
    expect(error!.message).toContain('401');
  });
});
