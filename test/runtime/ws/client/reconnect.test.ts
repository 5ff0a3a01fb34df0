// krandog's opt-in reconnection for the browser-style client (runtime/ws/client/reconnect.ts),
// against real peers: a krandog server (./krandog, a child process) killed and started again on
// the same port mid-stream, a port nothing listens on, and servers that answer the handshake 503
// or 404. Backoff delays are kept small and every wait is for an event, never for a time.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { backoffDelay, isRetryable, readReconnectOptions, DEFAULT_RECONNECT, Reconnector } from '../../../../runtime/ws/client/reconnect.ts';
import type { ReconnectEvent, ReconnectingEvent } from '../../../../runtime/ws/client/reconnect.ts';
import type { CloseEvent, ErrorEvent } from '../../../../runtime/ws/client/events.ts';
import { makeTempDir, startKrandog, type LiveRun } from '../../../helpers/krandog-cli.ts';
import { closed, next, startPeer, stopPeers, WebSocket } from '../../../helpers/ws-client.ts';

const SERVER = 'test/fixtures/ws-client/reconnect-echo-server.js';
/** Small delays: the tests wait for events, these only keep them quick. */
const FAST = { minDelay: 10, maxDelay: 80 };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await stopPeers();
});

type Logged =
  | { type: 'open' | 'error' | 'close' | 'reconnect' | 'reconnecting' | 'message'; event: Event; readyState: number };

/** Every event the client fires, in order, and a way to wait for one that matches (already fired or to come). */
function eventLog(ws: WebSocket) {
  const log: Logged[] = [];
  const waiters: Array<{ match: (entry: Logged) => boolean; resolve: (entry: Logged) => void; from: number }> = [];
  for (const type of ['open', 'error', 'close', 'reconnect', 'reconnecting', 'message'] as const) {
    ws.addEventListener(type, (event) => {
      const entry = { type, event, readyState: ws.readyState };
      log.push(entry);
      for (const waiter of [...waiters]) {
        if (waiter.match(entry)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    });
  }
  return {
    log,
    types: () => log.map((entry) => (entry.type === 'message' ? `message ${(entry.event as MessageEvent).data}` : entry.type)),
    /** The first entry from index `from` on that matches. */
    waitFor(match: (entry: Logged) => boolean, from = 0): Promise<Logged> {
      const found = log.slice(from).find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve, from }));
    },
  };
}

const isMessage = (data: string) => (entry: Logged) => entry.type === 'message' && (entry.event as MessageEvent).data === data;
const reconnecting = (entry: Logged) => entry.event as ReconnectingEvent;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The fixture echo server through ./krandog on `port`; resolves once it listens. */
async function startEchoServer(port: number, cacheHome: string): Promise<LiveRun> {
  const live = startKrandog([SERVER, String(port)], { cacheHome });
  cleanups.push(() => {
    if (live.child.exitCode === null && live.child.signalCode === null) live.child.kill('SIGKILL');
    return live.exited;
  });
  await live.waitFor(/Server listening on/);
  return live;
}

/** A reconnecting client, closed after the test if still going. */
function client(url: string, init: object): WebSocket {
  const ws = new WebSocket(url, init as never);
  cleanups.push(() => ws.close());
  return ws;
}

