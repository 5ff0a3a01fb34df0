// The backplane of `krandog --workers N` without Redis: each worker sends what it publishes to the
// cluster primary over the IPC channel, and the primary relays it to every worker, the sender
// included (src/exec/workers.ts; another server of the sending process may subscribe). The IPC
// channel keeps each worker's order. The primary sets up the channel with 'advanced'
// serialization: Buffers cross as Buffers.
//
// process.send() queues in memory what the pipe does not take at once (a primary busy relaying, or
// stopped): the bytes not yet written are bounded (OutboundQueue), and close() waits for them.
import type { Backplane, BackplaneLimits, EnvelopeListener } from './backplane.ts';
import { OutboundQueue } from './outbound.ts';

/** The key that marks a pub/sub message on the IPC channel; its value is the channel name. */
export const CLUSTER_MESSAGE_KEY = 'krandogPubsub';

export interface ClusterPubSubMessage {
  [CLUSTER_MESSAGE_KEY]: string;
  envelope: Uint8Array;
}

export function isClusterPubSubMessage(message: unknown): message is ClusterPubSubMessage {
  return typeof message === 'object' && message !== null && CLUSTER_MESSAGE_KEY in message;
}

export class ClusterBackplane implements Backplane {
  readonly kind = 'cluster';
  readonly #channel: string;
  readonly #onEnvelope: EnvelopeListener;
  readonly #onMessage = (message: unknown): void => {
    if (!isClusterPubSubMessage(message) || message[CLUSTER_MESSAGE_KEY] !== this.#channel) return;
    const { envelope } = message;
    this.#onEnvelope(Buffer.isBuffer(envelope) ? envelope : Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength));
  };
  readonly #outbound: OutboundQueue;
  #closed = false;

  constructor(channel: string, limits: BackplaneLimits, onEnvelope: EnvelopeListener) {
    this.#channel = channel;
    this.#onEnvelope = onEnvelope;
    this.#outbound = new OutboundQueue(limits.queueLimit, 'the cluster primary');
    // A 'message' listener keeps the IPC channel (and so the worker) alive until close().
    process.on('message', this.#onMessage);
  }

  get connected(): boolean {
    return !this.#closed && process.connected === true;
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
    process.off('message', this.#onMessage);
    await this.#outbound.empty(graceMs);
  }
}
