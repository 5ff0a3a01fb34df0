// `krandog --workers N script.js`: the script runs in N worker processes (node:cluster) that share
// its listening ports; this process, the primary, runs no script. It bundles once (the workers
// start from the cached bundle), relays pub/sub messages between the workers (the backplane when
// no Redis is configured, runtime/pubsub/cluster-backplane.ts), restarts a worker that crashes
// (with backoff, giving up on a script that keeps crashing at start-up), and on SIGINT/SIGTERM
// stops the workers gracefully and exits 0.
import type { Cluster, Worker } from 'node:cluster';
import { os, path } from '../builtins.ts';
import { prepareBundle } from '../bundle/prepare.ts';
import { distDir } from '../bundle/runtime-paths.ts';
import { resolveEntry, takeExecutablePath } from '../cli/entry.ts';
import { KrandogError, USAGE_EXIT_CODE } from '../errors.ts';
import { healthCheckAnswer, isClusterPubSubMessage } from '../../runtime/util/cluster-ipc.ts';
import { DEFAULT_QUEUE_LIMIT, OutboundQueue } from '../../runtime/util/outbound-queue.ts';

const binScript = path.join(distDir, '..', 'bin', 'krandog.js');
/** A worker that ran at least this long before crashing is restarted at once (after the first delay). */
const STABLE_AFTER_MS = 5_000;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** Crashes in a row, each within STABLE_AFTER_MS of starting, after which krandog gives up. */
const MAX_QUICK_CRASHES = 5;
/**
 * How long workers have to finish after SIGTERM before they are killed: longer than a server's
 * default shutdownTimeout (10 s), so a worker's own graceful shutdown can run its course.
 */
const SHUTDOWN_GRACE_MS = 15_000;

/**
 * Bytes of relayed pub/sub messages the primary holds for one worker that does not read its IPC
 * channel (stopped, or its event loop blocked), counted as a backplane's queue counts them
 * (OutboundQueue): past it, that worker misses messages until it has caught up, instead of the
 * primary growing without end. KRANDOG_PUBSUB_RELAY_LIMIT overrides it.
 */
export function relayLimit(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.KRANDOG_PUBSUB_RELAY_LIMIT;
  if (value === undefined || value === '') return DEFAULT_QUEUE_LIMIT;
  const limit = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit > 0)) throw new KrandogError(`KRANDOG_PUBSUB_RELAY_LIMIT takes a number of bytes, got '${value}'`, USAGE_EXIT_CODE);
  return limit;
}

export interface WorkersOptions {
  cache: boolean;
  workers: number;
}

/** `--workers` value: a count from 1 to 256, or `auto` for one per core. */
export function parseWorkerCount(value: string): number {
  if (value === 'auto') return os().availableParallelism?.() ?? os().cpus().length;
  const count = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > 256) {
    throw new KrandogError(`--workers takes a number from 1 to 256 or 'auto', got '${value}'`, USAGE_EXIT_CODE);
  }
  return count;
}

/** Runs the script in worker processes until they are all done or krandog is stopped. */
export async function runWorkers(script: string, args: string[], options: WorkersOptions): Promise<void> {
  const entry = resolveEntry(script);
  const argv0 = takeExecutablePath();
  // Syntax errors are reported once, here, and the workers find the bundle in the cache.
  await prepareBundle(entry, { cache: options.cache });
  // Imported here: a plain run never loads node:cluster.
  const cluster = (await import('node:cluster')).default;
  cluster.setupPrimary({
    exec: binScript,
    args: [...(options.cache ? [] : ['--no-cache']), entry, ...args],
    // Pub/sub messages carry Buffers.
    serialization: 'advanced',
  });
  new WorkerPool(cluster, options.workers, { KRANDOG_EXECUTABLE: argv0 }, relayLimit()).start();
}

interface Slot {
  /** 1-based; a restarted worker keeps its slot's number (KRANDOG_WORKER). */
  readonly number: number;
  worker: Worker | undefined;
  /** What the primary holds for the worker's IPC channel; a new one per fork. */
  relay: Relay | undefined;
  startedAt: number;
  quickCrashes: number;
  restartTimer: NodeJS.Timeout | undefined;
}

interface Relay {
  /** Messages sent while the channel had a backlog and not yet written. */
  readonly queue: OutboundQueue;
  /** The last send() found the channel backed up (Node's threshold: 128 KiB not yet written). */
  backlogged: boolean;
}