describe('reconnect: a krandog server killed and restarted on the same port', () => {
  it('reconnects after a graceful restart (1001) and a kill (1006), sends what was queued meanwhile in order, and fires close once', async () => {
    const port = await freePort();
    const cacheHome = makeTempDir('krandog-cache-');
    let server = await startEchoServer(port, cacheHome);
    const ws = client(`ws://127.0.0.1:${port}/`, { reconnect: FAST });
    const events = eventLog(ws);
    let opens = 0;
    ws.addEventListener('open', () => ws.send(`hello ${opens++}`));
    await events.waitFor(isMessage('hello 0'));

    // A graceful restart: the server closes with 1001 going away.
    server.child.kill('SIGTERM');
    const first = await events.waitFor((entry) => entry.type === 'reconnecting');
    expect(reconnecting(first)).toMatchObject({ attempt: 1, code: 1001, wasClean: true, error: null });
    expect(reconnecting(first).delay).toBeGreaterThanOrEqual(FAST.minDelay);
    expect(first.readyState).toBe(WebSocket.CONNECTING);
    expect(ws.send('while down 1')).toBe(true);
    await server.exited;
    // Nothing listens now: the next attempts are refused, and retried.
    const refused = await events.waitFor((entry) => entry.type === 'reconnecting' && (reconnecting(entry).error as NodeJS.ErrnoException | null)?.code === 'ECONNREFUSED');
    expect(reconnecting(refused)).toMatchObject({ code: 1006, wasClean: false });
    expect(reconnecting(refused).attempt).toBeGreaterThan(1);
    const bytes = new TextEncoder().encode('while down 2');
    expect(ws.send(bytes)).toBe(true);
    bytes.fill(0); // the queue kept a copy
    expect(ws.bufferedAmount).toBe('while down 1'.length + 12);

    server = await startEchoServer(port, cacheHome);
    const back = await events.waitFor((entry) => entry.type === 'reconnect');
    expect((back.event as ReconnectEvent).attempt).toBe(reconnecting(events.log.filter((entry) => entry.type === 'reconnecting').at(-1)!).attempt);
    // What the open listener sent (to log in again, say) goes first, then the queue in order.
    await server.waitFor(/received hello 1\nreceived while down 1\nreceived while down 2\n/);
    await events.waitFor(isMessage('while down 1'));

    // Killed mid-stream: no close frame, 1006.
    const before = events.log.length;
    server.child.kill('SIGKILL');
    const lost = await events.waitFor((entry) => entry.type === 'reconnecting', before);
    expect(reconnecting(lost)).toMatchObject({ attempt: 1, code: 1006, wasClean: false });
    await server.exited;
    server = await startEchoServer(port, cacheHome);
    await events.waitFor(isMessage('hello 2'));

    const done = closed(ws);
    ws.close(1000, 'bye');
    expect((await done).close).toMatchObject({ code: 1000, wasClean: true });
    const types = events.types().filter((type) => type !== 'reconnecting');
    expect(types.filter((type) => !type.startsWith('message'))).toEqual(['open', 'open', 'reconnect', 'open', 'reconnect', 'close']);
    expect(events.log.filter((entry) => entry.type === 'open').map((entry) => entry.readyState)).toEqual([1, 1, 1]);
    // Messages from the server, each once, in order.
    expect(types.filter((type) => type.startsWith('message')).slice(0, 3)).toEqual(['message hello 0', 'message hello 1', 'message while down 1']);
  }, 60_000);
});

describe('examples/websocket-reconnect.js', () => {
  it('keeps what is typed while the server is down and sends it once the restarted server is back; closes at the end of input', async () => {
    const port = await freePort();
    const cacheHome = makeTempDir('krandog-cache-');
    let server = await startEchoServer(port, cacheHome);
    const example = startKrandog(['examples/websocket-reconnect.js', `ws://127.0.0.1:${port}/`], { cacheHome });
    cleanups.push(() => {
      if (example.child.exitCode === null && example.child.signalCode === null) example.child.kill('SIGKILL');
      return example.exited;
    });
    await example.waitFor(/connected to/, 'stderr');
    example.child.stdin!.write('one\n');
    await example.waitFor(/^one\n/, 'stdout');

    server.child.kill('SIGKILL');
    await example.waitFor(/disconnected \(close 1006\), attempt 1 in \d+ ms/, 'stderr');
    example.child.stdin!.write('two\n');
    await example.waitFor(/disconnected \(ECONNREFUSED\)/, 'stderr');
    server = await startEchoServer(port, cacheHome);
    await example.waitFor(/reconnected after \d+ attempt\(s\)/, 'stderr');
    await example.waitFor(/^one\ntwo\n/, 'stdout');
    await server.waitFor(/received two\n/);

    example.child.stdin!.end();
    expect(await example.exited).toEqual({ code: 0, signal: null });
    expect(example.output().stderr).toMatch(/closed: 1000\n$/);
    expect(example.output().stderr.match(/connected to/g)).toHaveLength(2);
  }, 60_000);
});

