// Topics of one WebSocket server (Bun and uWebSockets call them the same): which sockets subscribe to
// what, and the fan-out of one message to a topic's subscribers: framed once (see FanoutMessage),
// the same bytes written to every subscriber.
import type { EncodedMessage } from '../ws/protocol/frame-encoder.ts';
import type { MessageCompressor } from '../ws/protocol/compressor.ts';
import { FanoutMessage } from './fanout.ts';
import { describeValue } from '../util/describe-value.ts';
import { isBinaryData, viewBytes } from '../util/bytes.ts';

/**
 * What topics need of a subscribed socket (a ServerWebSocket): its connection's agreed extensions
 * and a way to write an already encoded message. An interface, so topics need not import the socket.
 */
export interface Subscriber {
  readonly connection: {
    /** The agreed Sec-WebSocket-Extensions value, '' when none. */
    readonly extensions: string;
    /** Writes the message (`byteLength` bytes); its send result, 0 (SendResult.Dropped) when not written. */
    sendEncoded(encoded: EncodedMessage, byteLength: number): number;
  };
}

/** Throws a TypeError naming `method` unless `topic` is a string. */
export function checkTopic(topic: unknown, method: string): asserts topic is string {
  if (typeof topic !== 'string') throw new TypeError(`${method}(): the topic must be a string, got ${describeValue(topic)}`);
}

/** A published message as a string (text) or bytes (binary): views, never copies. */
export function toPayload(data: unknown, method: string): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (isBinaryData(data)) return viewBytes(data);
  throw new TypeError(
    `${method}() takes a string, Buffer, ArrayBuffer or typed array, got ${describeValue(data)}` +
      (data !== null && typeof data === 'object' ? ' (use JSON.stringify for objects)' : ''),
  );
}

/** Finds the server's shared deflater for an agreed Sec-WebSocket-Extensions value. */
export type DeflaterLookup = (extension: string) => MessageCompressor | undefined;

/**
 * Both directions of the subscription relation. Sockets with no subscription appear in neither
 * map, so they cost nothing here; empty topics and empty per-socket sets are deleted.
 */
export class TopicRegistry {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #topicsOf = new Map<Subscriber, Set<string>>();
  readonly #deflaterFor: DeflaterLookup;
  /** Messages written to subscribers so far (for server.stats()). */
  deliveries = 0;

  constructor(deflaterFor: DeflaterLookup) {
    this.#deflaterFor = deflaterFor;
  }

  /** Adds `ws` to `topic`; false when it was already subscribed. */
  subscribe(ws: Subscriber, topic: string): boolean {
    let subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined) this.#subscribers.set(topic, (subscribers = new Set()));
    else if (subscribers.has(ws)) return false;
    subscribers.add(ws);
    let topics = this.#topicsOf.get(ws);
    if (topics === undefined) this.#topicsOf.set(ws, (topics = new Set()));
    topics.add(topic);
    return true;
  }

  /** Removes `ws` from `topic`; false when it was not subscribed. */
  unsubscribe(ws: Subscriber, topic: string): boolean {
    const subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined || !subscribers.delete(ws)) return false;
    if (subscribers.size === 0) this.#subscribers.delete(topic);
    const topics = this.#topicsOf.get(ws)!;
    topics.delete(topic);
    if (topics.size === 0) this.#topicsOf.delete(ws);
    return true;
  }

  isSubscribed(ws: Subscriber, topic: string): boolean {
    return this.#subscribers.get(topic)?.has(ws) ?? false;
  }

  /** The topics of `ws`, in the order it subscribed to them. */
  topicsOf(ws: Subscriber): string[] {
    const topics = this.#topicsOf.get(ws);
    return topics === undefined ? [] : [...topics];
  }

  subscriberCount(topic: string): number {
    return this.#subscribers.get(topic)?.size ?? 0;
  }

  /** How many topics have at least one subscriber. */
  get topicCount(): number {
    return this.#subscribers.size;
  }

  /** A closed socket leaves every topic it was in. */
  removeSocket(ws: Subscriber): void {
    const topics = this.#topicsOf.get(ws);
    if (topics === undefined) return;
    this.#topicsOf.delete(ws);
    for (const topic of topics) {
      const subscribers = this.#subscribers.get(topic)!;
      subscribers.delete(ws);
      if (subscribers.size === 0) this.#subscribers.delete(topic);
    }
  }

  /**
   * Writes one message to every open subscriber of `topic` except `exclude`. `payload` is the
   * message: a string, or bytes that are text (UTF-8) when `isText`. Returns how many sockets it
   * was written to.
   */
  deliver(topic: string, payload: string | Uint8Array, isText: boolean, exclude: Subscriber | undefined): number {
    const subscribers = this.#subscribers.get(topic);
    if (subscribers === undefined) return 0;
    const message = new FanoutMessage(payload, isText);
    const deflaterFor = this.#deflaterFor;
    let written = 0;
    for (const ws of subscribers) {
      if (ws === exclude) continue;
      const connection = ws.connection;
      const extension = connection.extensions;
      const encoded = message.encodedFor(extension === '' ? undefined : deflaterFor(extension));
      if (connection.sendEncoded(encoded, message.byteLength) !== 0) written++;
    }
    this.deliveries += written;
    return written;
  }
}
