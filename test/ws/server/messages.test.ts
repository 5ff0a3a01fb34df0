// Messages end to end against the `ws` package's client: the seed's function handler, the request
// fields, text and binary of every length class up to 16 MiB, and what send() returns.
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, OP } from '../../helpers/frames.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import type { WebSocketMessageRequest } from '../../../runtime/ws/server/hooks.ts';
import { RawClient, deferred, nextMessage, nextMessages, openClient, startServer, stopServers, upgradeRequest } from './harness.ts';

afterEach(stopServers);

/** The seed's style: a function handler that echoes every WebSocket message. */
function echoHandler(req: WebSocketMessageRequest | { type: 'http' }) {
  if (req.type === 'websocket') {
    req.ws.send(req.data);
    return;
  }
  return { status: 200, body: 'ok' };
}

describe('function handler (the seed style)', () => {
  it('gets { type, ws, data, pathname, headers, query } for every message, with the same ws each time', async () => {
    const seen: WebSocketMessageRequest[] = [];
    const { url } = await startServer((req: WebSocketMessageRequest) => {
      if (req.type === 'websocket') seen.push(req);
      return undefined;
    });
    const client = await openClient(`${url}/room/a%20b?name=ann&tag=x&tag=y`, undefined, { headers: { 'X-Team': 'blue' } });
    client.send('first');
    client.send(Buffer.from([1, 2, 3]));
    client.send('third');
    await expect.poll(() => seen.length).toBe(3);
    expect(Object.keys(seen[0]).sort()).toEqual(['data', 'headers', 'pathname', 'query', 'type', 'ws']);
    expect(seen[0]).toMatchObject({ type: 'websocket', data: 'first', pathname: '/room/a%20b' });
    expect({ ...seen[0].query }).toEqual({ name: 'ann', tag: ['x', 'y'] });
    expect(seen[0].headers['x-team']).toBe('blue');
    expect(Buffer.isBuffer(seen[1].data)).toBe(true);
    expect(seen[1].data).toEqual(Buffer.from([1, 2, 3]));
    expect(seen[2].ws).toBe(seen[0].ws);
    expect(seen[2].query).toBe(seen[0].query);
    client.close();
  });

  it('still answers plain HTTP on the same server', async () => {
    const { port } = await startServer(echoHandler);
    const response = await fetch(`http://127.0.0.1:${port}/`);
    expect(await response.text()).toBe('ok');
  });

  it('delivers frames that arrived in the same read as the upgrade request (Node’s `head`)', async () => {
    const { port } = await startServer(echoHandler);
    const raw = await RawClient.connect(port);
    // One write: the handshake and two masked text frames right behind it.
    raw.write(
      Buffer.concat([
        Buffer.from(upgradeRequest('/')),
        buildFrame({ opcode: OP.text, payload: 'early one', mask: true }),
        buildFrame({ opcode: OP.text, payload: 'early two', mask: true }),
      ]),
    );
    expect((await raw.response()).status).toBe(101);
    const frames = await raw.waitForFrames(2);
    expect(frames.map((frame) => [frame.opcode, frame.masked, frame.payload.toString()])).toEqual([
      [OP.text, false, 'early one'],
      [OP.text, false, 'early two'],
    ]);
    raw.destroy();
  });

  it('keeps frames that arrive while an async upgrade hook is still deciding', async () => {
    const upgradeCalled = deferred<void>();
    let releaseUpgrade!: () => void;
    const { port } = await startServer({
      websocket: {
        upgrade() {
          upgradeCalled.resolve();
          return new Promise<void>((resolve) => (releaseUpgrade = resolve));
        },
        message: (ws: ServerWebSocket, data: string) => ws.send(data),
      },
    });
    const raw = await RawClient.connect(port);
    raw.write(Buffer.concat([Buffer.from(upgradeRequest('/')), buildFrame({ opcode: OP.text, payload: 'in head', mask: true })]));
    await upgradeCalled.promise;
    // Sent before the server has answered: it has to wait in the paused socket, not get lost.
    await new Promise((resolve) => raw.socket.write(buildFrame({ opcode: OP.text, payload: 'while deciding', mask: true }), resolve));
    // Handed to the kernel (loopback: it is in the server's receive queue); two turns of the event loop
    // let the server's socket see it readable before the upgrade is let through.
    for (let turn = 0; turn < 2; turn++) await new Promise(setImmediate);
    releaseUpgrade();
    expect((await raw.response()).status).toBe(101);
    const frames = await raw.waitForFrames(2);
    expect(frames.map((frame) => frame.payload.toString())).toEqual(['in head', 'while deciding']);
    raw.destroy();
  });
});

