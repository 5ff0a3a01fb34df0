// The client against a raw-socket server that breaks the protocol on purpose: every failure path
// of the handshake and of the frames, with the exact event order and CloseEvent fields, and the
// bytes the client puts on the wire (RFC 6455 §7.1.7: a failed connection sends the close code;
// §7.1.5: with no Close received, the CloseEvent says 1006, as in browsers).
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, buildFrames, close, OP, ping, readClose, text, type FrameSpec } from '../../helpers/frames.ts';
import { closed, next, record, WebSocket } from './helpers.ts';
import { acceptHeaders, responseHead, startRawServer, stopRawServers, type RawConnection } from './raw-server.ts';
import type { ErrorEvent } from '../../../runtime/ws/client/events.ts';

afterEach(stopRawServers);

/** A client connected to a fresh raw server, with its events recorded from the start. */
async function connect(protocols?: string | string[]) {
  const server = await startRawServer();
  const ws = new WebSocket(server.url, protocols);
  const events = record(ws);
  const done = closed(ws);
  const connection = await server.nextConnection();
  return { server, ws, events, done, connection };
}

/** Opens the connection (valid 101) and waits for the client's open event. */
async function opened() {
  const setup = await connect();
  setup.connection.accept();
  await next(setup.ws, 'open');
  return setup;
}

