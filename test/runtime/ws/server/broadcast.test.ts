// The seed's broadcast loop, exactly as issue 4 writes it, fanned out to 200 `ws` clients.
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { nextMessages, openClient, startInProcessServer, stopServers } from '../../../helpers/ws-server.ts';

afterEach(stopServers);

const CLIENTS = 200;

/** The handler of the seed example, unchanged but for the types. */
function seedServerHandler() {
  const clients: Array<{ readyState: number; send(data: unknown): void }> = [];
  return (req: { type: string; ws: { readyState: number; send(data: unknown): void }; data: unknown }) => {
    if (req.type === 'websocket') {
      if (!clients.includes(req.ws)) clients.push(req.ws);
      clients.forEach((c) => {
        if (c.readyState === 1) c.send(req.data);
      });
      return;
    }
    return { status: 200, body: 'ok' };
  };
}

describe('broadcast (the seed example)', () => {
  it(`delivers every message to all ${CLIENTS} clients, text and binary, skipping closed ones`, async () => {
    const { url } = await startInProcessServer(seedServerHandler());
    const clients: WebSocket[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await openClient(url));
    // The seed registers a client when it first sends: join one by one, each waits for its own echo.
    for (const [i, client] of clients.entries()) {
      client.send(`join ${i}`);
      const [own] = await nextMessages(client, 1);
      expect(own.data.toString()).toBe(`join ${i}`);
    }
    // Client i has since heard the joins of the CLIENTS - 1 - i clients after it; drain them.
    await Promise.all(clients.map((client, i) => nextMessages(client, CLIENTS - 1 - i)));

    clients[7].send('to everyone');
    clients[42].send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    const received = await Promise.all(clients.map((client) => nextMessages(client, 2)));
    for (const [first, second] of received) {
      expect([first.isBinary, first.data.toString()]).toEqual([false, 'to everyone']);
      expect([second.isBinary, [...second.data]]).toEqual([true, [0xde, 0xad, 0xbe, 0xef]]);
    }

    // A closed client is skipped by the seed's readyState check; the others still get everything.
    const gone = clients.pop()!;
    await new Promise<void>((resolve) => {
      gone.once('close', () => resolve());
      gone.close();
    });
    clients[0].send('after one left');
    const last = await Promise.all(clients.map((client) => nextMessages(client, 1)));
    expect(last.every(([message]) => message.data.toString() === 'after one left')).toBe(true);
    for (const client of clients) client.close();
  });
});