class WorkerPool {
  readonly #cluster: Cluster;
  readonly #slots: Slot[];
  readonly #env: NodeJS.ProcessEnv;
  readonly #relayLimit: number;
  #stopping = false;
  #exitCode = 0;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(cluster: Cluster, count: number, env: NodeJS.ProcessEnv, relayLimit: number) {
    this.#cluster = cluster;
    this.#env = env;
    this.#relayLimit = relayLimit;
    this.#slots = Array.from({ length: count }, (_, index) => ({
      number: index + 1,
      worker: undefined,
      relay: undefined,
      startedAt: 0,
      quickCrashes: 0,
      restartTimer: undefined,
    }));
  }

  start(): void {
    this.#cluster.on('message', (from, message) => this.#relay(from, message));
    this.#cluster.on('exit', (worker, code, signal) => this.#onExit(worker, code, signal));
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => this.#stop(0));
    for (const slot of this.#slots) this.#fork(slot);
  }

  #fork(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.startedAt = Date.now();
    const worker = (slot.worker = this.#cluster.fork({ ...this.#env, KRANDOG_WORKER: String(slot.number) }));
    const name = `worker ${slot.number} (pid ${worker.process.pid})`;
    slot.relay = { queue: new OutboundQueue(this.#relayLimit, name, 'messages published until it catches up are not relayed to it'), backlogged: false };
  }

  /**
   * A pub/sub message from one worker goes to every worker, the sender included (another server
   * there may subscribe), unless that worker has not taken `relayLimit` bytes of earlier ones yet.
   * What a worker has not taken is judged by its channel, not by this tick: send() says when the
   * channel holds a backlog (bytes the kernel did not take), and only messages sent while it does
   * are counted, until they are written. So a burst to workers that read is never cut.
   * A health check from a worker's backplane is answered at once.
   */
  #relay(from: Worker, message: unknown): void {
    const answer = healthCheckAnswer(message);
    if (answer !== undefined) {
      if (from.isConnected()) from.send(answer, undefined, ignoreSendError);
      return;
    }
    if (!isClusterPubSubMessage(message)) return;
    const size = message.envelope.byteLength;
    for (const { worker, relay } of this.#slots) {
      if (worker === undefined || relay === undefined || !worker.isConnected()) continue;
      if (!relay.backlogged) {
        relay.backlogged = !worker.send(message, undefined, ignoreSendError);
        continue;
      }
      const queue = relay.queue;
      if (!queue.take(size)) continue;
      // Called once written to the channel, or with the error of a worker gone meanwhile.
      relay.backlogged = !worker.send(message, undefined, () => queue.done(size));
    }
  }

  #onExit(worker: Worker, code: number, signal: string | null): void {
    const slot = this.#slots.find((candidate) => candidate.worker === worker);
    if (slot === undefined) return;
    slot.worker = undefined;
    slot.relay = undefined;
    if (this.#stopping) return this.#exitWhenAllGone();
    // A worker that finished by itself (exit code 0) is not restarted; krandog ends with the last one.
    if (code === 0 && signal === null) return;
    const ranFor = Date.now() - slot.startedAt;
    slot.quickCrashes = ranFor < STABLE_AFTER_MS ? slot.quickCrashes + 1 : 1;
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    if (slot.quickCrashes >= MAX_QUICK_CRASHES) {
      log(`worker ${slot.number} (pid ${worker.process.pid}) ${how}, ${MAX_QUICK_CRASHES} times in a row within ${STABLE_AFTER_MS / 1000} s of starting; giving up`);
      return this.#stop(1);
    }
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** (slot.quickCrashes - 1), MAX_RESTART_DELAY_MS);
    log(`worker ${slot.number} (pid ${worker.process.pid}) ${how}; restarting it in ${delay} ms`);
    slot.restartTimer = setTimeout(() => this.#fork(slot), delay);
  }

  /**
   * Stops every worker with SIGTERM (a worker closes its servers, see runtime/http/signal-shutdown.ts),
   * kills those still running after SHUTDOWN_GRACE_MS, then exits. A second signal kills at once.
   */
  #stop(exitCode: number): void {
    if (this.#stopping) {
      for (const worker of this.#liveWorkers()) worker.process.kill('SIGKILL');
      return;
    }
    this.#stopping = true;
    this.#exitCode = exitCode;
    for (const slot of this.#slots) clearTimeout(slot.restartTimer);
    for (const worker of this.#liveWorkers()) worker.process.kill('SIGTERM');
    this.#killTimer = setTimeout(() => {
      for (const worker of this.#liveWorkers()) worker.process.kill('SIGKILL');
    }, SHUTDOWN_GRACE_MS);
    this.#exitWhenAllGone();
  }

  #exitWhenAllGone(): void {
    if (this.#liveWorkers().length > 0) return;
    clearTimeout(this.#killTimer);
    process.exit(this.#exitCode);
  }

  #liveWorkers(): Worker[] {
    return this.#slots.flatMap((slot) => (slot.worker === undefined ? [] : [slot.worker]));
  }
}

function log(message: string): void {
  process.stderr.write(`krandog: ${message}\n`);
}

function ignoreSendError(): void {
  // The worker is exiting; its 'exit' event handles the rest.
}
