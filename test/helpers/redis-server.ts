// A redis-server for the pub/sub tests. CI (.ci/run) starts one and names it in KRANDOG_TEST_REDIS;
// elsewhere a test starts its own from the redis-server binary, or is skipped with a message when
// there is none. Under CI=true a missing Redis fails the test instead of skipping it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';
import { within } from './within.ts';

/** Whether redis-server can be started here. */
export const hasRedisBinary = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** Why Redis tests cannot run, or undefined when they can. Throws under CI, where they must run. */
export function redisUnavailableReason(): string | undefined {
  if (process.env.KRANDOG_TEST_REDIS || hasRedisBinary) return undefined;
  const reason = 'no redis-server on PATH and KRANDOG_TEST_REDIS unset (apt-get install redis-server)';
  if (process.env.CI === 'true') throw new Error(`Redis tests must run in CI: ${reason}`);
  console.warn(`skipping Redis tests: ${reason}`);
  return reason;
}

/**
 * A loopback port the kernel gave out as free a moment ago. redis-server cannot listen on port 0 (0
 * turns TCP off), so it gets this port, and RedisServer.start() takes another if someone was faster.
 */
export async function unusedPort(): Promise<number> {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A redis-server child process of the test, on a fixed port it can be restarted on. */
export class RedisServer {
  readonly port: number;
  #child: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  static async start(): Promise<RedisServer> {
    for (let attempt = 1; ; attempt++) {
      const server = new RedisServer(await unusedPort());
      try {
        await server.restart();
        return server;
      } catch (error) {
        if (attempt === 5 || !/Address already in use/i.test(String(error))) throw error;
      }
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server on the port again (after kill()); resolves when it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    });
  }

  /** Stops redis-server (SIGSTOP): its connections stay open, and nothing answers on them. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  /** Lets a paused redis-server go on (SIGCONT). */
  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Kills redis-server at once (SIGKILL: no goodbye to its clients; paused or not) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

/** The Redis URL for tests that only need one running: CI's, or one started for the test file. */
export async function sharedRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const fromCi = process.env.KRANDOG_TEST_REDIS;
  if (fromCi) return { url: fromCi, stop: () => Promise.resolve() };
  const own = await RedisServer.start();
  return { url: own.url, stop: () => own.kill() };
}

/** A client of the test's own, for Redis's introspection (PUBSUB, INFO). */
export async function connectTo(url: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  return client;
}

/** How many connections subscribe to each channel (PUBSUB NUMSUB). */
export async function numsubOn(client: Redis, channels: string[]): Promise<number[]> {
  const counts: number[] = [];
  for (let i = 0; i < channels.length; i += 500) {
    const reply = (await client.call('PUBSUB', 'NUMSUB', ...channels.slice(i, i + 500))) as (string | number)[];
    for (let j = 1; j < reply.length; j += 2) counts.push(Number(reply[j]));
  }
  return counts;
}

/** Polls PUBSUB NUMSUB until every channel has `expected` subscribers. */
export async function untilNumsubOn(client: Redis, channels: string[], expected: number[] | number): Promise<void> {
  const want = typeof expected === 'number' ? channels.map(() => expected) : expected;
  let last: number[] = [];
  const poll = async (): Promise<void> => {
    while (JSON.stringify((last = await numsubOn(client, channels))) !== JSON.stringify(want)) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  await within(poll(), 10_000, `PUBSUB NUMSUB never reached ${JSON.stringify(want).slice(0, 80)}: ${JSON.stringify(last).slice(0, 80)}`);
}

export async function channelsOn(client: Redis, prefix: string): Promise<string[]> {
  return ((await client.call('PUBSUB', 'CHANNELS', `${prefix}:*`)) as string[]).sort();
}


/** Waits until `count` connections (or count[i] for channels[i]) subscribe to each channel, asking a client of its own. */
export async function untilSubscribed(url: string, channels: string[], count: number | number[]): Promise<void> {
  const client = await connectTo(url);
  try {
    await untilNumsubOn(client, channels, count);
  } finally {
    client.disconnect();
  }
}
