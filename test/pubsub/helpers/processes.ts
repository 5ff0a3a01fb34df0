// krandog processes for the pub/sub tests: spawned through ./krandog, output followed, and a
// `ws` client that records every message it gets.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { MESSAGE_OVERHEAD } from '../../../runtime/util/outbound-queue.ts';
import { within } from '../../ws/server/harness.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const topicServer = 'test/fixtures/pubsub/topic-server.js';

export interface KrandogRun {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `stream` has `count` matches of `pattern` (a global RegExp); rejects if the process exits first. */
  waitFor(pattern: RegExp, count?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray[]>;
  /** Exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
  /** SIGKILL (if still running) and wait. */
  kill(): Promise<void>;
}

const running = new Set<KrandogRun>();

/** Kills every process started by the current test (use in afterEach). */
export async function killAll(): Promise<void> {
  const runs = [...running];
  running.clear();
  await Promise.all(runs.map((run) => run.kill()));
}

/** `ownProcessGroup`: the process (and its workers) in a group of their own, as a terminal's job is. */
export function startKrandog(args: string[], env: NodeJS.ProcessEnv = {}, ownProcessGroup = false): KrandogRun {
  const childEnv = { ...process.env, ...env };
  if (env.KRANDOG_DEBUG === undefined) delete childEnv.KRANDOG_DEBUG;
  const child = spawn('./krandog', args, { cwd: repoRoot, env: childEnv, detached: ownProcessGroup });
  const text = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const check of [...waiters]) check();
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk;
    wake();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk;
    wake();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      wake();
    });
  });
  const run: KrandogRun = {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    exited,
    waitFor(pattern, count = 1, stream = 'stdout') {
      const waiting = new Promise<RegExpMatchArray[]>((resolve, reject) => {
        const check = (): void => {
          const matches = [...text[stream].matchAll(pattern)];
          if (matches.length >= count) {
            waiters.delete(check);
            resolve(matches);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`krandog ${args.join(' ')} exited before ${count}× ${pattern}\nstdout: ${text.stdout}\nstderr: ${text.stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
      return within(waiting, 20_000, `no ${count}× ${pattern} in ${stream}:\n${text[stream]}`);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  running.add(run);
  return run;
}

/** Starts the topic server fixture; resolves with its port once it listens. */
export async function startTopicServer(env: NodeJS.ProcessEnv, args: string[] = [], ownProcessGroup = false): Promise<KrandogRun & { port: number }> {
  const run = startKrandog([...args, topicServer], env, ownProcessGroup);
  const [match] = await run.waitFor(/Server listening on http:\/\/localhost:(\d+)/g);
  return Object.assign(run, { port: Number(match[1]) });
}

/**
 * GET/POST an endpoint of the fixture; the JSON answer. Each call is a new TCP connection, so that
 * under --workers the calls go round the workers (fetch would keep reusing one connection).
 */
export function call<T = Record<string, unknown>>(port: number, path: string, method = 'GET'): Promise<T> {
  const answer = new Promise<T>((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode === 200) resolve(JSON.parse(body) as T);
        else reject(new Error(`${method} ${path}: ${response.statusCode} ${body}`));
      });
    });
    request.on('error', reject);
    request.end();
  });
  return within(answer, 10_000, `${method} ${path} got no answer`);
}

/** Polls `/status` until the fixture's backplane says it is connected. */
export async function waitUntilConnected(port: number): Promise<void> {
  const poll = async (): Promise<void> => {
    while (!(await call<{ pubsub: { connected: boolean } }>(port, '/status')).pubsub.connected) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  await within(poll(), 20_000, `the backplane of the server on port ${port} never connected`);
}

/** A message as a subscriber sees it: text, or binary shown as `bin:<hex of first 2 bytes>:<rest as text>`. */
export type Received = string;

/** A `ws` client that joined a topic on the fixture and records every message after its greeting. */
export class Subscriber {
  readonly socket: WebSocket;
  /** The PID of the krandog process that accepted it (from the greeting). */
  readonly pid: number;
  readonly messages: Received[] = [];
  #wake: (() => void) | undefined;

  private constructor(socket: WebSocket, pid: number, early: Received[]) {
    this.socket = socket;
    this.pid = pid;
    this.messages.push(...early);
  }

  /** `control`: the fixture takes this socket's messages as commands (see its header). */
  static async connect(port: number, topic = 'chat', options: WebSocket.ClientOptions = {}, control = false): Promise<Subscriber> {
    const query = `topic=${encodeURIComponent(topic)}${control ? '&control=1' : ''}`;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/?${query}`, { perMessageDeflate: false, ...options });
    const early: Received[] = [];
    let subscriber: Subscriber | undefined;
    let greeted: (pid: number) => void;
    const greeting = new Promise<number>((resolve) => (greeted = resolve));
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? `bin:${data.subarray(0, 2).toString('hex')}:${data.subarray(2).toString()}` : data.toString();
      const hello = /^hello (\d+)$/.exec(message);
      if (hello && subscriber === undefined) return greeted(Number(hello[1]));
      if (subscriber === undefined) early.push(message);
      else {
        subscriber.messages.push(message);
        subscriber.#wake?.();
      }
    });
    socket.on('error', () => {});
    const pid = await within(greeting, 10_000, `no greeting from the server on port ${port}`);
    subscriber = new Subscriber(socket, pid, early);
    return subscriber;
  }

  /** Waits until `count` messages (in all) have arrived. */
  async received(count: number): Promise<Received[]> {
    const wait = async (): Promise<void> => {
      while (this.messages.length < count) await new Promise<void>((resolve) => (this.#wake = resolve));
    };
    await within(wait(), 20_000, `subscriber got ${this.messages.length} of ${count} messages: ${this.messages.slice(-5).join(', ')}`);
    return this.messages;
  }

  /** Waits until a message matching `pattern` has arrived. */
  async receivedMatch(pattern: RegExp): Promise<Received[]> {
    const wait = async (): Promise<void> => {
      while (!this.messages.some((message) => pattern.test(message))) await new Promise<void>((resolve) => (this.#wake = resolve));
    };
    await within(wait(), 20_000, `subscriber never got ${pattern}; last: ${this.messages.slice(-5).join(', ')}`);
    return this.messages;
  }

  send(data: string | Buffer): void {
    this.socket.send(data);
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await once(this.socket, 'close');
  }
}

/** Connects until clients have reached `count` different worker processes (the primary hands connections round-robin). */
export async function clientsOnWorkers(port: number, count: number, topic = 'chat'): Promise<Subscriber[]> {
  const clients: Subscriber[] = [];
  while (new Set(clients.map((client) => client.pid)).size < count) {
    if (clients.length >= 40) throw new Error(`40 clients reached only pids ${[...new Set(clients.map((c) => c.pid))]}`);
    clients.push(await Subscriber.connect(port, topic));
  }
  return clients;
}

/**
 * What the first `count` server.publish messages `<prefix>:<i>` on topic 'chat' take in a backplane's
 * queue: envelope (26 bytes of header, runtime/pubsub/envelope.ts, then topic and payload) plus bookkeeping.
 */
export function queuedBytes(prefix: string, count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += 26 + 'chat'.length + Buffer.byteLength(`${prefix}:${i}`) + MESSAGE_OVERHEAD;
  return bytes;
}