describe('reconnect: servers that refuse', () => {
  it('gives up after `retries` refused attempts: a reconnecting event for each, then error and close 1006', async () => {
    const port = await freePort(); // nothing listens there
    const ws = client(`ws://127.0.0.1:${port}/`, { reconnect: { ...FAST, retries: 2 } });
    const events = eventLog(ws);
    expect(ws.send('never sent')).toBe(true);
    const { close, error } = await closed(ws);
    expect(events.types()).toEqual(['reconnecting', 'reconnecting', 'error', 'close']);
    expect(events.log.slice(0, 2).map((entry) => [reconnecting(entry).attempt, (reconnecting(entry).error as NodeJS.ErrnoException).code])).toEqual([
      [1, 'ECONNREFUSED'],
      [2, 'ECONNREFUSED'],
    ]);
    expect(events.log.slice(0, 2).map((entry) => entry.readyState)).toEqual([WebSocket.CONNECTING, WebSocket.CONNECTING]);
    expect((error!.error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect([close.code, close.wasClean, ws.readyState]).toEqual([1006, false, WebSocket.CLOSED]);
    // The queued message was never sent; it stays counted, as unsent data does.
    expect(ws.bufferedAmount).toBe('never sent'.length);
  });

  it('retries a 503 answer to the handshake until the server takes it; a 404 is final', async () => {
    const peer = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    peer.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    let refusals = 2;
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      if (req.url === '/missing') return socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      if (refusals-- > 0) return socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      peer.handleUpgrade(req, socket, head, (ws) => peer.emit('connection', ws, req));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      for (const socket of peer.clients) socket.terminate();
      return new Promise((resolve) => server.close(resolve));
    });
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const ws = client(`${base}/`, { reconnect: FAST });
    const events = eventLog(ws);
    ws.binaryType = 'arraybuffer';
    ws.send('queued before the first open');
    ws.send(new Blob(['a Blob, read when sent']));
    const echoedBlob = await events.waitFor((entry) => entry.type === 'message' && (entry.event as MessageEvent).data instanceof ArrayBuffer);
    expect(Buffer.from((echoedBlob.event as MessageEvent).data as ArrayBuffer).toString()).toBe('a Blob, read when sent');
    expect(events.types().slice(0, 5)).toEqual(['reconnecting', 'reconnecting', 'open', 'reconnect', 'message queued before the first open']);
    expect(events.log.slice(0, 2).map((entry) => (reconnecting(entry).error as { status?: number }).status)).toEqual([503, 503]);

    const missing = client(`${base}/missing`, { reconnect: FAST });
    const missingEvents = eventLog(missing);
    const { error } = await closed(missing);
    expect(missingEvents.types()).toEqual(['error', 'close']);
    expect(error!.error).toMatchObject({ code: 'KRANDOG_WS_HANDSHAKE_STATUS', status: 404 });
  });
});

describe('reconnect: which closes are retried', () => {
  it.each([
    [1000, false],
    [4000, false],
    [1008, false],
    [1012, true],
    [1013, true],
  ])('a server close with %i retries: %s', async (code, retried) => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => socket.once('message', () => socket.close(code, 'server says')));
    const ws = client(peer.url, { reconnect: FAST });
    const events = eventLog(ws);
    ws.send('close me');
    const outcome = await events.waitFor((entry) => entry.type === 'close' || entry.type === 'reconnecting');
    if (retried) {
      expect(reconnecting(outcome)).toMatchObject({ attempt: 1, code, reason: 'server says', wasClean: true });
      await events.waitFor((entry) => entry.type === 'reconnect');
    } else {
      expect(outcome.event as CloseEvent).toMatchObject({ code, reason: 'server says', wasClean: true });
    }
  });

  it("the script's close() is final, also while waiting for the next attempt (then: error and close 1006, as when connecting)", async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => socket.terminate());
    const ws = client(peer.url, { reconnect: { minDelay: 60_000, maxDelay: 60_000 } });
    const events = eventLog(ws);
    await events.waitFor((entry) => entry.type === 'reconnecting');
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    const done = closed(ws);
    ws.close();
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    const { close, error } = await done;
    expect(close.code).toBe(1006);
    expect((error as ErrorEvent).message).toMatch(/closed before the connection was established/);
    expect(events.types()).toEqual(['open', 'reconnecting', 'error', 'close']);
  });

  it('drops what does not fit the queue limit: send() returns false', async () => {
    const port = await freePort();
    const ws = client(`ws://127.0.0.1:${port}/`, { reconnect: { ...FAST, retries: 0, queueLimit: 10 } });
    expect(ws.send('12345')).toBe(true);
    expect(ws.send('123456')).toBe(false);
    expect(ws.send('12345')).toBe(true);
    expect(ws.bufferedAmount).toBe(10);
    expect(ws.send('')).toBe(true);
    await closed(ws);
  });

  it('leaves the standard behaviour alone without the option: send() while connecting throws, a drop closes with 1006', async () => {
    const peer = await startPeer();
    peer.server.on('connection', (socket) => socket.terminate());
    const ws = new WebSocket(peer.url, { reconnect: false });
    expect(() => ws.send('x')).toThrow(/still connecting/);
    const events = eventLog(ws);
    await closed(ws);
    expect(events.types()).toEqual(['open', 'close']);
  });
});

