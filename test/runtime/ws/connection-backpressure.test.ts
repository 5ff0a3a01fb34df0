// Connection's backpressure limit, over real TCP: a large message is not a slow peer, a peer that
// stops reading is.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketConnection as Connection } from '../../../runtime/ws/transport/socket-transport.ts';

const MiB = 1024 * 1024;
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** A server-role Connection on one end of a loopback TCP connection; the other end is returned raw. */
async function connectionPair(backpressureLimit: number, stallTimeoutMs?: number) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [[socket]] = await Promise.all([once(server, 'connection'), once(raw, 'connect')]);
  let closeCode: number | undefined;
  const connection = new Connection(socket as net.Socket, { isServer: true, backpressureLimit, stallTimeoutMs }, {
    onMessage() {},
    onClose(code) {
      closeCode = code;
    },
  });
  connection.start();
  raw.on('error', () => {});
  cleanups.push(() => {
    raw.destroy();
    connection.terminate();
    server.close();
  });
  return { connection, raw, socket: socket as net.Socket, closeCode: () => closeCode };
}

describe('Connection backpressure limit', () => {
  it('sends one message larger than the limit to a reading peer, even while corked', async () => {
    const { connection, raw, socket } = await connectionPair(1 * MiB);
    let received = 0;
    raw.on('data', (chunk: Buffer) => (received += chunk.length));
    // A reply written while a read is being handled: the socket is corked, nothing reaches the kernel yet.
    socket.cork();
    const result = connection.send(Buffer.alloc(4 * MiB));
    socket.uncork();
    expect(result).toBe(-1);
    expect(connection.readyState).toBe(1);
    await expect.poll(() => received, { timeout: 10_000 }).toBe(4 * MiB + 10);
  });

  it('closes with 1008 a peer that stops reading once it holds back more than the limit', async () => {
    const { connection, raw, closeCode } = await connectionPair(1 * MiB, 200);
    raw.pause();
    // Messages of later ticks, as a script that ignores -1 sends them: accepted until the peer is judged.
    const results: number[] = [];
    const chunk = Buffer.alloc(256 * 1024);
    while (connection.readyState === 1 && results.length < 400) {
      results.push(connection.send(chunk));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(results.slice(0, 3)).toEqual([256 * 1024, 256 * 1024, 256 * 1024]);
    expect(results).toContain(-1);
    expect(results.length, 'closed long before 100 MiB were queued').toBeLessThan(400);
    await expect.poll(closeCode).toBe(1008);
  });

  it('keeps a peer that reads slowly but steadily, however far past the limit it is', async () => {
    // The kernel reports room only once about half its send buffer (MiBs on loopback) is free:
    // progress shows every ~2 MiB here, so the stall timeout must outlast that under load.
    const { connection, raw, closeCode } = await connectionPair(1 * MiB, 1_000);
    let received = 0;
    raw.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // At most about 16 MiB/s: longer than the stall timeout to take what one loop queued.
      raw.pause();
      setTimeout(() => raw.resume(), 4);
    });
    for (let i = 0; i < 96; i++) expect(connection.send(Buffer.alloc(256 * 1024))).toBe(i < 3 ? 256 * 1024 : -1);
    const total = 96 * (256 * 1024 + 10);
    await expect.poll(() => (received === total || closeCode() !== undefined ? 'done' : received), { timeout: 20_000 }).toBe('done');
    expect({ closeCode: closeCode(), received }).toEqual({ closeCode: undefined, received: total });
    expect(connection.readyState).toBe(1);
  });
});
