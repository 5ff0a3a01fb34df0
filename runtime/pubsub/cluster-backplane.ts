// The backplane of `krandog --workers N` without Redis: each worker sends what it publishes to the
// cluster primary over the IPC channel, and the primary relays it to every worker, the sender
// included (src/exec/workers.ts; another server of the sending process may subscribe). The IPC
// channel keeps each worker's order. The primary sets up the channel with 'advanced'
// serialization: Buffers cross as Buffers.
//
// process.send() queues in memory what the pipe does not take at once (a primary busy relaying, or
// stopped): the bytes not yet written are bounded (OutboundQueue), and close() waits for them.
// A primary that is alive but does not answer (stopped, or its event loop stuck) is found as Redis
// is (redis-backplane.ts): a health check every second (every `timeout`/2 when that is shorter)
// that the primary answers; one unanswered for `timeout` ms counts as down until it is answered.
// While down, messages stay in this process, and the outage and the recovery are reported once.
import type { Backplane, BackplaneLimits, EnvelopeListener } from './backplane.ts';
import { OutboundQueue } from '../util/outbound-queue.ts';
import { CLUSTER_MESSAGE_KEY, PING_KEY, PONG_KEY, isClusterPubSubMessage, type ClusterPubSubMessage } from '../util/cluster-ipc.ts';

/** How often the health check runs (more often with a timeout under 2 s). */
const PING_INTERVAL_MS = 1_000;

/** Tells the health checks of several servers in one worker apart. */
let backplanes = 0;

export class ClusterBackplane implements Backplane {
  readonly kind = 'cluster';
  readonly #channel: string;
  readonly #onEnvelope: EnvelopeListener;
  readonly #onMessage = (message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    if (PONG_KEY in message) return this.#onPong((message as { [PONG_KEY]: unknown })[PONG_KEY]);
    if (!isClusterPubSubMessage(message) || message[CLUSTER_MESSAGE_KEY] !== this.#channel) return;
    const { envelope } = message;
    this.#onEnvelope(Buffer.isBuffer(envelope) ? envelope : Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength));
  };
  readonly #outbound: OutboundQueue;
  readonly #timeout: number;
  readonly #interval: number;
  readonly #healthCheck: NodeJS.Timeout;
  readonly #id = `${process.pid}:${++backplanes}`;
  #pings = 0;
  /** The unanswered health check: its name and when it went out. */
  #ping: { name: string; sentAt: number } | undefined;
  #lastCheckAt = Date.now();
  /** A health check went unanswered for `timeout` ms, and none has been answered since. */
  #unresponsive = false;
  #closed = false;

  constructor(channel: string, limits: BackplaneLimits, onEnvelope: EnvelopeListener) {
    this.#channel = channel;
    this.#onEnvelope = onEnvelope;
    this.#outbound = new OutboundQueue(limits.queueLimit, 'the cluster primary');
    this.#timeout = limits.timeout;
    this.#interval = Math.min(PING_INTERVAL_MS, Math.max(limits.timeout / 2, 10));
    this.#healthCheck = setInterval(() => this.#checkHealth(), this.#interval);
    this.#healthCheck.unref();
    // A 'message' listener keeps the IPC channel (and so the worker) alive until close().
    process.on('message', this.#onMessage);
  }

  get connected(): boolean {
    return !this.#closed && !this.#unresponsive && process.connected === true;
  }

  publish(envelope: Buffer): boolean {
    if (!this.connected) return false;
    const size = envelope.length;
    if (!this.#outbound.take(size)) return false;
    const message: ClusterPubSubMessage = { [CLUSTER_MESSAGE_KEY]: this.#channel, envelope };
    // Called once written to the pipe, or with the error of a primary gone meanwhile (a worker
    // whose primary is gone exits by itself, node:cluster: nothing to report per message).
    process.send!(message, undefined, undefined, () => this.#outbound.done(size));
    return true;
  }

  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#healthCheck);
    process.off('message', this.#onMessage);
    await this.#outbound.empty(graceMs);
  }

  #checkHealth(): void {
    const now = Date.now();
    // A check that runs late means this process was stopped or blocked, not the primary: the
    // answer may be waiting unread in the channel, so the wait starts again rather than blame it.
    const late = now - this.#lastCheckAt > 2 * this.#interval;
    this.#lastCheckAt = now;
    const ping = this.#ping;
    if (ping !== undefined) {
      if (late) ping.sentAt = now;
      else if (!this.#unresponsive && now - ping.sentAt >= this.#timeout) {
        this.#unresponsive = true;
        report(`the cluster primary did not answer within ${this.#timeout} ms; publishing to this process's subscribers only until it does`);
      }
      return;
    }
    if (process.connected !== true) return;
    const name = `${this.#id}:${++this.#pings}`;
    this.#ping = { name, sentAt: now };
    process.send!({ [PING_KEY]: name }, undefined, undefined, ignoreSendError);
  }

  #onPong(name: unknown): void {
    if (this.#ping?.name !== name) return;
    this.#ping = undefined;
    if (!this.#unresponsive) return;
    this.#unresponsive = false;
    if (!this.#closed) report('the cluster primary is back; publishing through it again');
  }
}

function report(message: string): void {
  process.stderr.write(`krandog: pub/sub: ${message}\n`);
}

function ignoreSendError(): void {
  // The primary is gone: node:cluster ends this worker.
}