describe('echo of text and binary messages (ws client)', () => {
  // Every header length class (7-bit, 16-bit, 64-bit) and its edges, up to the 16 MiB default maxPayload.
  const sizes = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 * 1024 * 1024];

  it.each(sizes)('echoes a %i-byte binary message byte for byte', async (size) => {
    const { url } = await startServer(echoHandler);
    const client = await openClient(url);
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
    const reply = nextMessage(client);
    client.send(payload);
    const { data, isBinary } = await reply;
    expect(isBinary).toBe(true);
    expect(data.length).toBe(size);
    expect(data.equals(payload)).toBe(true);
    client.close();
  });

  it.each(sizes)('echoes a %i-byte text message (multi-byte UTF-8) as text', async (size) => {
    const { url } = await startServer(echoHandler);
    const client = await openClient(url);
    // 'é' is two bytes and '€' three: cut the pattern to exactly `size` bytes on a code point boundary.
    const unit = 'aé€';
    const text = unit.repeat(Math.floor(size / 6)) + 'a'.repeat(size % 6);
    expect(Buffer.byteLength(text)).toBe(size);
    const reply = nextMessage(client);
    client.send(text);
    const { data, isBinary } = await reply;
    expect(isBinary).toBe(false);
    expect(data.toString()).toBe(text);
    client.close();
  });

  it('reassembles a fragmented message before calling the handler', async () => {
    const { url } = await startServer(echoHandler);
    const client = await openClient(url);
    const reply = nextMessage(client);
    client.send('frag', { fin: false });
    client.send('ment', { fin: false });
    client.send('ed', { fin: true });
    expect((await reply).data.toString()).toBe('fragmented');
    client.close();
  });

  it('keeps order over many messages sent back to back', async () => {
    const { url } = await startServer(echoHandler);
    const client = await openClient(url);
    const replies = nextMessages(client, 1000);
    for (let i = 0; i < 1000; i++) client.send(`message ${i}`);
    expect((await replies).map((message) => message.data.toString())).toEqual(Array.from({ length: 1000 }, (_, i) => `message ${i}`));
    client.close();
  });
});

describe('ws.send()', () => {
  it('sends ArrayBuffer, typed arrays and DataView as binary, strings as text', async () => {
    const { url } = await startServer({
      websocket: {
        open(ws: ServerWebSocket) {
          ws.send(new Uint8Array([1, 2]).buffer);
          ws.send(new Uint16Array([0x0403]).subarray(0, 1));
          ws.send(new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2));
          ws.send('text');
        },
      },
    });
    const client = await openClient(url);
    const messages = await nextMessages(client, 4);
    expect(messages.map(({ data, isBinary }) => [isBinary, isBinary ? [...data] : data.toString()])).toEqual([
      [true, [1, 2]],
      [true, [0x03, 0x04]],
      [true, [8, 7]],
      [false, 'text'],
    ]);
    client.close();
  });

  it("returns the message's size while at most backpressureLimit waits, -1 past it and 0 once closed", async () => {
    const results: number[] = [];
    let socket: ServerWebSocket | undefined;
    const { url } = await startServer({
      websocket: {
        open(ws: ServerWebSocket) {
          socket = ws;
          results.push(ws.send('hello'));
          // Nothing of this tick has reached the kernel: 8 MiB wait, then 17 MiB, over the 16 MiB limit.
          results.push(ws.send(Buffer.alloc(8 * 1024 * 1024)));
          results.push(ws.send(Buffer.alloc(9 * 1024 * 1024)));
        },
      },
    });
    const client = await openClient(url);
    await expect.poll(() => results.length).toBe(3);
    expect(results).toEqual([5, 8 * 1024 * 1024, -1]); // message bytes, not frame bytes
    expect(socket!.bufferedAmount).toBeGreaterThan(0);
    socket!.close();
    expect(socket!.send('late')).toBe(0);
    client.close();
  });

  it('throws a TypeError that names the fix for an object', async () => {
    const thrown: unknown[] = [];
    const { url } = await startServer({
      websocket: {
        open(ws: ServerWebSocket) {
          try {
            ws.send({ a: 1 } as never);
          } catch (error) {
            thrown.push(error);
          }
          ws.send('still open');
        },
      },
    });
    const client = await openClient(url);
    expect((await nextMessage(client)).data.toString()).toBe('still open');
    expect(thrown[0]).toBeInstanceOf(TypeError);
    expect(String(thrown[0])).toMatch(/JSON\.stringify/);
    client.close();
  });
});
