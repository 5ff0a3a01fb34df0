// The object handler's lifecycle hooks, subprotocols, origins, close events, and handlers that throw.
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { ServerCloseEvent, ServerWebSocket } from '../../../../runtime/ws/server/server-socket.ts';
import type { UpgradeRequest } from '../../../../runtime/ws/server/hooks.ts';
import { RawClient, clientClosed, deferred, nextMessage, nextMessages, openClient, startInProcessServer, stopServers, upgradeRequest } from '../../../helpers/ws-server.ts';
import { within } from '../../../helpers/within.ts';
import { createServer } from '../../../../runtime/http/server.ts';

afterEach(() => {
  vi.restoreAllMocks();
  return stopServers();
});

describe('object handler { request, websocket }', () => {
  it('calls upgrade, open, message (ws, data, req), close in order, and request() for HTTP', async () => {
    const events: unknown[] = [];
    const closed = deferred<void>();
    const { url, port } = await startInProcessServer({
      request: () => ({ status: 200, body: 'http side' }),
      websocket: {
        upgrade(req: UpgradeRequest) {
          events.push(['upgrade', req.type, req.method, req.pathname, { ...req.query }, req.protocols, req.headers['x-user']]);
          return { data: { user: req.headers['x-user'] } };
        },
        open(ws: ServerWebSocket) {
          events.push(['open', ws.readyState, ws.data, ws.pathname, ws.remoteAddress]);
        },
        message(ws: ServerWebSocket, data: string | Buffer, req: { type: string; pathname: string; data: unknown; ws: unknown }) {
          events.push(['message', data, req.type, req.pathname, req.data === data, req.ws === ws]);
          ws.send(`echo ${String(data)}`);
        },
        close(ws: ServerWebSocket, code: number, reason: string) {
          events.push(['close', code, reason, ws.readyState]);
          closed.resolve();
        },
      },
    }, { protocols: ['a'] });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('http side');
    const client = await openClient(`${url}/chat?room=1`, ['a'], { headers: { 'X-User': 'ann' } });
    client.send('hi');
    expect((await nextMessage(client)).data.toString()).toBe('echo hi');
    client.close(4001, 'done');
    await within(closed.promise, 10_000, 'close hook never ran');
    expect(events).toEqual([
      ['upgrade', 'upgrade', 'GET', '/chat', { room: '1' }, ['a'], 'ann'],
      ['open', 1, { user: 'ann' }, '/chat', '127.0.0.1'],
      ['message', 'hi', 'websocket', '/chat', true, true],
      ['close', 4001, 'done', 3],
    ]);
  });

  it('gives ws.remoteAddress as IPv4 for an IPv4 client of a dual-stack server, as ::1 over IPv6, and still after a reset', async () => {
    const seen: string[] = [];
    const closed: string[] = [];
    const server = createServer(
      {
        websocket: {
          open(ws: ServerWebSocket) {
            seen.push(ws.remoteAddress);
          },
          close(ws: ServerWebSocket) {
            closed.push(ws.remoteAddress);
          },
        },
      },
      { quiet: true },
    );
    await new Promise<void>((resolve) => server.listen(0, '::', resolve));
    try {
      const v4 = await openClient(`ws://127.0.0.1:${server.port}/`);
      const v6 = await openClient(`ws://[::1]:${server.port}/`);
      expect(seen).toEqual(['127.0.0.1', '::1']);
      // The peer resets: the address was read at the upgrade, so the close hook has it too.
      v4.terminate();
      v6.close();
      await vi.waitFor(() => expect(closed.sort()).toEqual(['127.0.0.1', '::1']), { timeout: 5_000 });
    } finally {
      await server.close({ force: true });
    }
  });

  it('lets an async upgrade hook refuse with a status, body and headers; the socket is closed', async () => {
    const { port } = await startInProcessServer({
      websocket: {
        async upgrade(req: UpgradeRequest) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (req.headers.authorization !== 'Bearer good') return { status: 401, body: 'who are you?', headers: { 'WWW-Authenticate': 'Bearer' } };
          return undefined;
        },
      },
    });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/'));
    const response = await raw.response();
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body).toBe('who are you?');
    await within(raw.closed, 5_000, 'socket not closed after the refusal');

    const accepted = await openClient(`ws://127.0.0.1:${port}/`, undefined, { headers: { Authorization: 'Bearer good' } });
    expect(accepted.readyState).toBe(WebSocket.OPEN);
    accepted.close();
  });

  it('answers 500 when the upgrade hook throws, logs it, and keeps serving', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    let calls = 0;
    const { port, url } = await startInProcessServer({
      websocket: {
        upgrade() {
          if (++calls === 1) throw new Error('upgrade exploded');
        },
      },
    });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/'));
    expect((await raw.response()).status).toBe(500);
    expect(String(logged.mock.calls[0]?.[0])).toMatch(/^krandog: WebSocket upgrade handler failed:\n[^]*\nError: upgrade exploded\n/);
    const client = await openClient(url);
    client.close();
  });

  it('with a `websocket` member but no `request`, answers plain HTTP with 404', async () => {
    const { port } = await startInProcessServer({ websocket: {} });
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  });

  it('fires drain after a send that reported backpressure, once the buffer empties', async () => {
    const drained = deferred<number>();
    const { url } = await startInProcessServer(
      {
        websocket: {
          open(ws: ServerWebSocket) {
            expect(ws.send(Buffer.alloc(4 * 1024 * 1024))).toBe(-1);
          },
          drain(ws: ServerWebSocket) {
            drained.resolve(ws.bufferedAmount);
          },
        },
      },
      { backpressureLimit: 1024 * 1024 },
    );
    const client = await openClient(url);
    await nextMessage(client);
    expect(await within(drained.promise, 10_000, 'drain never fired')).toBe(0);
    client.close();
  });
});

