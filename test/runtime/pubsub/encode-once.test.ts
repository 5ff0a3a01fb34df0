// One publish, many subscribers: the frame is encoded once, and compressed once per deflate
// configuration among the subscribers, whatever their number. The encoder and the compressor are
// counted while the (synchronous) publish runs.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type WebSocket from 'ws';
import * as encoder from '../../../runtime/ws/protocol/frame-encoder.ts';
import { PerMessageDeflate } from '../../../runtime/ws/extensions/permessage-deflate.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import { nextMessages, openClient, RawClient, startInProcessServer, stopServers, upgradeRequest } from '../../helpers/ws-server.ts';

vi.mock('../../../runtime/ws/protocol/frame-encoder.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../runtime/ws/protocol/frame-encoder.ts')>();
  return { ...original, encodeMessage: vi.fn(original.encodeMessage) };
});

afterEach(async () => {
  vi.restoreAllMocks();
  await stopServers();
});

const PLAIN = 30;
const DEFLATE = 15;
const DEFLATE_SMALL_WINDOW = 10;

/** Counts encoder and compressor calls made by `action`. */
function countCalls(action: () => void): { encodeMessage: number; compress: number } {
  const encodeMessage = vi.mocked(encoder.encodeMessage);
  const compress = vi.spyOn(PerMessageDeflate.prototype, 'compress');
  encodeMessage.mockClear();
  action();
  const counts = { encodeMessage: encodeMessage.mock.calls.length, compress: compress.mock.calls.length };
  compress.mockRestore();
  return counts;
}

describe('one publish to many subscribers', () => {
  it(`encodes once for ${PLAIN} plain subscribers and once per deflate configuration for the others`, async () => {
    const sockets: ServerWebSocket[] = [];
    const { server, url } = await startInProcessServer(
      {
        websocket: {
          open(ws: ServerWebSocket) {
            ws.subscribe('t');
            sockets.push(ws);
          },
        },
      },
      { perMessageDeflate: true },
    );
    const clients: WebSocket[] = [];
    for (let i = 0; i < PLAIN; i++) clients.push(await openClient(url));
    for (let i = 0; i < DEFLATE; i++) clients.push(await openClient(url, undefined, { perMessageDeflate: true }));
    for (let i = 0; i < DEFLATE_SMALL_WINDOW; i++) {
      clients.push(await openClient(url, undefined, { perMessageDeflate: { serverMaxWindowBits: 10 } }));
    }
    while (sockets.length < clients.length) await new Promise((resolve) => setImmediate(resolve));
    expect(new Set(sockets.map((ws) => ws.extensions)).size).toBe(3);
    expect(server.subscriberCount('t')).toBe(clients.length);

    const text = 'a message worth compressing '.repeat(100);
    const textCounts = countCalls(() => expect(server.publish('t', text)).toBe(text.length));
    // One text frame for the plain ones; one compression and one frame per deflate configuration.
    expect(textCounts).toEqual({ encodeMessage: 3, compress: 2 });

    const bytes = Buffer.from(text);
    const binaryCounts = countCalls(() => server.publish('t', bytes));
    expect(binaryCounts).toEqual({ encodeMessage: 3, compress: 2 });

    // Below the compression threshold every subscriber shares the one plain frame.
    const smallCounts = countCalls(() => server.publish('t', 'small'));
    expect(smallCounts).toEqual({ encodeMessage: 1, compress: 0 });

    for (const client of clients) {
      const messages = await nextMessages(client, 3);
      expect(messages.map((message) => [message.isBinary, message.data.toString()])).toEqual([
        [false, text],
        [true, text],
        [false, 'small'],
      ]);
    }
  });

  it('encodes a string that a send loop sends to many sockets once, and compresses it once per configuration', async () => {
    const sockets: ServerWebSocket[] = [];
    const { url } = await startInProcessServer({ websocket: { open: (ws: ServerWebSocket) => void sockets.push(ws) } }, { perMessageDeflate: true });
    const clients: WebSocket[] = [];
    for (let i = 0; i < 5; i++) clients.push(await openClient(url));
    for (let i = 0; i < 5; i++) clients.push(await openClient(url, undefined, { perMessageDeflate: true }));
    while (sockets.length < clients.length) await new Promise((resolve) => setImmediate(resolve));
    const text = 'a message worth compressing '.repeat(100);
    const counts = countCalls(() => {
      for (const ws of sockets) expect(ws.send(text)).toBe(text.length);
    });
    expect(counts).toEqual({ encodeMessage: 2, compress: 1 });
    for (const client of clients) expect((await nextMessages(client, 1))[0].data.toString()).toBe(text);
  });

  it('puts the same bytes on every plain wire, and RSV1-compressed frames on deflate wires', async () => {
    const { server, port } = await startInProcessServer({ websocket: { open: (ws: ServerWebSocket) => ws.subscribe('t') } }, { perMessageDeflate: true });
    const plain = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
    const deflating = await RawClient.connect(port);
    for (const client of plain) client.write(upgradeRequest('/'));
    deflating.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
    for (const client of [...plain, deflating]) expect((await client.response()).status).toBe(101);
    while (server.subscriberCount('t') < 3) await new Promise((resolve) => setImmediate(resolve));

    const text = 'x'.repeat(2000);
    server.publish('t', text);
    const [first, second] = await Promise.all(plain.map((client) => client.waitForFrames(1)));
    expect(first[0]).toMatchObject({ opcode: 1, rsv: 0 });
    expect(first[0].payload.toString()).toBe(text);
    expect(second[0].payload.equals(first[0].payload)).toBe(true);
    const [compressed] = await deflating.waitForFrames(1);
    expect(compressed).toMatchObject({ opcode: 1, rsv: 0b100 });
    expect(compressed.payload.length).toBeLessThan(100);
    for (const client of [...plain, deflating]) client.destroy();
  });
});
