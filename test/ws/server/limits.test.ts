// Limits and timers: maxPayload (1009), fragment count (1009), the idle timeout, keepalive pings
// with their pong timeout, and closeAll() on server.close(). backpressureLimit: backpressure.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { buildFrame, OP, readClose } from '../../helpers/frames.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import { RawClient, clientClosed, deferred, nextMessage, openClient, startServer, stopServers, upgradeRequest, within } from './harness.ts';

afterEach(stopServers);

type CloseRecord = { code: number; reason: string };

/** A server that echoes and reports each connection's close (code, reason) as the server saw it. */
async function recordingServer(options: Record<string, unknown>, open?: (ws: ServerWebSocket) => void) {
  const closes: CloseRecord[] = [];
  const firstClose = deferred<CloseRecord>();
  const running = await startServer(
    {
      websocket: {
        open,
        message: (ws: ServerWebSocket, data: string | Buffer) => ws.send(data),
        close(_ws: ServerWebSocket, code: number, reason: string) {
          closes.push({ code, reason });
          firstClose.resolve({ code, reason });
        },
      },
    },
    options,
  );
  return { ...running, closes, firstClose: within(firstClose.promise, 10_000, 'server never reported a close') };
}

/** A raw client that completed the handshake. */
async function handshaken(port: number): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  raw.write(upgradeRequest('/'));
  expect((await raw.response()).status).toBe(101);
  return raw;
}

describe('maxPayload', () => {
  it('closes with 1009 when a message is larger than maxPayload', async () => {
    const { url, firstClose } = await recordingServer({ maxPayload: 1024 });
    const client = await openClient(url);
    client.send(Buffer.alloc(1024));
    expect((await nextMessage(client)).data.length).toBe(1024);
    const closed = clientClosed(client);
    client.send(Buffer.alloc(1025));
    expect((await closed).code).toBe(1009);
    expect((await firstClose).code).toBe(1009);
  });

  it('closes with 1009 a fragmented message that grows past maxPayload', async () => {
    const { url } = await recordingServer({ maxPayload: 1000 });
    const client = await openClient(url);
    const closed = clientClosed(client);
    for (let i = 0; i < 5; i++) client.send(Buffer.alloc(300), { fin: i === 4 });
    expect((await closed).code).toBe(1009);
  });

  it('admits 16 MiB by default and closes with 1009 one byte beyond', async () => {
    const { url } = await recordingServer({});
    const client = await openClient(url);
    client.send(Buffer.alloc(16 * 1024 * 1024));
    expect((await nextMessage(client)).data.length).toBe(16 * 1024 * 1024);
    const closed = clientClosed(client);
    client.send(Buffer.alloc(16 * 1024 * 1024 + 1));
    expect((await closed).code).toBe(1009);
  });

  it('closes with 1009 a flood of tiny fragments past maxFragments', async () => {
    const { port, firstClose } = await recordingServer({ maxFragments: 100 });
    const raw = await handshaken(port);
    const fragments = [buildFrame({ opcode: OP.text, payload: 'a', fin: false, mask: true })];
    for (let i = 0; i < 200; i++) fragments.push(buildFrame({ opcode: OP.cont, payload: '', fin: false, mask: true }));
    raw.write(Buffer.concat(fragments));
    const [frame] = await raw.waitForFrames(1);
    expect(frame.opcode).toBe(OP.close);
    expect(readClose(frame.payload).code).toBe(1009);
    expect((await firstClose).code).toBe(1009);
    await within(raw.closed, 10_000, 'server kept the TCP connection');
  });
});

describe('idle timeout and keepalive', () => {
  it('closes a silent connection with 1001 after idleTimeout, and drops TCP when the peer never answers', async () => {
    const { port, firstClose } = await recordingServer({ idleTimeout: 200, pingInterval: 0, closeTimeout: 200 });
    const raw = await handshaken(port);
    const [frame] = await raw.waitForFrames(1);
    expect(frame.opcode).toBe(OP.close);
    expect(readClose(frame.payload)).toEqual({ code: 1001, reason: 'idle timeout' });
    await within(raw.closed, 10_000, 'server never dropped the idle connection');
    expect((await firstClose).code).toBe(1006);
  });

  it('pings a quiet peer and drops it (1006) when nothing comes back within pongTimeout', async () => {
    const { port, firstClose } = await recordingServer({ idleTimeout: 0, pingInterval: 100, pongTimeout: 100 });
    const raw = await handshaken(port);
    const [frame] = await raw.waitForFrames(1);
    expect(frame.opcode).toBe(OP.ping);
    await within(raw.closed, 10_000, 'server never dropped a peer that does not answer pings');
    expect((await firstClose).code).toBe(1006);
    // Dropped, not closed: a dead peer gets no close handshake.
    expect(raw.frames().map((received) => received.opcode)).not.toContain(OP.close);
  });

  it('keeps a peer that answers the keepalive pings, however long it is quiet', async () => {
    const { url, closes } = await recordingServer({ idleTimeout: 0, pingInterval: 50, pongTimeout: 50 });
    const client = await openClient(url); // the ws client answers pings with pongs by itself
    let pings = 0;
    const enoughPings = deferred<void>();
    client.on('ping', () => {
      if (++pings === 5) enoughPings.resolve();
    });
    await within(enoughPings.promise, 10_000, 'server sent fewer than 5 keepalive pings');
    expect(client.readyState).toBe(1);
    client.send('still alive');
    expect((await nextMessage(client)).data.toString()).toBe('still alive');
    expect(closes).toEqual([]);
    client.close();
  });
});

describe('server.close() and closeAll', () => {
  it('sends 1001 to every WebSocket, drops those that do not answer, and settles', async () => {
    // A short closeTimeout: the silent client is dropped without waiting out the 5 s default.
    const { server, url, port } = await recordingServer({ closeTimeout: 200 });
    const polite = await openClient(url);
    const politeClosed = clientClosed(polite);
    const silent = await handshaken(port); // never answers the close frame
    await within(server.close(), 10_000, 'server.close() never settled');
    expect(await politeClosed).toEqual({ code: 1001, reason: 'server shutting down' });
    const [frame] = await silent.waitForFrames(1);
    expect(readClose(frame.payload).code).toBe(1001);
    await within(silent.closed, 10_000, 'silent client never dropped');
  });
});
