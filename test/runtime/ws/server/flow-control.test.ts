// Inbound flow control against real peers: `sequentialMessages` (one async handler at a time per
// connection, in order, the sender held back by TCP) and ws.pause()/ws.resume() (nothing delivered
// while paused, nothing lost or reordered, the close and the keepalive across a pause).
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerWebSocket } from '../../../../runtime/ws/server/server-socket.ts';
import { resolveWebSocketOptions } from '../../../../runtime/ws/server/options.ts';
import { RawClient, clientClosed, deferred, openClient, startInProcessServer, stopServers, upgradeRequest } from '../../../helpers/ws-server.ts';
import { binary, buildFrames, cont, ping, text, type FrameSpec } from '../../../helpers/frames.ts';
import { createRng, seedFor } from '../../../helpers/chunks.ts';
import { within } from '../../../helpers/within.ts';

afterEach(stopServers);

const KiB = 1024;
const MiB = 1024 * KiB;

/** Message `index`: its index in the first 4 bytes, then `bytes - 4` bytes of a pattern of it. */
function numbered(index: number, bytes: number): Buffer {
  const message = Buffer.alloc(bytes, index & 0xff);
  message.writeUInt32BE(index, 0);
  return message;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Resolves after one turn of the event loop, its I/O polled on the way. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('sequentialMessages', () => {
  it('rejects a value that is not a boolean', () => {
    expect(() => resolveWebSocketOptions({ sequentialMessages: 'yes' as unknown as boolean })).toThrow(/options\.sequentialMessages must be a boolean/);
    expect(resolveWebSocketOptions({}).sequentialMessages).toBe(false);
  });

  it('runs one async handler at a time, in order, and TCP holds the fast sender back', async () => {
    const count = 10_000;
    const bytes = 8 * KiB; // 80 MiB in all: more than the kernel's buffers on both sides hold
    const frameBytes = 2 + 2 + 4 + bytes; // header with a 16-bit length and a mask, then the payload
    let client: WebSocket | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    let nextIndex = 0;
    let handshakeBytes = -1;
    let maxUnconsumed = 0;
    let clientBufferedAt1000 = -1;
    const done = deferred<void>();
    const failures: string[] = [];
    const { url } = await startInProcessServer(
      {
        websocket: {
          open(ws: ServerWebSocket) {
            handshakeBytes = ws.wireBytes.read;
          },
          async message(ws: ServerWebSocket, data: Buffer) {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            const index = data.readUInt32BE(0);
            if (index !== nextIndex || !data.equals(numbered(index, bytes))) failures.push(`got message ${index} where ${nextIndex} was due`);
            nextIndex = index + 1;
            // What the server read and has not delivered yet: the memory a fast sender costs it.
            maxUnconsumed = Math.max(maxUnconsumed, ws.wireBytes.read - handshakeBytes - nextIndex * frameBytes);
            if (index === 1_000) clientBufferedAt1000 = client!.bufferedAmount;
            // A real await that lets the event loop poll the socket before it settles: a timer now
            // and then, a turn of the loop (setImmediate runs after the poll phase) otherwise.
            // Either way a read the server should not make would happen meanwhile.
            await (index % 100 === 0 ? sleep(1) : nextTurn());
            inFlight--;
            if (nextIndex === count) done.resolve();
          },
        },
      },
      { sequentialMessages: true },
    );
    client = await openClient(url);
    for (let index = 0; index < count; index++) client.send(numbered(index, bytes));
    await within(done.promise, 120_000, `the server handled ${nextIndex} of ${count} messages`);

    expect(failures).toEqual([]);
    expect(nextIndex).toBe(count);
    expect(maxInFlight).toBe(1);
    // The sender still held most of its 80 MiB when the server was at message 1,000 (8 MiB in):
    // the server stopped reading, the kernel's buffers filled, and TCP held the client back.
    expect(clientBufferedAt1000).toBeGreaterThan(16 * MiB);
    // The server itself never held more than a few socket reads of undelivered bytes.
    expect(maxUnconsumed).toBeLessThan(1 * MiB);
    client.close();
  }, 150_000);

  it('without it, async handlers of one connection overlap (the default, as in Bun and ws)', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let handled = 0;
    const done = deferred<void>();
    const { url } = await startInProcessServer({
      websocket: {
        async message() {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(1);
          inFlight--;
          if (++handled === 100) done.resolve();
        },
      },
    });
    const client = await openClient(url);
    for (let index = 0; index < 100; index++) client.send(numbered(index, 64));
    await within(done.promise, 20_000, 'the server did not handle 100 messages');
    expect(maxInFlight).toBeGreaterThan(1);
    client.close();
  });

  it('waits for a function handler (the seed style) too', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: number[] = [];
    const done = deferred<void>();
    const { url } = await startInProcessServer(
      async (req: { type: string; data: Buffer }) => {
        if (req.type !== 'websocket') return { body: 'ok' };
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        seen.push(req.data.readUInt32BE(0));
        await sleep(1);
        inFlight--;
        if (seen.length === 100) done.resolve();
        return undefined;
      },
      { sequentialMessages: true },
    );
    const client = await openClient(url);
    for (let index = 0; index < 100; index++) client.send(numbered(index, 64));
    await within(done.promise, 20_000, `the server handled ${seen.length} of 100 messages`);
    expect(maxInFlight).toBe(1);
    expect(seen).toEqual(Array.from({ length: 100 }, (_, index) => index));
    client.close();
  });

  it('goes on after a handler rejects (the error is logged), and after a synchronous handler', async () => {
    const seen: number[] = [];
    const done = deferred<void>();
    const { url } = await startInProcessServer(
      {
        websocket: {
          message(_ws: ServerWebSocket, data: Buffer) {
            const index = data.readUInt32BE(0);
            seen.push(index);
            if (index === 299) done.resolve();
            if (index % 3 === 0) return undefined; // synchronous: not waited for
            return sleep(0).then(() => {
              if (index % 3 === 1) throw new Error(`handler ${index} rejects on purpose`);
            });
          },
        },
      },
      { sequentialMessages: true },
    );
    const client = await openClient(url);
    for (let index = 0; index < 300; index++) client.send(numbered(index, 16));
    await within(done.promise, 20_000, `the server handled ${seen.length} of 300 messages`);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, index) => index));
    client.close();
  });

  it('keeps ws.pause() in force while a handler is awaited, and the other way round', async () => {
    const seen: number[] = [];
    let pausedSocket: ServerWebSocket | undefined;
    const first = deferred<void>();
    const handlerDone = deferred<void>();
    const finish = deferred<void>();
    const all = deferred<void>();
    const { url } = await startInProcessServer(
      {
        websocket: {
          async message(ws: ServerWebSocket, data: Buffer) {
            const index = data.readUInt32BE(0);
            seen.push(index);
            if (index === 0) {
              ws.pause();
              pausedSocket = ws;
              first.resolve();
              await finish.promise;
              handlerDone.resolve();
            }
            if (index === 9) all.resolve();
          },
        },
      },
      { sequentialMessages: true },
    );
    const client = await openClient(url);
    for (let index = 0; index < 10; index++) client.send(numbered(index, 16));
    await within(first.promise, 10_000, 'message 0 never came');
    // resume() while the handler is still awaited: the handler's promise still holds the input.
    pausedSocket!.resume();
    await sleep(50);
    expect(seen).toEqual([0]);
    finish.resolve();
    await handlerDone.promise;
    await within(all.promise, 10_000, `got ${seen.join(',')}`);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    client.close();
  });
});

