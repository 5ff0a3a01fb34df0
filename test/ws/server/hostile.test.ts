// A raw-socket client against the krandog server: malformed handshakes (status and a closed socket),
// malformed frames (the close code on the wire, then TCP closed by the server), and failures of one
// connection that must not touch the others.
import { afterEach, describe, expect, it } from 'vitest';
import { BAD_FRAME_AFTER_MESSAGE } from '../../helpers/bad-frame-cases.ts';
import { buildFrame, buildFrames, close, OP, readClose, type FrameSpec } from '../../helpers/frames.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import { RawClient, deferred, nextMessage, openClient, startServer, stopServers, upgradeRequest, within } from './harness.ts';

afterEach(stopServers);

const echo = { websocket: { message: (ws: ServerWebSocket, data: string | Buffer) => ws.send(data) } };

async function handshaken(port: number): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  raw.write(upgradeRequest('/'));
  expect((await raw.response()).status).toBe(101);
  return raw;
}

/** Sends `bytes` after the handshake; returns the close frame's code and waits for the server's FIN. */
async function closeCodeFor(port: number, bytes: Buffer): Promise<{ code: number; reason: string }> {
  const raw = await handshaken(port);
  raw.write(bytes);
  const frames = await raw.waitForFrames(1);
  const closeFrame = frames.find((frame) => frame.opcode === OP.close);
  expect(closeFrame, `expected a close frame, got opcodes ${frames.map((frame) => frame.opcode)}`).toBeDefined();
  await within(raw.ended, 5_000, 'the server did not close the TCP connection');
  raw.destroy();
  return readClose(closeFrame!.payload);
}

const masked = (spec: FrameSpec): Buffer => buildFrame({ mask: true, ...spec });

describe('malformed handshakes', () => {
  it.each([
    ['version 8', 426, upgradeRequest('/', { 'Sec-WebSocket-Version': '8' })],
    ['no version', 426, upgradeRequest('/', { 'Sec-WebSocket-Version': undefined })],
    ['no key', 400, upgradeRequest('/', { 'Sec-WebSocket-Key': undefined })],
    ['a short key', 400, upgradeRequest('/', { 'Sec-WebSocket-Key': 'c2hvcnQ=' })],
    // Upgrade: h2c is not a handshake at all: the request handler answers it (upgrade-routing.test.ts).
    ['POST', 400, upgradeRequest('/', {}, 'POST / HTTP/1.1')],
    ['HTTP/1.0', 400, upgradeRequest('/', {}, 'GET / HTTP/1.0')],
    ['a repeated subprotocol', 400, upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'a, a' })],
    // Node hands this one to the request handler, not to 'upgrade'; the seed's handler would answer 200.
    ['Upgrade: websocket without Connection: Upgrade', 400, upgradeRequest('/', { Connection: undefined })],
  ])('answers %s with %i and closes the socket', async (_name, status, request) => {
    const { port } = await startServer(echo);
    const raw = await RawClient.connect(port);
    raw.write(request);
    const response = await raw.response();
    expect(response.status).toBe(status);
    expect(response.headers.connection).toBe('close');
    if (status === 426) expect(response.headers['sec-websocket-version']).toBe('13');
    await within(raw.closed, 5_000, 'socket still open after a refused handshake');
  });

  it('answers the correct Sec-WebSocket-Accept for the RFC sample key', async () => {
    const { port } = await startServer(echo);
    const raw = await handshaken(port);
    const response = await raw.response();
    expect(response.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(response.headers.upgrade).toBe('websocket');
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    raw.destroy();
  });
});

describe('malformed frames (close code on the wire, then TCP closed by the server)', () => {
  it.each<[string, number, Buffer]>([
    ['an unmasked frame', 1002, buildFrame({ opcode: OP.text, payload: 'hi' })],
    ['invalid UTF-8 in a text frame', 1007, masked({ opcode: OP.text, payload: Buffer.from([0xce, 0xba, 0xff]) })],
    ['invalid UTF-8 in the first fragment (fail fast)', 1007, masked({ opcode: OP.text, payload: Buffer.from([0xed, 0xa0, 0x80]), fin: false })],
    ['a reserved opcode (3)', 1002, masked({ opcode: 3 })],
    ['a reserved control opcode (11)', 1002, masked({ opcode: 11 })],
    ['RSV1 without an extension', 1002, masked({ opcode: OP.text, payload: 'x', rsv: 4 })],
    ['a 126-byte ping', 1002, masked({ opcode: OP.ping, payload: Buffer.alloc(126) })],
    ['a fragmented ping', 1002, masked({ opcode: OP.ping, payload: 'x', fin: false })],
    ['a continuation without a message', 1002, masked({ opcode: OP.cont, payload: 'x' })],
    ['a new message inside a fragmented one', 1002, Buffer.concat([masked({ opcode: OP.text, payload: 'a', fin: false }), masked({ opcode: OP.text, payload: 'b' })])],
    ['close code 999', 1002, masked(close(999))],
    ['close code 1005', 1002, masked(close(1005))],
    ['a 1-byte close body', 1002, masked({ opcode: OP.close, payload: Buffer.from([0x03]) })],
    ['a close reason that is not UTF-8', 1007, masked(close(1000, Buffer.from([0xff, 0xfe])))],
    ['a 64-bit length with the top bit set', 1002, Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4])],
  ])('%s → %i', async (_name, code, bytes) => {
    const { port } = await startServer(echo);
    expect((await closeCodeFor(port, bytes)).code).toBe(code);
  });

  it('completes the close handshake a client starts, echoing its code, then closes TCP', async () => {
    const { port } = await startServer(echo);
    expect(await closeCodeFor(port, masked(close(4002, 'client leaving')))).toEqual({ code: 4002, reason: '' });
  });

  it('answers a ping with a pong carrying the same payload, between the fragments of a message', async () => {
    const { port } = await startServer(echo);
    const raw = await handshaken(port);
    raw.write(
      Buffer.concat([
        masked({ opcode: OP.text, payload: 'frag', fin: false }),
        masked({ opcode: OP.ping, payload: 'are you there' }),
        masked({ opcode: OP.cont, payload: 'ment' }),
      ]),
    );
    const frames = await raw.waitForFrames(2);
    expect(frames.map((frame) => [frame.opcode, frame.payload.toString()])).toEqual([
      [OP.pong, 'are you there'],
      [OP.text, 'fragment'],
    ]);
    raw.destroy();
  });
});

