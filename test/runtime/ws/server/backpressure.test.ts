// Backpressure against real peers: what one synchronous loop queues is not a slow peer (every byte
// reaches a `ws` client that reads, in order, with no close), a peer that stops reading is (1008),
// and send() reports the same thing both ways.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import WebSocket, { Receiver } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, OP } from '../../../helpers/frames.ts';
import type { ServerWebSocket } from '../../../../runtime/ws/server/server-socket.ts';
import { RawClient, clientClosed, deferred, openClient, startInProcessServer, stopServers, upgradeRequest } from '../../../helpers/ws-server.ts';
import { within } from '../../../helpers/within.ts';

afterEach(stopServers);

const KiB = 1024;
const MiB = 1024 * KiB;

/** Message `index` of a burst: its index in the first 4 bytes, then a byte pattern of it. */
function burstMessage(index: number, bytes: number): Buffer {
  const message = Buffer.alloc(bytes, index & 0xff);
  message.writeUInt32BE(index, 0);
  return message;
}

/** Checks `received` are burstMessage(0..count-1) of `bytes` each, in order. */
function expectBurst(received: Buffer[], count: number, bytes: number): void {
  expect(received.length).toBe(count);
  for (let index = 0; index < count; index++) {
    const message = received[index];
    if (message.length !== bytes || message.readUInt32BE(0) !== index || !message.equals(burstMessage(index, bytes))) {
      throw new Error(`message ${index} is wrong: ${message.length} bytes, index ${message.length >= 4 ? message.readUInt32BE(0) : '?'}`);
    }
  }
}

/**
 * A `ws` client that reads everything: resolves with the first `count` messages, or rejects if the
 * connection closes before they came.
 */
function collect(client: WebSocket, count: number): Promise<Buffer[]> {
  const received: Buffer[] = [];
  const all = new Promise<Buffer[]>((resolve, reject) => {
    client.on('message', (data: Buffer) => {
      received.push(data);
      if (received.length === count) resolve(received);
    });
    client.once('close', (code) => reject(new Error(`closed with ${code} after ${received.length} of ${count} messages`)));
  });
  const result = within(all, 60_000, `client did not get ${count} messages in time`);
  result.catch(() => {}); // reported where awaited; not again as unhandled when a test failed first
  return result;
}

async function openBinaryClient(url: string): Promise<WebSocket> {
  const client = await openClient(url);
  client.removeAllListeners('message'); // collect() records them; no second copy in the harness inbox
  return client;
}

