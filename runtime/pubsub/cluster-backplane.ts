// The backplane of `krandog --workers N` without Redis: each worker sends what it publishes to the
// cluster primary over the IPC channel, and the primary relays it to every worker, the sender
// included (src/exec/workers.ts). The primary handles one message at a time, so every worker sees
// the same order. The primary sets up the channel with 'advanced' serialization: Buffers cross as
// Buffers.
import type { Backplane, EnvelopeListener } from './backplane.ts';

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
  #closed = false;

  constructor(channel: string, onEnvelope: EnvelopeListener) {
    this.#channel = channel;
    this.#onEnvelope = onEnvelope;
    // A 'message' listener keeps the IPC channel (and so the worker) alive until close().
    process.on('message', this.#onMessage);
  }

  get connected(): boolean {
    return !this.#closed && process.connected === true;
  }

  publish(envelope: Buffer): boolean {
    if (!this.connected) return false;
    const message: ClusterPubSubMessage = { [CLUSTER_MESSAGE_KEY]: this.#channel, envelope };
    // The primary may go away between the check and the send: the callback takes the error.
    process.send!(message, undefined, undefined, ignoreSendError);
    return true;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      process.off('message', this.#onMessage);
    }
    return Promise.resolve();
  }
}

function ignoreSendError(): void {
  // A worker whose primary is gone exits by itself (node:cluster); nothing to report per message.
}
