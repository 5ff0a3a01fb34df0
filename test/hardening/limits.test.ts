// The limits of README's "Limits" table that earlier suites do not cover, each against real sockets:
// maxConnections (503, then unanswered drops), the upgrade hook's deadline, slow and oversized
// handshakes, maxPayload on the inflated size, and closeTimeout for a server-initiated close.
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REFUSING_AT_MOST } from '../../runtime/http/connection-limit.ts';
import { resolveOptions } from '../../runtime/http/options.ts';
import type { ServerWebSocket } from '../../runtime/ws/server/server-socket.ts';
import { readClose } from '../helpers/frames.ts';
import { RawClient, clientClosed, deferred, openClient, startServer, stopServers, upgradeRequest, within } from '../ws/server/harness.ts';

afterEach(async () => {
  vi.restoreAllMocks();
  await stopServers();
});

/** An echo server whose `closes` resolves one waiter per connection the server saw close. */
async function echoServer(options: Record<string, unknown>, hooks: Record<string, unknown> = {}) {
  const closes: Array<{ code: number; reason: string }> = [];
  let onClose: (() => void) | undefined;
  const running = await startServer(
    {
      request: () => ({ body: 'hello' }),
      websocket: {
        message: (ws: ServerWebSocket, data: string | Buffer) => ws.send(data),
        close(_ws: ServerWebSocket, code: number, reason: string) {
          closes.push({ code, reason });
          onClose?.();
        },
        ...hooks,
      },
    },
    options,
  );
  const nextClose = () => within(new Promise<void>((resolve) => (onClose = resolve)), 10_000, 'server saw no close');
  return { ...running, closes, nextClose };
}

const GET = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

