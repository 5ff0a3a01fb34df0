// Graceful shutdown through ./krandog: SIGTERM, SIGINT and server.close() while the server streams
// numbered messages (small and 300 KiB) to `ws` clients, one of which has stopped reading for a
// while. Every message the script's send() accepted arrives, in order, then close 1001, then the
// process exits 0. Plus the edges: the script's own handler, a closed server, shutdownTimeout, and
// a second signal.
import { once } from 'node:events';
import { request } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startKrandogServer, type RunningKrandogServer } from '../helpers/krandog-server.ts';
import { buildFrame, OP } from '../helpers/frames.ts';
import { RawHttpConnection, rawRequest } from '../helpers/raw-http.ts';
import { RawClient, upgradeRequest } from '../helpers/ws-server.ts';
import { within } from '../helpers/within.ts';

const STREAM = 'test/fixtures/hardening/shutdown-stream.js';
const MODES = 'test/fixtures/hardening/shutdown-modes.js';
const LARGE_BYTES = 300 * 1024;

const runs: RunningKrandogServer[] = [];
afterEach(async () => {
  for (const run of runs.splice(0)) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
});

async function start(script: string, args: string[] = []): Promise<RunningKrandogServer> {
  const run = await startKrandogServer(script, args);
  runs.push(run);
  return run;
}

