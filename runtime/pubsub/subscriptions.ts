// Which topic channels a backplane's subscriber connection holds: the channel of each topic with at
// least one subscriber in this server, none other, so that a process receives only what its own
// sockets want. The changes of one turn of the event loop go out together (one SUBSCRIBE and one
// UNSUBSCRIBE naming many channels, a thousand topics joined at once cost two commands, not a
// thousand), and a connection that comes (back) gets every held channel again.
import { topicChannel } from './channels.ts';

/** How a connection subscribes: SUBSCRIBE/UNSUBSCRIBE, or their sharded forms on Redis Cluster. */
export interface SubscriptionCommands {
  subscribe(channels: string[]): Promise<unknown>;
  unsubscribe(channels: string[]): Promise<unknown>;
}

/** At most this many channels in one command (a huge batch need not be one huge command). */
const CHANNELS_PER_COMMAND = 1_000;

export class TopicSubscriptions {
  readonly #prefix: string;
  readonly #onError: (error: Error) => void;
  /** channel → topic, for every topic with a local subscriber. */
  readonly #wanted = new Map<string, string>();
  /** The channels subscribed (or asked for) on the current connection. */
  readonly #subscribed = new Set<string>();
  /** Channels whose wanted state changed since the last flush. */
  readonly #changed = new Set<string>();
  #commands: SubscriptionCommands | undefined;
  #flush: NodeJS.Immediate | undefined;

  /** `onError`: a (UN)SUBSCRIBE that failed other than by the connection dropping. */
  constructor(prefix: string, onError: (error: Error) => void) {
    this.#prefix = prefix;
    this.#onError = onError;
  }

  channelOf(topic: string): string {
    return topicChannel(this.#prefix, topic);
  }

  /** The topic a held channel carries; undefined for a channel no longer held (its message is for nobody here). */
  topicOf(channel: string): string | undefined {
    return this.#wanted.get(channel);
  }

  hold(topic: string): void {
    const channel = this.channelOf(topic);
    this.#wanted.set(channel, topic);
    this.#change(channel);
  }

  release(topic: string): void {
    const channel = this.channelOf(topic);
    if (this.#wanted.delete(channel)) this.#change(channel);
  }

  /**
   * A connection is ready: every held channel is subscribed on it, and later changes go to it.
   * Settles once Redis confirmed the subscriptions.
   */
  attach(commands: SubscriptionCommands): Promise<void> {
    this.detach();
    this.#commands = commands;
    const channels = [...this.#wanted.keys()];
    for (const channel of channels) this.#subscribed.add(channel);
    return this.#send(commands, channels, []);
  }

  /** The connection is gone: nothing is subscribed until the next attach(). */
  detach(): void {
    this.pause();
    this.#subscribed.clear();
    this.#changed.clear();
  }

  /**
   * The client lost its connections but keeps its subscriptions, and makes them again itself when
   * it reconnects (ioredis's Cluster): changes wait for resume().
   */
  pause(): void {
    this.#commands = undefined;
    if (this.#flush !== undefined) clearImmediate(this.#flush);
    this.#flush = undefined;
  }

  /** After pause(): the changes made meanwhile go out now. Settles once Redis confirmed them. */
  resume(commands: SubscriptionCommands): Promise<void> {
    this.#commands = commands;
    return this.#flushChanges();
  }

  #change(channel: string): void {
    this.#changed.add(channel);
    if (this.#commands === undefined) return;
    this.#flush ??= setImmediate(() => void this.#flushChanges().catch(() => {}));
  }

  #flushChanges(): Promise<void> {
    this.#flush = undefined;
    const commands = this.#commands;
    if (commands === undefined) return Promise.resolve();
    const subscribe: string[] = [];
    const unsubscribe: string[] = [];
    // A topic left and joined again within the turn changes nothing.
    for (const channel of this.#changed) {
      const wanted = this.#wanted.has(channel);
      if (wanted === this.#subscribed.has(channel)) continue;
      if (wanted) {
        this.#subscribed.add(channel);
        subscribe.push(channel);
      } else {
        this.#subscribed.delete(channel);
        unsubscribe.push(channel);
      }
    }
    this.#changed.clear();
    return this.#send(commands, subscribe, unsubscribe);
  }

  async #send(commands: SubscriptionCommands, subscribe: string[], unsubscribe: string[]): Promise<void> {
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < unsubscribe.length; i += CHANNELS_PER_COMMAND) sent.push(commands.unsubscribe(unsubscribe.slice(i, i + CHANNELS_PER_COMMAND)));
    for (let i = 0; i < subscribe.length; i += CHANNELS_PER_COMMAND) sent.push(commands.subscribe(subscribe.slice(i, i + CHANNELS_PER_COMMAND)));
    try {
      await Promise.all(sent);
    } catch (error) {
      // A connection that dropped meanwhile is detached and attached again, with every channel.
      if (this.#commands === commands) this.#onError(error as Error);
      throw error;
    }
  }
}