describe('a good message, then a bad frame, in one read', () => {
  it.each(BAD_FRAME_AFTER_MESSAGE.map((c) => [c.id, c] as const))('%s: the handler\'s echo goes out before the Close 1002, no pong', async (_id, { frames, delivered }) => {
    const { port } = await startServer(echo);
    const raw = await handshaken(port);
    raw.write(buildFrames(frames, true));
    await within(raw.ended, 5_000, 'the server did not close the TCP connection');
    const replies = raw.frames();
    expect(replies.map((frame) => frame.opcode)).toEqual([OP.text, OP.close]);
    expect(replies[0].payload.toString()).toBe(delivered);
    expect(readClose(replies[1].payload).code).toBe(1002);
    raw.destroy();
  });
});

describe('one broken connection does not affect the others', () => {
  async function healthyPeerWorks(url: string): Promise<void> {
    const client = await openClient(url);
    client.send('still fine');
    expect((await nextMessage(client)).data.toString()).toBe('still fine');
    client.close();
  }

  it('survives a reset (ECONNRESET) in the middle of a frame', async () => {
    const { port, url } = await startServer(echo);
    const healthy = await openClient(url);
    const raw = await handshaken(port);
    raw.write(masked({ opcode: OP.binary, payload: Buffer.alloc(100_000) }).subarray(0, 5000));
    raw.socket.resetAndDestroy();
    await within(raw.closed, 5_000, 'reset did not close');
    healthy.send('after the reset');
    expect((await nextMessage(healthy)).data.toString()).toBe('after the reset');
    await healthyPeerWorks(url);
    healthy.close();
  });

  it('survives a reset during the handshake', async () => {
    const hookCalled = deferred<void>();
    const hookWaited = deferred<void>();
    const { port, url } = await startServer({
      websocket: {
        async upgrade() {
          hookCalled.resolve();
          await new Promise((resolve) => setTimeout(resolve, 20));
          hookWaited.resolve();
        },
        message: (ws: ServerWebSocket, data: string) => ws.send(data),
      },
    });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/'));
    await within(hookCalled.promise, 5_000, 'the upgrade hook was never called'); // reset while it decides
    raw.socket.resetAndDestroy();
    await within(raw.closed, 5_000, 'reset did not close');
    // Let the slow upgrade hook finish on a dead socket, and the server act on its verdict.
    await within(hookWaited.promise, 5_000, 'the upgrade hook never finished');
    await new Promise(setImmediate);
    await healthyPeerWorks(url);
  });

  it('survives garbage after the handshake (closed with a protocol error)', async () => {
    const { port, url } = await startServer(echo);
    const garbage = Buffer.from('GET / HTTP/1.1\r\nthis is not a frame at all\r\n\r\n');
    // 'G' (0x47) reads as a frame header with RSV1 set: a protocol error.
    expect((await closeCodeFor(port, garbage)).code).toBe(1002);
    await healthyPeerWorks(url);
  });

  it('survives garbage instead of a handshake (Node answers 400)', async () => {
    const { port, url } = await startServer(echo);
    const raw = await RawClient.connect(port);
    raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a]));
    expect((await raw.response()).status).toBe(400);
    await healthyPeerWorks(url);
    raw.destroy();
  });

  it('ends a half-open connection (FIN without a close frame) with 1006', async () => {
    let closeCode: number | undefined;
    const { port, url } = await startServer({
      websocket: { ...echo.websocket, close: (_ws: ServerWebSocket, code: number) => (closeCode = code) },
    });
    const raw = await handshaken(port);
    raw.socket.end();
    await within(raw.closed, 5_000, 'server kept a half-open connection');
    await expect.poll(() => closeCode).toBe(1006);
    await healthyPeerWorks(url);
  });
});
