// publish() of one WebSocket server: straight to the local subscribers, or through a backplane to
// the subscribers of every process.
//
// With a backplane, a message is delivered when it comes back from the backplane, in this process
// as in every other: all subscribers of a topic, wherever they are, see its messages in one order
// (each publisher's messages in the order it published them), and each message once. While the
// backplane is down, messages go to this process's subscribers at once and to no other process.
import { isValidUtf8 } from '../ws/utf8.ts';
import type { ServerWebSocket } from '../ws/server-socket.ts';
import type { TopicRegistry } from '../ws/topics.ts';
import type { Backplane, BackplaneConfig, EnvelopeListener } from './backplane.ts';
import { ClusterBackplane } from './cluster-backplane.ts';
import { decodeEnvelope, encodeEnvelope, newOrigin } from './envelope.ts';
import { RedisBackplane } from './redis-backplane.ts';

/** What `server.pubsub` reports. */
export interface PubSubStatus {
  /** 'none' when topics stay within this process. */
  readonly backplane: 'none' | 'cluster' | 'redis';
  /** Whether published messages currently reach the other processes. */
  readonly connected: boolean;
}

/** Opens a backplane that hands what arrives to the listener. */
export type BackplaneOpener = (onEnvelope: EnvelopeListener) => Backplane;

/** How to open the configured backplane; undefined for none. */
export function backplaneOpener(config: BackplaneConfig): BackplaneOpener | undefined {
  if (config.kind === 'redis') return (onEnvelope) => new RedisBackplane(config.url, config.channel, onEnvelope);
  if (config.kind === 'cluster') return (onEnvelope) => new ClusterBackplane(config.channel, onEnvelope);
  return undefined;
}

/** At most this many of our own messages are remembered while they travel (for ws.publish's sender). */
const MAX_IN_FLIGHT = 65_536;

export class PubSubHub {
  readonly #registry: TopicRegistry;
  readonly #backplane: Backplane | undefined;
  readonly #origin = newOrigin();
  #sequence = 0;
  // Our messages on their way through the backplane, oldest first: their sequence numbers and
  // senders. The backplane keeps our order, so a returning message settles the oldest entries.
  #inFlightSequences: number[] = [];
  #inFlightSenders: Array<ServerWebSocket | undefined> = [];
  #inFlightHead = 0;

  /** `openBackplane` (see backplaneOpener) connects the hub to other processes; without it topics stay local. */
  constructor(registry: TopicRegistry, openBackplane?: BackplaneOpener) {
    this.#registry = registry;
    this.#backplane = openBackplane?.((envelope) => this.#receive(envelope));
  }

  get status(): PubSubStatus {
    const backplane = this.#backplane;
    return { backplane: backplane?.kind ?? 'none', connected: backplane?.connected ?? false };
  }

  /**
   * Publishes to every subscriber of `topic` except `sender`. Returns the message's size in bytes
   * when it went out (to a local subscriber, or to the backplane), 0 when nobody could get it.
   */
  publish(topic: string, data: string | Uint8Array, sender: ServerWebSocket | undefined): number {
    const isText = typeof data === 'string';
    const backplane = this.#backplane;
    if (backplane !== undefined && backplane.connected) {
      const sequence = ++this.#sequence;
      const envelope = encodeEnvelope(this.#origin, sequence, topic, data, isText);
      if (backplane.publish(envelope)) {
        this.#remember(sequence, sender);
        return isText ? Buffer.byteLength(data) : data.length;
      }
    }
    const written = this.#registry.deliver(topic, data, isText, sender);
    if (written === 0) return 0;
    return isText ? Buffer.byteLength(data) : data.length;
  }

  close(): Promise<void> {
    return this.#backplane?.close() ?? Promise.resolve();
  }

  #receive(bytes: Buffer): void {
    const envelope = decodeEnvelope(bytes);
    // Someone else's message on our channel, or text that is not UTF-8: clients must never get it.
    if (envelope === null || (envelope.isText && !isValidUtf8(envelope.payload))) return;
    const sender = envelope.origin.equals(this.#origin) ? this.#settle(envelope.sequence) : undefined;
    try {
      this.#registry.deliver(envelope.topic, envelope.payload, envelope.isText, sender);
    } catch (error) {
      // Called from the backplane's socket read: a throw here would end the process.
      process.stderr.write(`krandog: pub/sub: could not deliver a message on '${envelope.topic}': ${(error as Error).message}\n`);
    }
  }

  #remember(sequence: number, sender: ServerWebSocket | undefined): void {
    if (this.#inFlightSequences.length - this.#inFlightHead >= MAX_IN_FLIGHT) this.#inFlightHead++;
    this.#inFlightSequences.push(sequence);
    this.#inFlightSenders.push(sender);
  }

  /** The sender of our message `sequence`; older entries still waiting were lost on the way. */
  #settle(sequence: number): ServerWebSocket | undefined {
    const sequences = this.#inFlightSequences;
    let head = this.#inFlightHead;
    while (head < sequences.length && sequences[head] < sequence) head++;
    let sender: ServerWebSocket | undefined;
    if (head < sequences.length && sequences[head] === sequence) sender = this.#inFlightSenders[head++];
    if (head === sequences.length) {
      this.#inFlightSequences = [];
      this.#inFlightSenders = [];
      this.#inFlightHead = 0;
    } else if (head > 1024 && head * 2 > sequences.length) {
      this.#inFlightSequences = sequences.slice(head);
      this.#inFlightSenders = this.#inFlightSenders.slice(head);
      this.#inFlightHead = 0;
    } else {
      this.#inFlightHead = head;
    }
    return sender;
  }
}
