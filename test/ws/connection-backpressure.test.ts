// Connection's backpressure limit, over real TCP: a large message is not a slow peer, a peer that
// stops reading is.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Connection } from '../../runtime/ws/connection.ts';

const MiB = 1024 * 1024;
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** A server-role Connection on one end of a loopback TCP connection; the other end is returned raw. */
async function connectionPair(backpressureLimit: number) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [[socket]] = await Promise.all([once(server, 'connection'), once(raw, 'connect')]);
  let closeCode: number | undefined;
  const connection = new Connection(socket as net.Socket, { isServer: true, backpressureLimit }, {
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

  it('closes with 1008 a peer that stops reading once its unread bytes pass the limit', async () => {
    const { connection, raw, closeCode } = await connectionPair(1 * MiB);
    raw.pause();
    const results: number[] = [];
    // Bounded loop: the limit must stop it long before 64 MiB are queued.
    for (let i = 0; i < 256 && connection.readyState === 1; i++) results.push(connection.send(Buffer.alloc(256 * 1024)));
    expect(results.at(-1)).toBe(0);
    expect(results.filter((result) => result === -1).length).toBeGreaterThan(0);
    expect(results.length).toBeLessThan(256);
    await expect.poll(closeCode).toBe(1008);
  });
});