/**
 * A stream of frames a client may send: single-frame text and binary messages of many sizes,
 * fragmented ones, and pings between fragments. Returns the frames and the messages they make.
 */
function mixedTraffic(rng: () => number, messageCount: number): { frames: FrameSpec[]; messages: Array<string | Buffer> } {
  const frames: FrameSpec[] = [];
  const messages: Array<string | Buffer> = [];
  for (let index = 0; index < messageCount; index++) {
    const size = rng() < 0.1 ? Math.floor(rng() * 70_000) : Math.floor(rng() * 300);
    const payload = numbered(index, Math.max(4, size));
    const kind = rng();
    if (kind < 0.4) {
      frames.push(binary(payload));
      messages.push(payload);
    } else if (kind < 0.7) {
      const words = `message ${index} ` + 'é€'.repeat(Math.floor(size / 5));
      frames.push(text(words));
      messages.push(words);
    } else {
      // Fragmented binary, with a ping between two of its fragments.
      const cut = Math.floor(payload.length / 2);
      frames.push(binary(payload.subarray(0, cut), false), ping('p'), cont(payload.subarray(cut)));
      messages.push(payload);
    }
  }
  return { frames, messages };
}

describe('ws.pause() and ws.resume()', () => {
  it('loses and reorders nothing across many pause/resume cycles, whatever the read boundaries', async () => {
    const rng = createRng(seedFor('flow-control pause cycles'));
    const { frames, messages } = mixedTraffic(rng, 3_000);
    const received: Array<string | Buffer> = [];
    let deliveredWhilePaused = 0;
    const done = deferred<void>();
    const { port } = await startInProcessServer({
      websocket: {
        message(ws: ServerWebSocket, data: string | Buffer) {
          if (ws.isPaused) deliveredWhilePaused++;
          // The parser reuses its buffer for assembled text, and binary views share the read: copy.
          received.push(typeof data === 'string' ? data : Buffer.from(data));
          if (received.length === messages.length) return done.resolve();
          const roll = rng();
          if (roll < 0.2) {
            ws.pause();
            setTimeout(() => ws.resume(), Math.floor(rng() * 3));
          } else if (roll < 0.3) {
            ws.pause();
            queueMicrotask(() => ws.resume());
          } else if (roll < 0.35) {
            ws.pause();
            ws.resume(); // within the handler: the read goes straight on
          }
        },
      },
    });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest());
    await raw.response();
    // Written in pieces of random size, so reads end inside headers, payloads and fragments.
    const wire = buildFrames(frames, true);
    for (let offset = 0; offset < wire.length; ) {
      const piece = 1 + Math.floor(rng() * 20_000);
      raw.write(wire.subarray(offset, offset + piece));
      offset += piece;
      if (rng() < 0.1) await sleep(0);
    }
    await within(done.promise, 60_000, `the server got ${received.length} of ${messages.length} messages`);

    expect(deliveredWhilePaused).toBe(0);
    expect(received.length).toBe(messages.length);
    for (let index = 0; index < messages.length; index++) {
      const want = messages[index];
      const got = received[index];
      const same = typeof want === 'string' ? got === want : Buffer.isBuffer(got) && got.equals(want);
      if (!same) throw new Error(`message ${index} differs`);
    }
    // Every ping between fragments was answered once the input went on.
    const pings = frames.filter((frame) => frame.opcode === 0x9).length;
    await raw.waitFor(() => raw.frames().filter((frame) => frame.opcode === 0xa).length === pings, `${pings} pongs`);
    raw.destroy();
  }, 90_000);

  it('delivers nothing while paused from the open hook, then everything in order', async () => {
    const seen: number[] = [];
    let socket: ServerWebSocket | undefined;
    const opened = deferred<void>();
    const all = deferred<void>();
    const { url } = await startInProcessServer({
      websocket: {
        open(ws: ServerWebSocket) {
          ws.pause();
          socket = ws;
          opened.resolve();
        },
        message(ws: ServerWebSocket, data: Buffer) {
          seen.push(data.readUInt32BE(0));
          if (ws.isPaused) throw new Error('delivered while paused');
          if (seen.length === 200) all.resolve();
        },
      },
    });
    const client = await openClient(url);
    await opened.promise;
    for (let index = 0; index < 200; index++) client.send(numbered(index, 1000));
    // The messages reached the server's machine (the client's buffer emptied), and none came through.
    await within(
      (async () => {
        while (client.bufferedAmount > 0) await sleep(5);
      })(),
      10_000,
      'the client never flushed',
    );
    await sleep(50);
    expect(seen).toEqual([]);
    expect(socket!.isPaused).toBe(true);
    socket!.resume();
    expect(socket!.isPaused).toBe(false);
    await within(all.promise, 10_000, `got ${seen.length} of 200`);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, index) => index));
    client.close();
  });

  it.each([
    ['closes', (client: WebSocket) => client.close(1000, 'bye'), 1000, 'bye'],
    ['drops TCP', (client: WebSocket) => client.terminate(), 1006, ''],
  ] as const)('delivers what came before the peer %s while paused, then the close', async (_name, end, code, reason) => {
    const seen: number[] = [];
    const events: string[] = [];
    let socket: ServerWebSocket | undefined;
    const first = deferred<void>();
    const closed = deferred<void>();
    const { url } = await startInProcessServer({
      websocket: {
        message(ws: ServerWebSocket, data: Buffer) {
          seen.push(data.readUInt32BE(0));
          if (seen.length === 1) {
            ws.pause();
            socket = ws;
            first.resolve();
          }
        },
        close(_ws: ServerWebSocket, closeCode: number, closeReason: string) {
          events.push(`close ${closeCode} ${closeReason}`);
          closed.resolve();
        },
      },
    });
    const client = await openClient(url);
    const clientSaw = code === 1000 ? clientClosed(client) : undefined;
    for (let index = 0; index < 50; index++) client.send(numbered(index, 500));
    end(client);
    await within(first.promise, 10_000, 'message 0 never came');
    await sleep(100); // the rest and the close reach the paused server
    expect(seen).toEqual([0]);
    expect(events).toEqual([]);
    socket!.resume();
    await within(closed.promise, 10_000, 'the close never came');
    expect(seen).toEqual(Array.from({ length: 50 }, (_, index) => index));
    expect(events).toEqual([`close ${code} ${reason}`]);
    if (clientSaw !== undefined) expect((await clientSaw).code).toBe(1000);
  });

  it('keepalive leaves a paused connection alone, and counts again from resume()', async () => {
    const seen: number[] = [];
    let socket: ServerWebSocket | undefined;
    const first = deferred<void>();
    const all = deferred<void>();
    const { url } = await startInProcessServer(
      {
        websocket: {
          message(ws: ServerWebSocket, data: Buffer) {
            seen.push(data.readUInt32BE(0));
            if (seen.length === 1) {
              ws.pause();
              socket = ws;
              first.resolve();
            }
            if (seen.length === 20) all.resolve();
          },
        },
      },
      { idleTimeout: 200, pingInterval: 0 },
    );
    const client = await openClient(url);
    const clientSaw = clientClosed(client);
    client.send(numbered(0, 16));
    await within(first.promise, 10_000, 'message 0 never came');
    // The peer goes on sending while the server is paused for several idle timeouts.
    for (let index = 1; index < 20; index++) {
      client.send(numbered(index, 16));
      await sleep(50);
    }
    expect(client.readyState).toBe(WebSocket.OPEN);
    socket!.resume();
    await within(all.promise, 10_000, `got ${seen.length} of 20`);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, index) => index));
    // Silent and no longer paused: the idle timeout applies again.
    expect(await clientSaw).toEqual({ code: 1001, reason: 'idle timeout' });
  });

  it('ws.close() while paused still finishes the close handshake', async () => {
    const closes: Array<[number, boolean]> = [];
    const done = deferred<void>();
    const { url } = await startInProcessServer({
      websocket: {
        message(ws: ServerWebSocket) {
          ws.pause();
          setTimeout(() => ws.close(4000, 'done'), 20);
        },
        close(ws: ServerWebSocket, code: number) {
          closes.push([code, ws.readyState === 3]);
          done.resolve();
        },
      },
    });
    const client = await openClient(url);
    const clientSaw = clientClosed(client);
    client.send('hello');
    expect(await clientSaw).toEqual({ code: 4000, reason: 'done' });
    await within(done.promise, 10_000, 'the server never closed');
    expect(closes).toEqual([[4000, true]]);
  });
});