const failedHandshake = [
  { type: 'error', readyState: WebSocket.CLOSED },
  { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
];

describe('handshake failures: error, then close 1006, never open', () => {
  const cases: Array<[name: string, answer: (connection: RawConnection) => void, protocols: string | undefined, code: string]> = [
    ['a wrong Sec-WebSocket-Accept', (c) => c.accept({ 'Sec-WebSocket-Accept': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }), undefined, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['no Sec-WebSocket-Accept', (c) => c.accept({ 'Sec-WebSocket-Accept': undefined }), undefined, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['two Sec-WebSocket-Accept headers', (c) => c.write(twoAccepts(c)), undefined, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['no Upgrade header', (c) => c.accept({ Upgrade: undefined }), undefined, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['Upgrade: h2c', (c) => c.accept({ Upgrade: 'h2c' }), undefined, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['no Connection: Upgrade', (c) => c.accept({ Connection: 'keep-alive' }), undefined, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['an unoffered subprotocol', (c) => c.accept({ 'Sec-WebSocket-Protocol': 'chat' }), undefined, 'KRANDOG_WS_HANDSHAKE_PROTOCOL'],
    ['a subprotocol other than those offered', (c) => c.accept({ 'Sec-WebSocket-Protocol': 'c' }), 'a,b', 'KRANDOG_WS_HANDSHAKE_PROTOCOL'],
    ['no subprotocol when some were offered', (c) => c.accept(), 'a,b', 'KRANDOG_WS_HANDSHAKE_PROTOCOL'],
    ['both offered subprotocols at once', (c) => c.accept({ 'Sec-WebSocket-Protocol': 'a, b' }), 'a,b', 'KRANDOG_WS_HANDSHAKE_PROTOCOL'],
    ['an unoffered extension', (c) => c.accept({ 'Sec-WebSocket-Extensions': 'x-unoffered' }), undefined, 'KRANDOG_WS_HANDSHAKE_EXTENSION'],
    ['permessage-deflate with client_max_window_bits but no value', (c) => c.accept({ 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }), undefined, 'KRANDOG_WS_HANDSHAKE_EXTENSION'],
    ['permessage-deflate with an unknown parameter', (c) => c.accept({ 'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover; x=1' }), undefined, 'KRANDOG_WS_HANDSHAKE_EXTENSION'],
    ['a malformed extension header', (c) => c.accept({ 'Sec-WebSocket-Extensions': 'x; y="' }), undefined, 'KRANDOG_WS_HANDSHAKE_EXTENSION'],
    ['200 OK', (c) => c.write(responseHead('HTTP/1.1 200 OK', { 'Content-Length': '2' }) + 'hi'), undefined, 'KRANDOG_WS_HANDSHAKE_STATUS'],
    ['403 Forbidden', (c) => c.write(responseHead('HTTP/1.1 403 Forbidden', { 'Content-Length': '0' })), undefined, 'KRANDOG_WS_HANDSHAKE_STATUS'],
  ];

  it.each(cases)('%s', async (_name, answer, protocols, code) => {
    const { ws, events, done, connection } = await connect(protocols?.split(','));
    answer(connection);
    const { error } = await done;
    expect(events).toEqual(failedHandshake);
    expect((error!.error as { code: string }).code).toBe(code);
    expect(error!.message).not.toBe('');
    expect(ws.protocol).toBe('');
    expect(ws.extensions).toBe('');
  });

  it('accepts a 101 whatever its reason phrase (only the code counts)', async () => {
    const { ws, connection } = await connect();
    connection.accept({}, 'HTTP/1.1 101 OK');
    await next(ws, 'open');
    ws.close();
  });

  it('does not follow a redirect, even to a working server', async () => {
    const target = await startRawServer();
    const { events, done, connection } = await connect();
    connection.write(responseHead('HTTP/1.1 302 Found', { Location: target.url, 'Content-Length': '0' }));
    const { error } = await done;
    expect(events).toEqual(failedHandshake);
    expect(error!.message).toContain('302');
    expect(target.connections).toBe(0);
  });

  it('fails when the server closes the TCP connection instead of answering', async () => {
    const { events, done, connection } = await connect();
    connection.socket.end();
    await done;
    expect(events).toEqual(failedHandshake);
  });

  it('fails when nothing listens on the port (connection refused)', async () => {
    const server = await startRawServer();
    await stopRawServers();
    const ws = new WebSocket(server.url);
    const events = record(ws);
    const { error } = await closed(ws);
    expect(events).toEqual(failedHandshake);
    expect((error!.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('closes the socket of a refused 101', async () => {
    const { done, connection } = await connect();
    connection.accept({ 'Sec-WebSocket-Accept': 'wrong' });
    await done;
    await connection.ended;
  });
});

describe('protocol errors from the server: the code on the wire, close 1006 and wasClean false in the CloseEvent', () => {
  const cases: Array<[name: string, code: number, frame: FrameSpec]> = [
    ['a masked frame', 1002, { ...text('hi'), mask: true }],
    ['invalid UTF-8 in a text frame', 1007, text(Uint8Array.of(0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80))],
    ['a reserved opcode (3)', 1002, { opcode: 3, payload: 'x' }],
    ['a reserved control opcode (11)', 1002, { opcode: 11 }],
    ['RSV1 without an extension', 1002, { ...text('x'), rsv: 4 }],
    ['a 126-byte ping', 1002, ping(new Uint8Array(126))],
    ['a fragmented ping', 1002, { ...ping('x'), fin: false }],
    ['a continuation with nothing to continue', 1002, { opcode: OP.cont, payload: 'x' }],
    ['a close frame with a 1-byte body', 1002, { opcode: OP.close, payload: Uint8Array.of(3) }],
    ['a close frame with code 1005', 1002, close(1005)],
    ['a close frame with code 999', 1002, close(999)],
    ['a close reason that is not UTF-8', 1007, close(1000, Uint8Array.of(0xff))],
  ];

  it.each(cases)('%s: close %i on the wire, 1006 in the CloseEvent', async (_name, code, frame) => {
    const { events, done, connection } = await opened();
    connection.write(buildFrame(frame));
    const { close: event, error } = await done;
    expect(events.map((e) => e.type)).toEqual(['open', 'error', 'close']);
    expect([event.code, event.reason, event.wasClean]).toEqual([1006, '', false]);
    expect(error!.error).toMatchObject({ name: 'ProtocolError', closeCode: code });
    // The client told the server why, in a masked close frame, then ended TCP.
    const frames = await connection.waitForFrames(1);
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ opcode: OP.close, masked: true });
    expect(readClose(frames[0].payload).code).toBe(code);
    await connection.ended;
  });

  it('fails on invalid UTF-8 in the first fragment, before the message ends', async () => {
    const { events, done, connection } = await opened();
    connection.write(buildFrame(text(Uint8Array.of(0x61, 0xff), false)));
    const [closeFrame] = await connection.waitForFrames(1);
    expect(readClose(closeFrame.payload).code).toBe(1007);
    const { close: event } = await done;
    expect(events.map((e) => e.type)).toEqual(['open', 'error', 'close']);
    expect(event.code).toBe(1006);
  });
});

describe('the TCP connection lost', () => {
  it('mid-frame: close 1006, wasClean false, the partial message never delivered', async () => {
    const { events, done, connection } = await opened();
    // A 100-byte text frame of which 10 bytes arrive, then FIN.
    connection.write(buildFrame(text('x'.repeat(100))).subarray(0, 12));
    connection.socket.end();
    await done;
    expect(events).toEqual([
      { type: 'open', readyState: WebSocket.OPEN },
      { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
    ]);
  });

  it('by a reset: error, then close 1006', async () => {
    const { events, done, connection } = await opened();
    connection.socket.resetAndDestroy();
    await done;
    expect(events).toEqual([
      { type: 'open', readyState: WebSocket.OPEN },
      { type: 'error', readyState: WebSocket.CLOSED },
      { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
    ]);
  });

  it('after a whole message: the message, then close 1006', async () => {
    const { events, done, connection } = await opened();
    connection.write(buildFrame(text('last words')));
    connection.socket.end();
    await done;
    expect(events.map((e) => e.type)).toEqual(['open', 'message', 'close']);
    expect(events[2]).toMatchObject({ code: 1006, wasClean: false });
  });
});

describe('well-behaved raw server', () => {
  it('sends a correct handshake request: GET, Host, Upgrade, a 16-byte key, version 13, no Origin, the permessage-deflate offer', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(`${server.url}/chat/room?user=1`);
    const { requestLine, headers } = (await server.nextConnection()).request;
    expect(requestLine).toBe('GET /chat/room?user=1 HTTP/1.1');
    expect(headers.host).toBe(`127.0.0.1:${server.port}`);
    expect(headers.upgrade).toBe('websocket');
    expect(headers.connection).toBe('Upgrade');
    expect(headers['sec-websocket-version']).toBe('13');
    expect(Buffer.from(headers['sec-websocket-key'], 'base64')).toHaveLength(16);
    expect(headers).not.toHaveProperty('origin');
    expect(headers['sec-websocket-extensions']).toBe('permessage-deflate; client_max_window_bits');
    expect(headers).not.toHaveProperty('sec-websocket-protocol');
    ws.close();
  });

  it('uses a fresh key for every connection', async () => {
    const server = await startRawServer();
    const keys = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const ws = new WebSocket(server.url);
      keys.add((await server.nextConnection()).request.headers['sec-websocket-key']);
      ws.close();
    }
    expect(keys.size).toBe(5);
  });

  it('offers subprotocols in the given order and reports the chosen one', async () => {
    const { ws, connection } = await connect(['v2.chat', 'v1.chat']);
    expect(connection.request.headers['sec-websocket-protocol']).toBe('v2.chat, v1.chat');
    connection.accept({ 'Sec-WebSocket-Protocol': 'v1.chat' });
    await next(ws, 'open');
    expect(ws.protocol).toBe('v1.chat');
    ws.close();
  });

  it('masks every frame with a fresh key', async () => {
    const { ws, connection } = await opened();
    ws.send('same');
    ws.send('same');
    const frames = await connection.waitForFrames(2);
    expect(frames.map((frame) => [frame.masked, frame.payload.toString()])).toEqual([
      [true, 'same'],
      [true, 'same'],
    ]);
    const bytes = connection.bytes;
    // Both frames are 2 header bytes + 4 key bytes + 4 payload bytes.
    expect(bytes.subarray(2, 6).equals(bytes.subarray(12, 16))).toBe(false);
    ws.close();
  });

  it('answers a ping with a masked pong carrying the same payload', async () => {
    const { ws, connection } = await opened();
    connection.write(buildFrame(ping('are you there?')));
    const [pong] = await connection.waitForFrames(1);
    expect(pong).toMatchObject({ opcode: OP.pong, masked: true });
    expect(pong.payload.toString()).toBe('are you there?');
    ws.close();
  });

  it('delivers frames that arrive with the 101 after open', async () => {
    const { ws, events, connection } = await connect();
    connection.write(responseHead('HTTP/1.1 101 Switching Protocols', acceptHeaders(connection.request.headers['sec-websocket-key'])));
    // Same write as nothing else: the frame is in the same TCP segment as the response's end.
    connection.write(buildFrame(text('early')));
    await next(ws, 'message');
    expect(events).toEqual([
      { type: 'open', readyState: WebSocket.OPEN },
      { type: 'message', data: 'early' },
    ]);
    ws.close();
  });

  it('completes a server-initiated close: echoes the code, reports it cleanly', async () => {
    const { events, done, connection } = await opened();
    connection.write(buildFrames([text('bye soon'), close(4001, 'server says bye')], false));
    const [echo] = await connection.waitForFrames(1);
    expect(echo).toMatchObject({ opcode: OP.close, masked: true });
    expect(readClose(echo.payload)).toEqual({ code: 4001, reason: '' });
    connection.socket.end();
    await done;
    expect(events).toEqual([
      { type: 'open', readyState: WebSocket.OPEN },
      { type: 'message', data: 'bye soon' },
      { type: 'close', code: 4001, reason: 'server says bye', wasClean: true, readyState: WebSocket.CLOSED },
    ]);
  });

  it('reports 1005 for a close frame without a code', async () => {
    const { done, connection } = await opened();
    connection.write(buildFrame(close()));
    await connection.waitForFrames(1);
    connection.socket.end();
    const { close: event } = await done;
    expect([event.code, event.reason, event.wasClean]).toEqual([1005, '', true]);
  });

  it('runs microtasks between two messages that arrived in one TCP chunk', async () => {
    const { ws, connection } = await opened();
    const order: string[] = [];
    ws.onmessage = (event) => {
      order.push(`message ${(event as MessageEvent).data}`);
      queueMicrotask(() => order.push(`microtask after ${(event as MessageEvent).data}`));
    };
    connection.write(buildFrames([text('1'), text('2')], false));
    await new Promise<void>((resolve) => ws.addEventListener('message', (e) => (e as MessageEvent).data === '2' && setImmediate(resolve)));
    expect(order).toEqual(['message 1', 'microtask after 1', 'message 2', 'microtask after 2']);
    ws.close();
  });

  it('lets a listener that awaits the next message between two messages see both', async () => {
    const { ws, connection } = await opened();
    const nextData = () => new Promise((resolve) => (ws.onmessage = (event) => resolve((event as MessageEvent).data)));
    const first = nextData();
    connection.write(buildFrames([text('a'), text('b')], false));
    expect(await first).toBe('a');
    expect(await nextData()).toBe('b');
    ws.close();
  });

  it('drops messages that arrive after close() was called', async () => {
    const { ws, events, done, connection } = await opened();
    ws.onmessage = () => ws.close(1000);
    connection.write(buildFrames([text('one'), text('two'), text('three')], false));
    const frames = await connection.waitForFrames(1);
    expect(readClose(frames[0].payload).code).toBe(1000);
    connection.write(buildFrame(close(1000)));
    connection.socket.end();
    await done;
    expect(events.map((e) => e.type)).toEqual(['open', 'message', 'close']);
    expect(events[2]).toMatchObject({ code: 1000, wasClean: true });
  });

  it('exposes the reason of a failure on the ErrorEvent', async () => {
    const { done, connection } = await opened();
    connection.write(buildFrame({ ...text('x'), mask: true }));
    const { error } = await done;
    expect((error as ErrorEvent).message).toMatch(/masked/);
  });
});

/** A 101 with the right Sec-WebSocket-Accept twice (a response no client may accept). */
function twoAccepts(connection: RawConnection): string {
  const headers = acceptHeaders(connection.request.headers['sec-websocket-key']);
  const accept = headers['Sec-WebSocket-Accept'];
  return responseHead('HTTP/1.1 101 Switching Protocols', headers).replace('\r\n\r\n', `\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}
