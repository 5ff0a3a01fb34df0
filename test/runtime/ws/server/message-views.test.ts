// Binary messages that arrive whole in one socket read are handed to the handler as views into that
// read's buffer, unmasked in place (no copy). That is only safe because Node's net module gives every
// read a buffer of its own (it would not with `onread`, which krandog does not set): proved here on a
// bare net server, then end to end: messages a handler keeps stay intact while later reads arrive.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, OP } from '../../../helpers/frames.ts';
import type { WebSocketMessageRequest } from '../../../../runtime/ws/server/hooks.ts';
import { RawClient, startInProcessServer, stopServers, upgradeRequest } from '../../../helpers/ws-server.ts';

afterEach(stopServers);

const ROUNDS = 30;

/** Resolves once `count()` reaches `target`; `poke` re-checks (call it whenever count may change). */
function counter(): { poke: () => void; reach: (count: () => number, target: number) => Promise<void> } {
  let waiter: (() => void) | undefined;
  return {
    poke: () => waiter?.(),
    reach: (count, target) =>
      new Promise<void>((resolve) => {
        waiter = () => {
          if (count() >= target) resolve();
        };
        waiter();
      }),
  };
}

describe('socket reads and message views', () => {
  it('Node gives every read of a net socket its own buffer: a chunk kept after "data" is never overwritten', async () => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    const arrived = counter();
    const server = net.createServer((socket) =>
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        receivedBytes += chunk.length;
        arrived.poke();
      }),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    try {
      for (let round = 0; round < ROUNDS; round++) {
        client.write(Buffer.alloc(1000, round));
        await arrived.reach(() => receivedBytes, (round + 1) * 1000);
      }
      expect(chunks.length).toBeGreaterThanOrEqual(ROUNDS);
      expect(new Set(chunks.map((chunk) => chunk.buffer)).size).toBe(chunks.length);
      expect(Buffer.concat(chunks).equals(Buffer.concat(Array.from({ length: ROUNDS }, (_, round) => Buffer.alloc(1000, round))))).toBe(true);
    } finally {
      client.destroy();
      server.close();
    }
  });

  it('keeps binary messages a handler holds on to intact while later reads arrive, though they are views of the reads', async () => {
    const kept: Buffer[] = [];
    const arrived = counter();
    const { port } = await startInProcessServer((req: WebSocketMessageRequest) => {
      if (req.type !== 'websocket') return undefined;
      kept.push(req.data as Buffer);
      arrived.poke();
      return undefined;
    });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/'));
    expect((await raw.response()).status).toBe(101);

    const expected: Buffer[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Three whole frames in one write: each lies wholly inside one read (one of 3000 bytes, past
      // the SIMD threshold, and two small ones on the word path).
      const payloads = [Buffer.alloc(3000, round * 3), Buffer.alloc(40, round * 3 + 1), Buffer.alloc(7, round * 3 + 2)];
      expected.push(...payloads);
      raw.write(Buffer.concat(payloads.map((payload) => buildFrame({ opcode: OP.binary, payload, mask: true }))));
      await arrived.reach(() => kept.length, expected.length);
    }
    expect(kept.map((message) => message.toString('hex'))).toEqual(expected.map((payload) => payload.toString('hex')));
    // They are views into the reads (the zero-copy path is the one tested), each read its own buffer.
    expect(kept.every((message) => message.buffer.byteLength > message.length)).toBe(true);
    raw.socket.destroy();
  });
});