describe('subprotocols', () => {
  it('chooses the first offered protocol from options.protocols and echoes it', async () => {
    const { url } = await startInProcessServer({ websocket: { open: (ws: ServerWebSocket) => ws.send(ws.protocol) } }, { protocols: ['json', 'text'] });
    const client = await openClient(url, ['xml', 'text', 'json']);
    expect(client.protocol).toBe('text');
    expect((await nextMessage(client)).data.toString()).toBe('text');
    client.close();
  });

  it('sends no Sec-WebSocket-Protocol when nothing matches (the connection still opens)', async () => {
    const { port } = await startInProcessServer(() => undefined, { protocols: ['json'] });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'xml' }));
    const response = await raw.response();
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    raw.destroy();
  });

  it('lets the upgrade hook choose among the offered protocols', async () => {
    const { url } = await startInProcessServer({
      websocket: { upgrade: (req: UpgradeRequest) => ({ protocol: req.protocols.at(-1) }) },
    });
    const client = await openClient(url, ['one', 'two']);
    expect(client.protocol).toBe('two');
    client.close();
  });
});

describe('allowOrigins', () => {
  it('refuses other browser origins with 403 and accepts the listed one', async () => {
    const { url, port } = await startInProcessServer(() => undefined, { allowOrigins: ['http://good.example'] });
    const raw = await RawClient.connect(port);
    raw.write(upgradeRequest('/', { Origin: 'http://evil.example' }));
    expect((await raw.response()).status).toBe(403);
    await within(raw.closed, 5_000, 'socket not closed after 403');
    const client = await openClient(url, undefined, { origin: 'http://good.example' });
    client.close();
  });
});

