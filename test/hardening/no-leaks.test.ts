// Errors never leak internals to peers: every way a peer or a script can make krandog fail is
// answered with a status or close code and a short fixed text, never a stack, a file path or the
// thrown error's message (those go to stderr). The thrown errors below all carry SECRET and a path.
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerWebSocket } from '../../runtime/ws/server/server-socket.ts';
import { buildFrame, close, OP, readClose, type FrameSpec } from '../helpers/frames.ts';
import { closed as clientClosed, WebSocket } from '../ws/client/helpers.ts';
import { startRawServer, stopRawServers } from '../ws/client/raw-server.ts';
import { RawClient, startServer, stopServers, upgradeRequest, within } from '../ws/server/harness.ts';

const SECRET = 'SECRET-7f3a';
const secretError = () => new Error(`${SECRET} while reading /srv/app/secrets/db.js`);

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all([stopServers(), stopRawServers()]);
});

/** Text a peer may see: no stack frame, no absolute path, no Node internals, not the error's message. */
function expectNoInternals(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/\bat\s+\S+\s+\(|\bat\s+\S+:\d+:\d+|:\d+:\d+\)?$/m);
  expect(text).not.toMatch(/(?:^|[\s("'=])(?:\/[\w.@-]+){2,}/);
  expect(text).not.toMatch(/node:internal|file:\/\//);
}

const masked = (spec: FrameSpec) => buildFrame({ ...spec, mask: true });

async function handshaken(port: number, headers: Record<string, string> = {}): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  raw.write(upgradeRequest('/', headers));
  expect((await raw.response()).status).toBe(101);
  return raw;
}

const echo = { websocket: { message: (ws: ServerWebSocket, data: string | Buffer) => ws.send(data) } };

describe('WebSocket close reasons from the server', () => {
  it.each<[string, number, Buffer]>([
    ['an unmasked frame', 1002, buildFrame({ opcode: OP.text, payload: 'hi' })],
    ['reserved bits', 1002, masked({ opcode: OP.text, payload: 'x', rsv: 2 })],
    ['a reserved opcode', 1002, masked({ opcode: 5 })],
    ['invalid UTF-8', 1007, masked({ opcode: OP.text, payload: Buffer.from([0xed, 0xa0, 0x80]) })],
    ['a message over maxPayload', 1009, masked({ opcode: OP.binary, payload: Buffer.alloc(101) })],
    ['too many fragments', 1009, Buffer.concat([0, 1, 2].map((i) => masked({ opcode: i === 0 ? OP.text : OP.cont, payload: 'a', fin: false })))],
    ['a 126-byte ping', 1002, masked({ opcode: OP.ping, payload: Buffer.alloc(126) })],
    ['a 1-byte close body', 1002, masked({ opcode: OP.close, payload: Buffer.from([3]) })],
    ['close code 999', 1002, masked(close(999))],
    ['a close reason that is not UTF-8', 1007, masked(close(1000, Buffer.from([0xff])))],
  ])('%s: code %i, a reason without internals', async (_name, code, bytes) => {
    const { port } = await startServer(echo, { maxPayload: 100, maxFragments: 2 });
    const raw = await handshaken(port);
    raw.write(bytes);
    const [frame] = await raw.waitForFrames(1);
    const { code: sent, reason } = readClose(frame.payload);
    expect(sent).toBe(code);
    expectNoInternals(reason);
  });

  it('compressed messages that are not DEFLATE (1007) or inflate past maxPayload (1009) the same', async () => {
    const { port } = await startServer(echo, { maxPayload: 1000, perMessageDeflate: true });
    const offer = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };
    const cases: Array<[number, Buffer]> = [
      [1007, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00])],
      [1009, deflateRawSync(Buffer.alloc(5000)).subarray(0, -4)],
    ];
    for (const [code, payload] of cases) {
      const raw = await handshaken(port, offer);
      raw.write(masked({ opcode: OP.binary, payload, rsv: 4 }));
      const [frame] = await raw.waitForFrames(1);
      const { code: sent, reason } = readClose(frame.payload);
      expect(sent).toBe(code);
      expectNoInternals(reason);
    }
  });

  it('a message handler that throws sends the peer nothing about it, and the connection carries on', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { port } = await startServer((req: { type: string; ws: ServerWebSocket; data: string }) => {
      if (req.type !== 'websocket') return { body: 'http' };
      if (req.data === 'explode') throw secretError();
      req.ws.send(`echo ${req.data}`);
    });
    const raw = await handshaken(port);
    raw.write(Buffer.concat([masked({ opcode: OP.text, payload: 'explode' }), masked({ opcode: OP.text, payload: 'next' })]));
    const frames = await raw.waitForFrames(1);
    expect(frames.map((frame) => [frame.opcode, frame.payload.toString()])).toEqual([[OP.text, 'echo next']]);
    expect(String(errors.mock.calls[0]?.[0])).toContain(SECRET);
    raw.destroy();
  });
});

describe('refused upgrades', () => {
  it.each<[string, () => unknown]>([
    ['throws', () => { throw secretError(); }],
    ['rejects', () => Promise.reject(secretError())],
    ['chooses a subprotocol the client did not offer', () => ({ protocol: SECRET })],
  ])('an upgrade hook that %s: 500 with a fixed body; the detail goes to stderr', async (_name, upgrade) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { port } = await startServer({ websocket: { upgrade } });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/'));
    expect(await raw.response()).toMatchObject({ status: 500, body: 'Internal Server Error' });
    await within(raw.closed, 10_000, 'refused upgrade was not closed');
    expect(errors.mock.calls.flat().map(String).join('\n')).toContain(SECRET);
  });

  it('a malformed Sec-WebSocket-Extensions header: 400 naming the header only', async () => {
    const { port } = await startServer(echo);
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; x="unterminated' }));
    const { status, body } = await raw.response();
    expect(status).toBe(400);
    expect(body).toMatch(/^malformed Sec-WebSocket-Extensions header: /);
    expectNoInternals(body);
  });
});

describe('HTTP', () => {
  it.each<[string, () => unknown, string]>([
    ['throws', () => { throw secretError(); }, 'Internal Server Error'],
    ['rejects', () => Promise.reject(secretError()), 'Internal Server Error'],
    ['returns JSON that cannot be sent', () => ({ body: { n: 1n, note: SECRET } }), 'Internal Server Error'],
  ])('a handler that %s: 500, a body without internals', async (_name, handler, prefix) => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const { port } = await startServer(handler);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body.startsWith(prefix)).toBe(true);
    expectNoInternals(body);
  });
});

describe("krandog's WebSocket client", () => {
  it.each<[string, Buffer]>([
    ['a masked frame', masked({ opcode: OP.text, payload: 'x' })],
    ['invalid UTF-8', buildFrame({ opcode: OP.text, payload: Buffer.from([0xc0, 0xaf]) })],
    ['an oversized ping', buildFrame({ opcode: OP.ping, payload: Buffer.alloc(200) })],
  ])('closes a server that sends %s with a reason without internals', async (_name, bytes) => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url);
    const connection = await server.nextConnection();
    connection.accept();
    connection.write(bytes);
    await clientClosed(ws);
    const [frame] = await connection.waitForFrames(1);
    expect(frame.opcode).toBe(OP.close);
    expectNoInternals(readClose(frame.payload).reason);
  });
});