describe('a burst from one synchronous loop reaches a peer that reads', () => {
  /** A server that sends `count` × `bytes` in one loop when the client says "go". */
  async function burstServer(count: number, bytes: number) {
    const results: number[] = [];
    const closes: number[] = [];
    const { url } = await startInProcessServer({
      websocket: {
        message(ws: ServerWebSocket) {
          for (let index = 0; index < count; index++) results.push(ws.send(burstMessage(index, bytes)));
        },
        close: (_ws: ServerWebSocket, code: number) => closes.push(code),
      },
    });
    return { url, results, closes };
  }

  it.each([
    ['17 × 1 MiB', 17, MiB],
    ['2,000 × 10 KiB', 2_000, 10 * KiB],
    ['64 MiB as 64 × 1 MiB', 64, MiB],
    ['64 MiB as 4,096 × 16 KiB', 4_096, 16 * KiB],
  ])('%s: every byte, in order, no close', async (_name, count, bytes) => {
    const { url, results, closes } = await burstServer(count, bytes);
    const client = await openBinaryClient(url);
    const messages = collect(client, count);
    client.send('go');
    expectBurst(await messages, count, bytes);
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(closes).toEqual([]);
    // Accepted, every one: the message's size until more than backpressureLimit (16 MiB) waited, -1 after.
    const limitIndex = results.findIndex((result) => result === -1);
    expect(results.every((result) => result === bytes || result === -1)).toBe(true);
    if (count * bytes > 16 * MiB) expect(limitIndex).toBeGreaterThan(0);
    else expect(limitIndex).toBe(-1);
    client.close();
  });

  it('server.publish of 64 MiB (4,096 × 16 KiB) and of 17,000 × 1 KiB to 10 subscribers that read', async () => {
    const opened = deferred<void>();
    let open = 0;
    const closes: number[] = [];
    const { url, server } = await startInProcessServer({
      websocket: {
        open(ws: ServerWebSocket) {
          ws.subscribe('burst');
          if (++open === 10) opened.resolve();
        },
        close: (_ws: ServerWebSocket, code: number) => closes.push(code),
      },
    });
    const clients = await Promise.all(Array.from({ length: 10 }, () => openBinaryClient(url)));
    await within(opened.promise, 10_000, 'subscribers never opened');
    for (const [count, bytes] of [
      [4_096, 16 * KiB],
      [17_000, KiB],
    ]) {
      const received = clients.map((client) => collect(client, count));
      const results: number[] = [];
      for (let index = 0; index < count; index++) results.push(server.publish('burst', burstMessage(index, bytes)));
      expect(results.every((result) => result === bytes)).toBe(true);
      for (const messages of await Promise.all(received)) expectBurst(messages, count, bytes);
      for (const client of clients) client.removeAllListeners('message').removeAllListeners('close');
    }
    expect(closes).toEqual([]);
    expect(clients.every((client) => client.readyState === WebSocket.OPEN)).toBe(true);
    for (const client of clients) client.close();
  }, 120_000); // 810 MiB delivered in-process: past 30 s on a busy machine; each burst is bounded by collect()'s 60 s
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasOpenssl)('over TLS (wss://)', () => {
  it('a 32 MiB burst arrives whole and in order, and drain fires after -1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'krandog-backpressure-tls-'));
    try {
      const [keyFile, certFile] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
      const made = spawnSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=krandog test',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
      ]);
      if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
      const [key, cert] = [readFileSync(keyFile), readFileSync(certFile)];
      const count = 32;
      const results: number[] = [];
      const drained = deferred<number>();
      const { port } = await startInProcessServer(
        {
          websocket: {
            message(ws: ServerWebSocket) {
              for (let index = 0; index < count; index++) results.push(ws.send(burstMessage(index, MiB)));
            },
            drain: (ws: ServerWebSocket) => drained.resolve(ws.bufferedAmount),
          },
        },
        { tls: { key, cert } },
      );
      const client = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: cert, perMessageDeflate: false });
      await within(once(client, 'open'), 10_000, 'wss client never opened');
      const messages = collect(client, count);
      client.send('go');
      expectBurst(await messages, count, MiB);
      expect(await within(drained.promise, 10_000, 'no drain after -1')).toBe(0);
      expect(results.slice(0, 15)).toEqual(Array(15).fill(MiB));
      expect(results.at(-1)).toBe(-1);
      client.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a compressing echo server', () => {
  it('echoes all of 8 compressed 3 MiB messages that came in one write', async () => {
    const count = 8;
    const { port } = await startInProcessServer({ websocket: { message: (ws: ServerWebSocket, data: Buffer) => ws.send(data) } }, { perMessageDeflate: true });
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_no_context_takeover' }));

    // The server's frames, read by ws's own parser (a client-side Receiver) after the 101.
    const echoes: Buffer[] = [];
    const allEchoed = deferred<void>();
    const receiver = new Receiver({ isServer: false, binaryType: 'nodebuffer', extensions: {}, maxPayload: 0 });
    receiver.on('message', (data: Buffer) => {
      echoes.push(data);
      if (echoes.length === count) allEchoed.resolve();
    });
    receiver.on('error', (error: Error) => socket.destroy(error));
    let head = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        expect(head.subarray(0, end).toString()).toMatch(/^HTTP\/1\.1 101[^]*permessage-deflate/i);
        chunk = head.subarray(end + 4);
        head = undefined!;
      }
      receiver.write(chunk);
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

    const messages = Array.from({ length: count }, (_, index) => burstMessage(index, 3 * MiB));
    const frames = messages.map((message) => {
      const compressed = deflateRawSync(message, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      return buildFrame({ opcode: OP.binary, rsv: 4, mask: true, payload: compressed.subarray(0, compressed.length - 4) });
    });
    socket.write(Buffer.concat(frames)); // all 8 in one write: the server echoes them from one read

    await within(Promise.race([allEchoed.promise, closed.then(() => Promise.reject(new Error(`closed after ${echoes.length} echoes`)))]), 60_000, `only ${echoes.length} echoes`);
    expectBurst(echoes, count, 3 * MiB);
    socket.destroy();
  });
});