describe('maxConnections', () => {
  it('answers an upgrade past the limit with 503 and Retry-After, closes it, and admits again once a connection ends', async () => {
    const { url, port, nextClose } = await echoServer({ maxConnections: 2 });
    const first = await openClient(url);
    await openClient(url);

    const refused = await RawClient.connect(port);
    refused.write(upgradeRequest('/'));
    const answer = await refused.response();
    expect(answer).toMatchObject({ status: 503, headers: { connection: 'close', 'retry-after': '1' } });
    await within(refused.closed, 10_000, 'refused connection was not closed');

    const closed = nextClose();
    first.close();
    await closed;
    const third = await openClient(url);
    third.send('still serving');
    expect((await once(third, 'message'))[0].toString()).toBe('still serving');
  });

  it('counts HTTP keep-alive connections too: a request on a connection past the limit gets 503 and Connection: close', async () => {
    const { port } = await echoServer({ maxConnections: 1 });
    const kept = await RawClient.connect(port);
    kept.write(GET);
    expect((await kept.response()).status).toBe(200);

    const refused = await RawClient.connect(port);
    refused.write(GET);
    const answer = await refused.response();
    expect(answer).toMatchObject({ status: 503, headers: { connection: 'close', 'retry-after': '1' } });
    expect(answer.body).toBe('Service Unavailable: too many connections');
    await within(refused.closed, 10_000, 'refused connection was not closed');

    // The connection within the limit is untouched.
    expect(kept.socket.destroyed).toBe(false);
  });

  it(`past the limit and ${REFUSING_AT_MOST} connections waiting for their 503, drops new connections at accept, unanswered`, async () => {
    const { port } = await echoServer({ maxConnections: 1 });
    const sockets: net.Socket[] = [];
    try {
      // One within the limit, then REFUSING_AT_MOST that say nothing yet (each waits for its 503).
      for (let i = 0; i < 1 + REFUSING_AT_MOST; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await once(socket, 'connect');
        sockets.push(socket);
      }
      const dropped = await RawClient.connect(port);
      await within(dropped.closed, 10_000, 'the connection past both limits was not dropped');
      await expect(dropped.waitFor((bytes) => bytes.length > 0, 'anything')).rejects.toThrow(/ended before anything; got ""/);
      // Those already accepted still get their answer.
      const waiting = sockets.at(-1)!;
      waiting.write(GET);
      const [reply] = await once(waiting, 'data');
      expect(String(reply)).toMatch(/^HTTP\/1\.1 503 /);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('is 10 000 by default; 0 means no limit; anything else but a count is refused', () => {
    expect(resolveOptions(undefined).maxConnections).toBe(10_000);
    expect(resolveOptions({ maxConnections: 0 }).maxConnections).toBe(Infinity);
    expect(() => resolveOptions({ maxConnections: -1 })).toThrow('options.maxConnections must be a non-negative integer, got -1');
  });
});

describe('handshake', () => {
  it('answers 503 when an async upgrade hook does not settle within upgradeTimeout, logs it, and ignores a late answer', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const late = deferred<undefined>();
    const { port, url } = await echoServer(
      { upgradeTimeout: 200 },
      { upgrade: (req: { query: { hang?: string } }) => (req.query.hang === undefined ? undefined : late.promise) },
    );
    const hung = await RawClient.connect(port);
    hung.write(upgradeRequest('/?hang'));
    expect((await hung.response()).status).toBe(503);
    await within(hung.closed, 10_000, 'hung upgrade was not closed');
    expect(errors).toHaveBeenCalledWith('krandog: WebSocket upgrade hook did not settle within 200 ms; answered 503 (GET /?hang)');

    // The hook answers after all: nothing happens (no 101 on a closed socket, no error).
    late.resolve(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const client = await openClient(url);
    client.send('fine');
    expect((await once(client, 'message'))[0].toString()).toBe('fine');
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it('closes a handshake whose headers never finish (slowloris) after headersTimeout with 408', async () => {
    const { port } = await echoServer({ headersTimeout: 300 });
    const slow = await RawClient.connect(port);
    slow.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    expect((await slow.response()).status).toBe(408);
    await within(slow.closed, 10_000, 'slow handshake was not closed');
  });

  it('answers an upgrade request whose head is over maxHeaderSize with 431, and accepts it when the limit is raised', async () => {
    const cookie = 'a'.repeat(20 * 1024);
    const small = await echoServer({});
    const refused = await RawClient.connect(small.port);
    refused.write(upgradeRequest('/', { Cookie: cookie }));
    expect((await refused.response()).status).toBe(431);

    const large = await echoServer({ maxHeaderSize: 64 * 1024 });
    const accepted = await RawClient.connect(large.port);
    accepted.write(upgradeRequest('/', { Cookie: cookie }));
    expect((await accepted.response()).status).toBe(101);
  });
});

describe('maxPayload applies to the inflated size (permessage-deflate)', () => {
  it('closes with 1009 a compressed message that inflates past maxPayload, and passes one that inflates to exactly it', async () => {
    const { url } = await echoServer({ maxPayload: 4096, perMessageDeflate: true });
    const deflating = { perMessageDeflate: { threshold: 0 } };
    const fits = await openClient(url, undefined, deflating);
    expect(fits.extensions).toMatch(/permessage-deflate/);
    fits.send('x'.repeat(4096));
    expect((await once(fits, 'message'))[0].toString()).toBe('x'.repeat(4096));

    const tooBig = await openClient(url, undefined, deflating);
    const closed = clientClosed(tooBig);
    // About 30 bytes on the wire; 4097 once inflated.
    tooBig.send('x'.repeat(4097));
    expect(await closed).toEqual({ code: 1009, reason: 'inflated message over 4096 bytes' });
  });
});

describe('closeTimeout', () => {
  it('drops the TCP connection when the peer never answers a close the server started', async () => {
    const { port, nextClose } = await echoServer({ closeTimeout: 200 }, { open: (ws: ServerWebSocket) => ws.close(1000, 'bye') });
    const closed = nextClose();
    const silent = await RawClient.connect(port);
    silent.write(upgradeRequest('/'));
    expect((await silent.response()).status).toBe(101);
    const [frame] = await silent.waitForFrames(1);
    expect(readClose(frame.payload)).toEqual({ code: 1000, reason: 'bye' });
    await within(silent.closed, 10_000, 'server never dropped the silent peer');
    await closed;
  });
});