describe('reconnect: options, backoff and the retry rule', () => {
  it('reads true as the defaults and refuses bad values', () => {
    expect(readReconnectOptions(undefined)).toBeUndefined();
    expect(readReconnectOptions(false)).toBeUndefined();
    expect(readReconnectOptions(true)).toEqual(DEFAULT_RECONNECT);
    expect(DEFAULT_RECONNECT).toEqual({ retries: Infinity, minDelay: 1000, maxDelay: 30_000, queueLimit: 1024 * 1024 });
    expect(readReconnectOptions({ retries: 3, minDelay: 50 })).toEqual({ ...DEFAULT_RECONNECT, retries: 3, minDelay: 50 });
    expect(readReconnectOptions({ minDelay: 60_000 })!.maxDelay).toBe(60_000);
    for (const bad of [{ retries: -1 }, { retries: 1.5 }, { minDelay: '10' }, { maxDelay: 2 ** 31 }, { minDelay: 100, maxDelay: 50 }, { queueLimit: NaN }]) {
      expect(() => readReconnectOptions(bad), JSON.stringify(bad)).toThrow(TypeError);
    }
    expect(() => readReconnectOptions('yes')).toThrow(TypeError);
    expect(() => new WebSocket('ws://127.0.0.1:1/', { reconnect: { retries: 'many' } } as never)).toThrow(TypeError);
  });

  it('waits between minDelay and min(maxDelay, minDelay × 2^attempt), uniformly', () => {
    const options = { minDelay: 100, maxDelay: 1000 };
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options, () => 0))).toEqual([100, 100, 100, 100, 100]);
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, options, () => 0.999999))).toEqual([200, 400, 800, 1000, 1000]);
    expect(backoffDelay(2, options, () => 0.5)).toBe(250);
  });

  it('retries lost connections, restarts and network failures, not normal, policy or application closes', () => {
    const drop = (code: number, error?: Error) => isRetryable({ code, reason: '', wasClean: error === undefined, error });
    const failure = (code: string, status?: number) => Object.assign(new Error(code), { code, status });
    expect([1001, 1006, 1011, 1012, 1013, 1014].map((code) => drop(code))).toEqual([true, true, true, true, true, true]);
    expect([1000, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 3000, 4000, 4999].some((code) => drop(code))).toBe(false);
    expect(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'KRANDOG_WS_HANDSHAKE_TIMEOUT'].map((code) => drop(1006, failure(code)))).toEqual([
      true, true, true, true, true, true,
    ]);
    expect([500, 502, 503, 504, 408, 429].map((status) => drop(1006, failure('KRANDOG_WS_HANDSHAKE_STATUS', status)))).toEqual([true, true, true, true, true, true]);
    expect([400, 401, 403, 404, 426, 302].some((status) => drop(1006, failure('KRANDOG_WS_HANDSHAKE_STATUS', status)))).toBe(false);
    expect(['KRANDOG_WS_HANDSHAKE_ACCEPT', 'KRANDOG_WS_MASKED_FRAME', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID'].some((code) => drop(1006, failure(code)))).toBe(false);
  });

  it('schedules each attempt after the delay its event announces, counts up to `retries`, starts over on open, and cancels', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const reconnector = new Reconnector({ ...DEFAULT_RECONNECT, retries: 2, minDelay: 100, maxDelay: 1000 });
      const lost = { code: 1006, reason: '', wasClean: false, error: undefined };
      let attempts = 0;
      const connect = () => attempts++;
      const first = reconnector.retry(lost, connect)!;
      expect([first.attempt, first.type, first.delay >= 100 && first.delay <= 200]).toEqual([1, 'reconnecting', true]);
      vi.advanceTimersByTime(first.delay - 1);
      expect(attempts).toBe(0);
      vi.advanceTimersByTime(1);
      expect(attempts).toBe(1);
      const second = reconnector.retry(lost, connect)!;
      expect([second.attempt, second.delay >= 100 && second.delay <= 400]).toEqual([2, true]);
      vi.advanceTimersByTime(second.delay);
      expect(reconnector.retry(lost, connect)).toBeUndefined(); // retries: 2 used up
      expect(reconnector.opened()).toBe(2);
      expect(reconnector.retry({ ...lost, code: 1000, wasClean: true }, connect)).toBeUndefined(); // final
      const again = reconnector.retry(lost, connect)!;
      expect(again.attempt).toBe(1);
      expect(reconnector.cancel()).toBe(true);
      expect(reconnector.cancel()).toBe(false);
      vi.advanceTimersByTime(10_000);
      expect(attempts).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
