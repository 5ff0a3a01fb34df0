// publish() of one WebSocket server: to the local subscribers at once, and through a backplane (if
// any) to the subscribers of every other process.
//
// Local delivery never waits for the backplane: a slow, hung or absent Redis cannot hold up this
// process's subscribers. Each envelope names its publisher (origin), so when the backplane brings a
// message back to the process that published it, that process skips it: it was delivered already.
// So each subscriber gets each message once; each publisher's messages arrive in the order it
// published them, in every process (the backplane keeps each sender's order; on a Redis Cluster,
// per topic); messages of two publishers may interleave differently in different processes.
// Within one process every subscriber of a topic sees the same order. While the backplane is down (or its queue is full),
// messages reach this process's subscribers only, and are counted in `dropped`.
//
// The hub tells the backplane which topics have a subscriber here (the registry reports when a
// topic gains its first one or loses its last, see WatchedTopicRegistry): the Redis backplane
// subscribes to those topics' channels only.
import { isValidUtf8 } from '../ws/protocol/utf8.ts';
import { TopicRegistry, type DeflaterLookup, type Subscriber } from './topics.ts';
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
  /** Messages that reached this process's subscribers only: the backplane was down, or its queue full. */
  readonly dropped: number;
}

/** Opens a backplane that hands what arrives to the listener. */
export type BackplaneOpener = (onEnvelope: EnvelopeListener) => Backplane;

/** How to open the configured backplane; undefined for none. */
export function backplaneOpener(config: BackplaneConfig): BackplaneOpener | undefined {
  if (config.kind === 'redis') return (onEnvelope) => new RedisBackplane(config.url, config.channel, config, onEnvelope, config.cluster);
  if (config.kind === 'cluster') return (onEnvelope) => new ClusterBackplane(config.channel, config, onEnvelope);
  return undefined;
}

export class PubSubHub {
  readonly #registry: TopicRegistry;
  readonly #backplane: Backplane | undefined;
  readonly #origin = newOrigin();
  #sequence = 0;
  #dropped = 0;

  /** `openBackplane` (see backplaneOpener) connects the hub to other processes; without it topics stay local. */
  constructor(registry: TopicRegistry, openBackplane?: BackplaneOpener) {
    this.#registry = registry;
    this.#backplane = openBackplane?.((envelope, topic) => this.#receive(envelope, topic));
  }

  /** `topic` gained its first subscriber in this server (`held`), or lost its last one. */
  interest(topic: string, held: boolean): void {
    if (held) this.#backplane?.hold(topic);
    else this.#backplane?.release(topic);
  }

  get status(): PubSubStatus {
    const backplane = this.#backplane;
    return { backplane: backplane?.kind ?? 'none', connected: backplane?.connected ?? false, dropped: this.#dropped };
  }

  /**
   * Publishes to every subscriber of `topic` except `sender`. Returns the message's size in bytes
   * when it went out (to a local subscriber, or to the backplane), 0 when nobody could get it.
   */
  publish(topic: string, data: string | Uint8Array, sender: Subscriber | undefined): number {
    const isText = typeof data === 'string';
    const backplane = this.#backplane;
    // Encoded first: a topic too long for the envelope throws before anyone gets the message.
    const envelope = backplane?.connected ? encodeEnvelope(this.#origin, ++this.#sequence, topic, data, isText) : undefined;
    const written = this.#registry.deliver(topic, data, isText, sender);
    let sent = false;
    if (backplane !== undefined) {
      sent = envelope !== undefined && backplane.publish(topic, envelope);
      if (!sent) this.#dropped++;
    }
    if (written === 0 && !sent) return 0;
    return isText ? Buffer.byteLength(data) : data.length;
  }

  /** Sends what the backplane accepted (within `graceMs`), then disconnects it. */
  close(graceMs: number): Promise<void> {
    return this.#backplane?.close(graceMs) ?? Promise.resolve();
  }

  /** `channelTopic`: the topic whose channel the message came on, if the backplane has one per topic. */
  #receive(bytes: Buffer, channelTopic: string | undefined): void {
    const envelope = decodeEnvelope(bytes);
    // Someone else's message on our channel, or text that is not UTF-8: clients must never get it.
    // Our own message coming back was delivered here when it was published.
    if (envelope === null || envelope.origin.equals(this.#origin) || (envelope.isText && !isValidUtf8(envelope.payload))) return;
    try {
      this.#registry.deliver(channelTopic ?? envelope.topic, envelope.payload, envelope.isText, undefined);
    } catch (error) {
      // Called from the backplane's socket read: a throw here would end the process.
      process.stderr.write(`krandog: pub/sub: could not deliver a message on '${envelope.topic}': ${(error as Error).message}\n`);
    }
  }
}

/**
 * A TopicRegistry that reports when a topic gains its first subscriber or loses its last one
 * (`onInterest(topic, held)`), so that the hub can tell the backplane.
 */
export class WatchedTopicRegistry extends TopicRegistry {
  readonly #onInterest: (topic: string, held: boolean) => void;

  constructor(deflaterFor: DeflaterLookup, onInterest: (topic: string, held: boolean) => void) {
    super(deflaterFor);
    this.#onInterest = onInterest;
  }

  override subscribe(ws: Subscriber, topic: string): boolean {
    const added = super.subscribe(ws, topic);
    if (added && this.subscriberCount(topic) === 1) this.#onInterest(topic, true);
    return added;
  }

  override unsubscribe(ws: Subscriber, topic: string): boolean {
    const removed = super.unsubscribe(ws, topic);
    if (removed && this.subscriberCount(topic) === 0) this.#onInterest(topic, false);
    return removed;
  }

  override removeSocket(ws: Subscriber): void {
    const topics = this.topicsOf(ws);
    super.removeSocket(ws);
    for (const topic of topics) if (this.subscriberCount(topic) === 0) this.#onInterest(topic, false);
  }
}
