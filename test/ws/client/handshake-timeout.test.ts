// The opening handshake's deadline (`handshakeTimeout`, default 30 s): a server that accepts the TCP
// connection and then never answers, answers half a head, trickles it, or never speaks TLS fails
// the connection with `error` and `close` 1006 (wasClean false), its socket destroyed; in a script
// run by ./krandog the process then exits by itself. Needs `node build.mjs` first (npm test does it).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ErrorEvent } from '../../../runtime/ws/client/events.ts';
import { DEFAULT_HANDSHAKE_TIMEOUT } from '../../../runtime/ws/client/options.ts';
import { closed, record, WebSocket } from './helpers.ts';
import { startRawServer, stopRawServers } from './raw-server.ts';
import { within } from '../server/harness.ts';

const failed = [
  { type: 'error', readyState: WebSocket.CLOSED },
  { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
];

/** A TCP server that accepts and never writes a byte; `socketClosed` resolves when the first connection is gone. */
async function silentServer(): Promise<{ port: number; accepted: Promise<net.Socket>; socketClosed: Promise<void>; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let resolveAccepted!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (resolveAccepted = resolve));
  const socketClosed = accepted.then((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    // Read (and ignore) the request: a socket nobody reads never sees the client's FIN.
    socket.resume();
    resolveAccepted(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    socketClosed,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(stops.splice(0).map((stop) => stop()));
  await stopRawServers();
});

async function silent() {
  const server = await silentServer();
  stops.push(server.stop);
  return server;
}

describe('handshakeTimeout', () => {
  it('fails a connection the server accepts and never answers: error, close 1006, socket destroyed', async () => {
    const server = await silent();
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`, { handshakeTimeout: 200 });
    const events = record(ws);
    const done = closed(ws);
    const { error } = await within(done, 10_000, 'no close');
    expect(events).toEqual(failed);
    expect((error!.error as { code: string }).code).toBe('KRANDOG_WS_HANDSHAKE_TIMEOUT');
    expect(error!.message).toBe('no answer to the opening handshake within 200 ms');
    // The client destroyed its socket: the server sees the TCP connection end.
    await within(server.socketClosed, 10_000, 'the client kept its socket');
  });

  it('fails a connection whose server sends part of the 101 head and stalls', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url, { handshakeTimeout: 200 });
    const events = record(ws);
    const done = closed(ws);
    const connection = await server.nextConnection();
    connection.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n');
    const { error } = await within(done, 10_000, 'no close');
    expect(events).toEqual(failed);
    expect((error!.error as { code: string }).code).toBe('KRANDOG_WS_HANDSHAKE_TIMEOUT');
    await within(connection.ended, 10_000, 'the client kept its socket');
  });

  it('is a deadline for the whole handshake: a server trickling its head a byte at a time is cut off too', async () => {
    const server = await startRawServer();
    const ws = new WebSocket(server.url, { handshakeTimeout: 300 });
    const events = record(ws);
    const done = closed(ws);
    const connection = await server.nextConnection();
    // Far more often than the timeout: an idle timer would never fire.
    const head = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nX-Padding: ${'x'.repeat(10_000)}`);
    let sent = 0;
    const trickle = setInterval(() => connection.write(head.subarray(sent, ++sent)), 10);
    try {
      await within(done, 10_000, 'no close');
    } finally {
      clearInterval(trickle);
    }
    expect(events).toEqual(failed);
    expect(sent).toBeGreaterThan(1);
  });

  it('covers the TLS handshake of wss:// (a server that never answers the ClientHello)', async () => {
    const server = await silent();
    const ws = new WebSocket(`wss://127.0.0.1:${server.port}/`, { handshakeTimeout: 200 });
    const events = record(ws);
    const { error } = await within(closed(ws), 10_000, 'no close');
    expect(events).toEqual(failed);
    expect((error!.error as { code: string }).code).toBe('KRANDOG_WS_HANDSHAKE_TIMEOUT');
  });

  it(`defaults to ${DEFAULT_HANDSHAKE_TIMEOUT} ms; 0 means no limit; close() while connecting ends the deadline`, async () => {
    const server = await silent();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const byDefault = new WebSocket(`ws://127.0.0.1:${server.port}/`);
    const unlimited = new WebSocket(`ws://127.0.0.1:${server.port}/`, { handshakeTimeout: 0 });
    const abandoned = new WebSocket(`ws://127.0.0.1:${server.port}/`, { handshakeTimeout: 100 });
    const events = [byDefault, unlimited, abandoned].map(record);
    const done = closed(byDefault);
    const abandonedDone = closed(abandoned);
    await server.accepted;
    abandoned.close();
    await abandonedDone;
    vi.advanceTimersByTime(DEFAULT_HANDSHAKE_TIMEOUT - 1);
    // Events are tasks (setImmediate, not faked): give any the timers queued the chance to run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(byDefault.readyState).toBe(WebSocket.CONNECTING);
    expect(events[0]).toEqual([]);
    vi.advanceTimersByTime(1);
    await done;
    expect(events[0]).toEqual(failed);
    vi.advanceTimersByTime(3_600_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unlimited.readyState).toBe(WebSocket.CONNECTING);
    expect(events[1]).toEqual([]);
    // The abandoned one failed once, on close(), and its deadline never fired afterwards.
    expect(events[2]).toEqual(failed);
    unlimited.close();
  });

  it('takes a number of milliseconds from 0 to 2^31-1; anything else is a TypeError naming it', () => {
    for (const value of [-1, NaN, Infinity, 2 ** 31, '100', null]) {
      expect(() => new WebSocket('ws://127.0.0.1:1/', { handshakeTimeout: value as number }), String(value)).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(/^WebSocket: handshakeTimeout must be/) }),
      );
    }
    for (const value of [0, 1, 2 ** 31 - 1]) new WebSocket('ws://127.0.0.1:1/', { handshakeTimeout: value }).close();
  });
});

describe('handshakeTimeout in a script run by ./krandog', () => {
  function runScript(args: string[]) {
    const child = spawn('./krandog', ['test/fixtures/ws-client/handshake-timeout.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const waiters: Array<() => void> = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      for (const wake of waiters.splice(0)) wake();
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    const waitFor = async (text: string): Promise<void> => {
      while (!stdout.includes(text)) {
        if (child.exitCode !== null) throw new Error(`exited before ${JSON.stringify(text)}: ${stdout} ${stderr}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    stops.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    return { child, exited, waitFor };
  }

  it('fails the connection to a server that never answers and exits by itself', async () => {
    const server = await silent();
    const run = runScript([`ws://127.0.0.1:${server.port}/`, '300']);
    const { code, stdout, stderr } = await within(run.exited, 20_000, 'the script did not exit');
    expect(stdout.split('\n')).toEqual(['constructed 0', 'error 3 KRANDOG_WS_HANDSHAKE_TIMEOUT', 'close 1006 false 3', '']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    await within(server.socketClosed, 10_000, 'the connection outlived the script');
  });

  it('keeps the process alive while connecting under the default timeout, as an open socket does', async () => {
    const server = await silent();
    const run = runScript([`ws://127.0.0.1:${server.port}/`, 'default', 'report-alive']);
    await server.accepted;
    // The unref'd report only prints if something else (the connecting socket) kept the process alive.
    await within(run.waitFor('still connecting 0'), 20_000, 'no report');
    expect(run.child.exitCode).toBeNull();
  });
});