describe('close notifications on the ws object', () => {
  it('runs onclose and every close listener once, with code, reason and wasClean', async () => {
    const seen: Array<[string, number, string, boolean]> = [];
    const done = deferred<void>();
    const { url } = await startInProcessServer({
      websocket: {
        open(ws: ServerWebSocket) {
          const record = (name: string) => (event: ServerCloseEvent) => {
            seen.push([name, event.code, event.reason, event.wasClean]);
            if (seen.length === 2) done.resolve();
          };
          ws.onclose = record('onclose');
          const listener = record('listener');
          ws.addEventListener('close', listener);
          ws.addEventListener('close', listener); // the same listener twice counts once
          const removed = record('removed');
          ws.addEventListener('close', removed);
          ws.removeEventListener('close', removed);
        },
      },
    });
    const client = await openClient(url);
    client.close(1000, 'bye');
    await within(done.promise, 10_000, 'close listeners never ran');
    expect(seen).toEqual([
      ['onclose', 1000, 'bye', true],
      ['listener', 1000, 'bye', true],
    ]);
  });

  it('reports 1006 and wasClean false when the peer vanishes without a close frame', async () => {
    const done = deferred<ServerCloseEvent>();
    const { url } = await startInProcessServer({ websocket: { open: (ws: ServerWebSocket) => (ws.onclose = done.resolve) } });
    const client = await openClient(url);
    client.terminate();
    expect(await within(done.promise, 10_000, 'onclose never ran')).toMatchObject({ code: 1006, wasClean: false });
  });

  it('server-side close(code, reason) reaches the client; invalid codes and long reasons throw', async () => {
    const thrown: string[] = [];
    const { url } = await startInProcessServer({
      websocket: {
        message(ws: ServerWebSocket) {
          for (const attempt of [() => ws.close(1005), () => ws.close(999), () => ws.close(1000, 'x'.repeat(124))]) {
            try {
              attempt();
            } catch (error) {
              thrown.push((error as Error).name);
            }
          }
          ws.close(4321, 'server says bye');
        },
      },
    });
    const client = await openClient(url);
    const closed = clientClosed(client);
    client.send('close me');
    expect(await closed).toEqual({ code: 4321, reason: 'server says bye' });
    expect(thrown).toEqual(['RangeError', 'RangeError', 'RangeError']);
  });
});

describe('handlers that throw', () => {
  it('logs a throwing or rejecting message handler to stderr and keeps the connection and server working', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { url } = await startInProcessServer(async (req: { type: string; ws: ServerWebSocket; data: string }) => {
      if (req.type !== 'websocket') return { status: 200 };
      if (req.data === 'throw') throw new Error('sync-looking async throw');
      if (req.data === 'reject') return Promise.reject(new Error('rejected on purpose'));
      req.ws.send(`ok ${req.data}`);
      return undefined;
    });
    const client = await openClient(url);
    client.send('throw');
    client.send('reject');
    client.send('after');
    expect((await nextMessage(client)).data.toString()).toBe('ok after');
    await vi.waitFor(() => expect(logged).toHaveBeenCalledTimes(2));
    const logs = logged.mock.calls.map((call) => String(call[0]));
    expect(logs[0]).toMatch(/^krandog: WebSocket message handler failed:\n[^]*\nError: sync-looking async throw\n/);
    expect(logs[1]).toMatch(/^krandog: WebSocket message handler failed:\n[^]*\nError: rejected on purpose\n/);
    const other = await openClient(url);
    other.send('second client');
    expect((await nextMessage(other)).data.toString()).toBe('ok second client');
    client.close();
    other.close();
  });

  it('survives a synchronous throw in message, open and close hooks', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { url } = await startInProcessServer({
      websocket: {
        open() {
          throw new Error('open failed');
        },
        message(ws: ServerWebSocket, data: string) {
          if (data === 'boom') throw new Error('message failed');
          ws.send(data);
        },
        close() {
          throw new Error('close failed');
        },
      },
    });
    const client = await openClient(url);
    client.send('boom');
    client.send('still here');
    expect((await nextMessage(client)).data.toString()).toBe('still here');
    const closed = clientClosed(client);
    client.close();
    await closed;
    await vi.waitFor(() => expect(logged).toHaveBeenCalledTimes(3));
    expect(logged.mock.calls.map((call) => String(call[0]).split('\n')[0])).toEqual([
      'krandog: WebSocket open handler failed:',
      'krandog: WebSocket message handler failed:',
      'krandog: WebSocket close handler failed:',
    ]);
    const again = await openClient(url);
    again.send('new');
    expect((await nextMessages(again, 1))[0].data.toString()).toBe('new');
    const againClosed = clientClosed(again);
    again.close();
    await againClosed;
    await vi.waitFor(() => expect(logged).toHaveBeenCalledTimes(5)); // open and close of the second client too
  });
});