describe('a peer that stops reading', () => {
  it('is closed with 1008 once it holds back more than backpressureLimit, and its TCP connection dropped', async () => {
    const results: number[] = [];
    const closed = deferred<number>();
    let started = false;
    // A script that ignores -1 and keeps sending, paced as a broadcast would be: 1 MiB every 10 ms.
    const flood = (ws: ServerWebSocket): void => {
      if (ws.readyState !== 1 || results.length >= 4_000) return;
      results.push(ws.send(Buffer.alloc(MiB)));
      setTimeout(flood, 10, ws);
    };
    const { port } = await startInProcessServer(
      {
        websocket: {
          open(ws: ServerWebSocket) {
            started = true;
            flood(ws);
          },
          close: (_ws: ServerWebSocket, code: number) => closed.resolve(code),
        },
      },
      { backpressureLimit: 4 * MiB },
    );
    const raw = await RawClient.connect(port);
    raw.socket.pause(); // reads nothing: the kernel's buffers fill, then the server's
    raw.write(upgradeRequest('/'));
    expect(await within(closed.promise, 20_000, 'the server never closed a peer that does not read')).toBe(1008);
    expect(started).toBe(true);
    expect(results).toContain(-1);
    // Bounded: closed seconds after the limit was passed, not after thousands of messages.
    expect(results.length).toBeLessThan(1_000);
    raw.socket.resume();
    await within(raw.closed, 10_000, 'server kept the TCP connection of a client that does not read');
  });
});

describe('send() returns', () => {
  it("the message's size in bytes when accepted, -1 past backpressureLimit (then drain), 0 once closed", async () => {
    const results: Record<string, number | number[]> = {};
    const drained = deferred<number>();
    const closedResult = deferred<number>();
    const { url } = await startInProcessServer(
      {
        websocket: {
          message(ws: ServerWebSocket, data: string) {
            if (data === 'sizes') {
              results.text = ws.send('0123456789');
              results.utf8 = ws.send('é€😀'); // 2 + 3 + 4 bytes of UTF-8
              results.binary = ws.send(Buffer.alloc(100_000));
              results.arrayBuffer = ws.send(new ArrayBuffer(70_000));
              results.oneMiB = ws.send(Buffer.alloc(MiB));
              ws.send('done');
            } else if (data === 'flood') {
              // 3 MiB with backpressureLimit 2.5 MiB: the third message is queued behind backpressure.
              results.flood = [ws.send(Buffer.alloc(MiB)), ws.send(Buffer.alloc(MiB)), ws.send(Buffer.alloc(MiB))];
            } else if (data === 'bye') {
              ws.close();
              closedResult.resolve(ws.send('late'));
            }
          },
          drain(ws: ServerWebSocket) {
            drained.resolve(ws.bufferedAmount);
          },
        },
      },
      { backpressureLimit: 2 * MiB + 512 * KiB },
    );
    const client = await openClient(url);
    const received: Array<string | number> = [];
    const done = deferred<void>();
    client.on('message', (data: Buffer, isBinary: boolean) => {
      received.push(isBinary ? data.length : data.toString());
      if (!isBinary && data.toString() === 'done') done.resolve();
    });
    client.send('sizes');
    await within(done.promise, 10_000, 'no reply');
    expect(results).toEqual({ text: 10, utf8: 9, binary: 100_000, arrayBuffer: 70_000, oneMiB: MiB });
    expect(received).toEqual(['0123456789', 'é€😀', 100_000, 70_000, MiB, 'done']);

    client.send('flood');
    expect(await within(drained.promise, 10_000, 'no drain after -1')).toBe(0);
    expect(results.flood).toEqual([MiB, MiB, -1]);

    const closing = clientClosed(client);
    client.send('bye');
    expect(await within(closedResult.promise, 10_000, 'no close')).toBe(0);
    expect((await closing).code).toBe(1000);
  });
});