/** Resolves once connections to `port` are refused: the server has stopped listening (its shutdown began). */
async function listenerClosed(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(false))).once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A `ws` client that checks the stream as it comes: message n is `n` (or n's large binary form). */
class StreamClient {
  readonly socket: WebSocket;
  received = 0;
  problems: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #wake: (() => void) | undefined;

  constructor(port: number, readonly name: string, deflate: boolean) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}/?name=${name}`, { perMessageDeflate: deflate });
    this.socket.on('message', (data: Buffer, isBinary: boolean) => this.#check(data, isBinary));
    this.closed = new Promise((resolve) => this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  #check(data: Buffer, isBinary: boolean): void {
    const n = this.received++;
    const large = n % 20 === 19;
    if (large !== isBinary) this.problems.push(`message ${n}: binary ${isBinary}`);
    else if (!large && data.toString() !== String(n)) this.problems.push(`message ${n}: got ${data.toString().slice(0, 20)}`);
    else if (large && (data.length !== LARGE_BYTES || data.readUInt32BE(0) !== n || data[LARGE_BYTES - 1] !== (n & 0xff))) {
      this.problems.push(`message ${n}: large message of ${data.length} bytes starting with ${data.readUInt32BE(0)}`);
    }
    this.#wake?.();
  }

  /** Resolves once `count` messages have arrived. */
  async receivedAtLeast(count: number): Promise<void> {
    while (this.received < count) await within(new Promise<void>((resolve) => (this.#wake = resolve)), 20_000, `${this.name} got only ${this.received}`);
  }
}

/** `accepted <name> <count> close <code>` lines the script printed, by name. */
function acceptedCounts(stdout: string): Record<string, { accepted: number; code: number }> {
  const counts: Record<string, { accepted: number; code: number }> = {};
  for (const [, name, accepted, code] of stdout.matchAll(/^accepted (\w+) (\d+) close (\d+)$/gm)) counts[name] = { accepted: Number(accepted), code: Number(code) };
  return counts;
}

async function streamingClients(port: number): Promise<StreamClient[]> {
  const clients = [new StreamClient(port, 'plain', false), new StreamClient(port, 'deflate', true), new StreamClient(port, 'slow', false)];
  await Promise.all(clients.map((client) => within(once(client.socket, 'open'), 10_000, `${client.name} never opened`)));
  return clients;
}

/** Stops the slow client's reading once it has some messages, so a backlog builds up for it on the server. */
async function stallReading(client: StreamClient): Promise<void> {
  await client.receivedAtLeast(50);
  client.socket.pause();
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    })
      .on('error', reject)
      .end();
  });
}

/** Every client got exactly what the script accepted for it, in order, then close 1001; then krandog exits 0. */
async function expectNothingLost(run: RunningKrandogServer, clients: StreamClient[]): Promise<void> {
  const closes = await Promise.all(clients.map((client) => within(client.closed, 20_000, `${client.name} never closed`)));
  expect(closes).toEqual(clients.map(() => ({ code: 1001, reason: 'server shutting down' })));
  expect(await within(run.exited, 20_000, 'krandog never exited')).toBe(0);
  const counts = acceptedCounts(run.stdout());
  for (const client of clients) {
    expect(client.problems, client.name).toEqual([]);
    expect({ name: client.name, received: client.received }).toEqual({ name: client.name, received: counts[client.name]?.accepted });
    expect(counts[client.name].code, `${client.name}: the close code the server saw`).toBe(1001);
    // Enough went through that large messages and a backlog were part of it.
    expect(client.received).toBeGreaterThan(200);
  }
}

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s: every accepted message arrives (a reader that stalled included), then 1001, then exit 0', async (signal) => {
    const run = await start(STREAM);
    const clients = await streamingClients(run.port);
    await stallReading(clients[2]);
    await Promise.all(clients.slice(0, 2).map((client) => client.receivedAtLeast(300)));
    run.child.kill(signal);
    // The stalled reader comes back during the shutdown and must find its backlog intact.
    setTimeout(() => clients[2].socket.resume(), 200);
    await expectNothingLost(run, clients);
    expect(run.stderr()).toBe('');
  });

  it('on server.close(): the same, and the script then ends by itself with code 0', async () => {
    const run = await start(STREAM);
    const clients = await streamingClients(run.port);
    await Promise.all(clients.map((client) => client.receivedAtLeast(300)));
    expect(await get(run.port, '/close')).toBe(200);
    await expectNothingLost(run, clients);
    expect(run.stdout()).toMatch(/server closed\n$/);
  });
});

describe('signals', () => {
  it("leave a script's own SIGTERM handler in charge", async () => {
    const run = await start(MODES, ['own-handler']);
    await run.waitForOutput(/ready\n/);
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 10_000, 'never exited')).toBe(7);
    expect(run.stdout()).toMatch(/own handler\n$/);
  });

  it('end a script whose servers are closed as under Node (death by the signal)', async () => {
    const run = await start(MODES, ['closed']);
    await run.waitForOutput(/closed\n/);
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 10_000, 'never exited')).toBe('SIGTERM');
  });

  it('cut a response that never finishes after shutdownTimeout, then exit 0', async () => {
    const run = await start(MODES, ['hanging', '300']);
    const cut = new Promise<string>((resolve) => {
      request({ host: '127.0.0.1', port: run.port, path: '/hang' }, () => resolve('answered'))
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message))
        .end();
    });
    await run.waitForOutput(/request in progress\n/);
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 10_000, 'never exited')).toBe(0);
    expect(await cut).toBe('ECONNRESET');
  });

  it('the same signal again ends a shutdown in progress at once', async () => {
    const run = await start(MODES, ['hanging', '60000']);
    const request_ = request({ host: '127.0.0.1', port: run.port, path: '/hang' });
    request_.on('error', () => {}).end();
    await run.waitForOutput(/request in progress\n/);
    run.child.kill('SIGTERM');
    // The first signal's shutdown waits for the response (up to a minute); the second does not.
    await within(listenerClosed(run.port), 10_000, 'the first SIGTERM did not start a shutdown');
    expect(run.child.exitCode).toBe(null);
    run.child.kill('SIGTERM');
    expect(await within(run.exited, 10_000, 'the second SIGTERM did not end it')).toBe('SIGTERM');
  });
});

describe('what is in flight when the shutdown begins', () => {
  it('a response not yet written says Connection: close, and the connection then closes', async () => {
    const run = await start(MODES, ['slow']);
    const connection = await RawHttpConnection.connect(run.port);
    connection.write(rawRequest('GET', '/slow'));
    await run.waitForOutput(/slow request in progress\n/);
    run.child.kill('SIGTERM');
    const response = await within(connection.readResponse(), 10_000, 'no response');
    expect(response.body.toString()).toBe('slow done');
    expect(response.headers.get('connection')).toEqual(['close']);
    await within(connection.closed, 10_000, 'the connection stayed open');
    expect(await within(run.exited, 10_000, 'never exited')).toBe(0);
  });

  it('messages that arrive before the 1001 reach the handler; those that arrive after it are dropped', async () => {
    const run = await start(MODES, ['slow']);
    const raw = await RawClient.connect(run.port);
    raw.write(upgradeRequest('/'));
    expect((await raw.response()).status).toBe(101);
    raw.write(buildFrame({ opcode: OP.text, payload: 'before', mask: true }));
    await run.waitForOutput(/message before\n/);
    run.child.kill('SIGTERM');
    const [closeFrame] = await raw.waitForFrames(1);
    expect(closeFrame.opcode).toBe(OP.close);
    // Sent before this client answers the 1001, as a client that had not read it yet would.
    raw.write(Buffer.concat([buildFrame({ opcode: OP.text, payload: 'after', mask: true }), buildFrame({ opcode: OP.close, payload: closeFrame.payload, mask: true })]));
    expect(await within(run.exited, 10_000, 'never exited')).toBe(0);
    expect(run.stdout()).toContain('message before\n');
    expect(run.stdout()).not.toContain('message after');
  });
});
