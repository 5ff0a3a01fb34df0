// The backplane of `krandog --workers N` without Redis: each worker sends what it publishes to the
// cluster primary over the IPC channel, and the primary relays it to every worker, the sender
// included (src/exec/workers.ts; another server of the sending process may subscribe). The IPC
// channel keeps each worker's order. The primary sets up the channel with 'advanced'
// serialization: Buffers cross as Buffers.
//
// process.send() queues in memory what the pipe does not take at once (a primary busy relaying, or
// stopped): the bytes not yet written are bounded (OutboundQueue), and close() waits for them.
// A primary that is alive but does not answer (stopped, or its event loop stuck) is found by the
// health check of every backplane (health-check.ts): while down, messages stay in this process.
import type { Backplane, BackplaneLimits, EnvelopeListener } from './backplane.ts';
import { OutboundQueue } from '../util/outbound-queue.ts';
import { HealthCheck, OutageLog } from './health-check.ts';
import { CLUSTER_MESSAGE_KEY, PING_KEY, PONG_KEY, isClusterPubSubMessage, type ClusterPubSubMessage } from '../util/cluster-ipc.ts';

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
  readonly #health: HealthCheck;
  readonly #outages = new OutageLog();
  readonly #id = `${process.pid}:${++backplanes}`;
  #pings = 0;
  /** The unanswered ping: its name, and how to settle its promise when the pong comes. */
  #ping: { name: string; answered: () => void } | undefined;
  #closed = false;

  constructor(channel: string, limits: BackplaneLimits, onEnvelope: EnvelopeListener) {
    this.#channel = channel;
    this.#onEnvelope = onEnvelope;
    this.#outbound = new OutboundQueue(limits.queueLimit, 'the cluster primary');
    this.#health = new HealthCheck(limits.timeout, () => this.#sendPing(), (unresponsive) => {
      if (this.#closed) return;
      if (unresponsive) this.#outages.outage(`the cluster primary did not answer within ${limits.timeout} ms; publishing to this process's subscribers only until it does`);
      else this.#outages.recovery('the cluster primary is back; publishing through it again');
    });
    // A 'message' listener keeps the IPC channel (and so the worker) alive until close().
    process.on('message', this.#onMessage);
  }

  get connected(): boolean {
    return !this.#closed && !this.#health.unresponsive && process.connected === true;
  }

  publish(_topic: string, envelope: Buffer): boolean {
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
    this.#health.stop();
    process.off('message', this.#onMessage);
    await this.#outbound.empty(graceMs);
  }

  /** Every topic reaches every worker through the primary: nothing to hold per topic. */
  hold(): void {}

  release(): void {}

  #sendPing(): Promise<void> | undefined {
    if (process.connected !== true) return undefined;
    const name = `${this.#id}:${++this.#pings}`;
    const answer = new Promise<void>((answered) => (this.#ping = { name, answered }));
    process.send!({ [PING_KEY]: name }, undefined, undefined, ignoreSendError);
    return answer;
  }

  #onPong(name: unknown): void {
    const ping = this.#ping;
    if (ping === undefined || ping.name !== name) return;
    this.#ping = undefined;
    ping.answered();
  }
}

function ignoreSendError(): void {
  // The primary is gone: node:cluster ends this worker.
}
