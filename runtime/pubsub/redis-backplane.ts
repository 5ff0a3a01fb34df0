// The Redis backplane: one connection publishes, one subscribes (a subscribed connection can do
// nothing else). Each topic has its own channel (channels.ts), and the subscriber connection holds
// the channels of this server's subscribed topics only (subscriptions.ts): a process receives the
// messages its sockets want, and Redis traffic grows with a process's own subscribers, not with
// everyone's. Redis runs one connection's commands in order and writes to each subscriber in that
// order, so each publisher's messages reach every process in the order published, once each. The
// publishing process has already delivered its own (hub.ts) and skips them when they come back.
//
// Outages: the client (ioredis) reconnects by itself with a capped backoff, and the subscriber
// connection subscribes to every held channel again. A Redis that keeps the connection open but
// stops answering is found by the health check (health-check.ts), pinging both connections. While
// down the backplane says it is not connected and the hub delivers to this process's subscribers
// only; nothing published then is queued for later. The messages already accepted wait for Redis,
// at most `queueLimit` bytes of them (OutboundQueue; ioredis's own queue, the socket's and, on a
// Cluster, cluster-publisher.ts's hold no more than that), and go on when it answers again; one on the wire when the connection drops may
// be lost: Redis cannot say whether it went out. The outage is reported once on stderr, and so is
// the recovery.
import type { Cluster as ClusterClient, ClusterOptions, Redis as RedisClient, RedisOptions } from 'ioredis';
import { displayUrl, type Backplane, type BackplaneLimits, type EnvelopeListener } from './backplane.ts';
import { OutboundQueue } from '../util/outbound-queue.ts';
import { HealthCheck, OutageLog, report } from './health-check.ts';
import { TopicSubscriptions, type SubscriptionCommands } from './subscriptions.ts';
import { clusterSlot } from './cluster-slot.ts';
import { ClusterPublisher } from './cluster-publisher.ts';

/** Reconnect delays: 100 ms, doubling, at most 2 s (ioredis asks after each failed attempt). */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt - 1, 10), 2_000);
}

/**
 * A variable, not a literal, so esbuild leaves the import alone: dist/runtime loads the client from
 * krandog's node_modules at run time, and `krandog build` files do not carry it (they load it from
 * node_modules next to them when a backplane is configured).
 */
const CLIENT_MODULE: string = 'ioredis';
const CLIENT_OPTIONS: RedisOptions = {
  retryStrategy: reconnectDelay,
  // Never queue or resend: a message published while disconnected goes to local subscribers only,
  // and one resent after a reconnect could arrive twice in other processes.
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  autoResubscribe: false,
  maxRetriesPerRequest: 0,
};

/** What the backplane does through the client: PUBLISH (or SPUBLISH), PING, disconnect. */
interface RedisLink {
  /** `done` once Redis answered, or the message is lost (its connection dropped, or close). */
  publish(channel: string, envelope: Buffer, done: () => void): void;
  /** Pings every connection that carries messages. */
  ping(): Promise<unknown>;
  disconnect(): void;
}

export class RedisBackplane implements Backplane {
  readonly kind = 'redis';
  readonly #url: string;
  readonly #onEnvelope: EnvelopeListener;
  readonly #outbound: OutboundQueue;
  readonly #health: HealthCheck;
  readonly #outages = new OutageLog();
  readonly #subscriptions: TopicSubscriptions;
  readonly #cluster: boolean;
  #link: RedisLink | undefined;
  /** The publishing connection (on a Cluster: the Cluster client) is ready. */
  #publisherReady = false;
  /** The subscriber connection is ready and holds every held channel. */
  #subscribed = false;
  #closed = false;
  #wasConnected = false;
  #lastError: string | undefined;

  /** `cluster`: `url` is a node of a Redis Cluster, and messages go through sharded pub/sub. */
  constructor(url: string, channel: string, limits: BackplaneLimits, onEnvelope: EnvelopeListener, cluster = false) {
    this.#url = url;
    this.#cluster = cluster;
    this.#onEnvelope = onEnvelope;
    this.#outbound = new OutboundQueue(limits.queueLimit, this.#name);
    this.#subscriptions = new TopicSubscriptions(channel, (error) => this.#onError(error));
    this.#health = new HealthCheck(
      limits.timeout,
      () => this.#ping(),
      (unresponsive) => {
        if (unresponsive) this.#reportOutage(`${this.#name} did not answer within ${limits.timeout} ms; publishing to this process's subscribers only until it does`);
        else this.#onStateChange();
      },
      // A Cluster drops a node's connection without a 'close' of its own: only the pings tell.
      cluster,
    );
    void this.#start();
  }

  /** How messages name Redis: `Redis at redis://…`, or `Redis Cluster at redis://…`. */
  get #name(): string {
    return `${this.#cluster ? 'Redis Cluster' : 'Redis'} at ${displayUrl(this.#url)}`;
  }

  get connected(): boolean {
    return this.#publisherReady && this.#subscribed && !this.#health.unresponsive && !this.#closed;
  }

  publish(topic: string, envelope: Buffer): boolean {
    if (!this.connected) return false;
    const size = envelope.length;
    if (!this.#outbound.take(size)) return false;
    // Settles with Redis's answer, or with the error of a connection that dropped with the command
    // in flight (the drop is reported).
    this.#link!.publish(this.#subscriptions.channelOf(topic), envelope, () => this.#outbound.done(size));
    return true;
  }

  hold(topic: string): void {
    this.#subscriptions.hold(topic);
  }

  release(topic: string): void {
    this.#subscriptions.release(topic);
  }

  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#health.stop();
    this.#subscriptions.detach();
    // Every publish accepted is answered (or the wait is over): no QUIT needed, which a Redis that
    // does not answer would leave hanging.
    await this.#outbound.empty(graceMs);
    this.#link?.disconnect();
  }

  #ping(): Promise<unknown> | undefined {
    if (!this.#publisherReady || !this.#subscribed) return undefined;
    return this.#link!.ping();
  }

  async #start(): Promise<void> {
    let client: typeof import('ioredis');
    try {
      // Loaded only when a backplane is configured: other scripts never pay for the client.
      client = (await import(CLIENT_MODULE)) as typeof import('ioredis');
    } catch (error) {
      report(`cannot load the Redis client: ${(error as Error).message}; \`npm install ioredis\` next to the script; topics stay within this process`);
      return;
    }
    if (this.#closed) return;
    if (this.#cluster) this.#connectCluster(client.Cluster);
    else this.#connectServer(client.Redis);
  }

  /** One Redis server: a connection that publishes, one that subscribes (it can do nothing else). */
  #connectServer(Redis: typeof RedisClient): void {
    const publisher = new Redis(this.#url, { ...CLIENT_OPTIONS, connectionName: 'krandog-publish' });
    const subscriber = new Redis(this.#url, { ...CLIENT_OPTIONS, connectionName: 'krandog-subscribe' });
    this.#link = {
      publish: (channel, envelope, done) => void publisher.publish(channel, envelope).then(done, done),
      ping: () => Promise.all([publisher.ping(), subscriber.ping()]),
      disconnect: () => (publisher.disconnect(), subscriber.disconnect()),
    };
    for (const client of [publisher, subscriber]) {
      client.on('error', (error: Error) => this.#onError(error));
    }
    publisher.on('ready', () => {
      this.#publisherReady = true;
      this.#health.reset();
      this.#onStateChange();
    });
    publisher.on('close', () => {
      this.#publisherReady = false;
      this.#onStateChange();
    });
    const commands: SubscriptionCommands = {
      subscribe: (channels) => subscriber.subscribe(...channels),
      unsubscribe: (channels) => subscriber.unsubscribe(...channels),
    };
    // A new connection holds no subscription: every held channel again.
    subscriber.on('ready', () => this.#whenSubscribed(this.#subscriptions.attach(commands)));
    subscriber.on('close', () => {
      this.#subscriptions.detach();
      this.#subscribed = false;
      this.#onStateChange();
    });
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => this.#receive(channel, message));
  }

  /**
   * A Redis Cluster: sharded pub/sub (Redis 7), each topic's channel on the shard that owns its hash
   * slot, so that fan-out spreads over the shards. ioredis's Cluster publishes to the owning node
   * (handed each message only once its connection to that node is ready, so that each topic's
   * messages keep their order: cluster-publisher.ts) and keeps one subscriber connection per
   * master (subscribing again by itself after a reconnect or a change of the cluster's layout).
   */
  #connectCluster(Cluster: typeof ClusterClient): void {
    const url = new URL(this.#url);
    const tls = url.protocol === 'rediss:' ? {} : undefined;
    const options: ClusterOptions = {
      shardedSubscribers: true,
      enableOfflineQueue: false,
      // A node that went away and came back is found again (and its subscriptions renewed).
      slotsRefreshInterval: 2_000,
      clusterRetryStrategy: reconnectDelay,
      redisOptions: {
        connectionName: 'krandog-pubsub',
        username: url.username === '' ? undefined : decodeURIComponent(url.username),
        password: url.password === '' ? undefined : decodeURIComponent(url.password),
        tls,
        autoResendUnfulfilledCommands: false,
        maxRetriesPerRequest: 0,
      },
    };
    const cluster = new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], options);
    // Each topic's messages in the order published (cluster-publisher.ts).
    const publisher = new ClusterPublisher(cluster);
    this.#link = {
      publish: (channel, envelope, done) => publisher.publish(channel, envelope, done),
      ping: () => pingSlotOwners(cluster),
      disconnect: () => (publisher.close(), cluster.disconnect()),
    };
    const commands: SubscriptionCommands = {
      subscribe: (channels) => Promise.all(bySlot(channels).map((group) => cluster.ssubscribe(...group))),
      unsubscribe: (channels) => Promise.all(bySlot(channels).map((group) => cluster.sunsubscribe(...group))),
    };
    let first = true;
    cluster.on('error', (error: Error) => this.#onError(error));
    cluster.on('ready', () => {
      this.#publisherReady = true;
      this.#health.reset();
      // The first time, every held channel; later the changes made while disconnected.
      this.#whenSubscribed(first ? this.#subscriptions.attach(commands) : this.#subscriptions.resume(commands));
      first = false;
    });
    cluster.on('close', () => {
      this.#subscriptions.pause();
      this.#publisherReady = false;
      this.#subscribed = false;
      this.#onStateChange();
    });
    cluster.on('smessageBuffer', (channel: Buffer, message: Buffer) => this.#receive(channel, message));
  }

  /** Connected once the subscriptions are confirmed. */
  #whenSubscribed(confirmed: Promise<void>): void {
    confirmed.then(
      () => {
        this.#subscribed = true;
        this.#onStateChange();
      },
      () => {}, // reported (an error) or the connection dropped (its 'close' reports)
    );
  }

  #receive(channel: Buffer, message: Buffer): void {
    const topic = this.#subscriptions.topicOf(channel.toString('latin1'));
    if (topic !== undefined) this.#onEnvelope(message, topic);
  }

  #onError(error: Error): void {
    this.#lastError = (error as NodeJS.ErrnoException).code ?? error.message;
    // Before the first connection there is no 'close' of a ready connection to report from.
    if (!this.#wasConnected) this.#reportConnectionOutage('cannot reach Redis');
  }

  #onStateChange(): void {
    if (this.#closed) return;
    // A reconnection: a ping that went out on the old connections is not waited for.
    if (!this.#publisherReady || !this.#subscribed) this.#health.reset();
    if (this.connected) {
      const recovered = this.#outages.recovery(`${this.#name} is back; publishing through it again`);
      if (!recovered && !this.#wasConnected && process.env.KRANDOG_DEBUG === '1') report(`connected to ${this.#name}`);
      this.#wasConnected = true;
    } else if (this.#wasConnected) {
      this.#reportConnectionOutage('lost the connection to Redis');
    }
  }

  #reportConnectionOutage(what: string): void {
    const reason = this.#lastError === undefined ? '' : ` (${this.#lastError})`;
    this.#reportOutage(`${what} at ${displayUrl(this.#url)}${reason}; publishing to this process's subscribers only, reconnecting`);
  }

  #reportOutage(message: string): void {
    if (!this.#closed) this.#outages.outage(message);
  }
}

/** Channels grouped by hash slot: one SSUBSCRIBE may name channels of one slot only. */
function bySlot(channels: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const channel of channels) {
    const slot = clusterSlot(channel);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [channel]);
    else group.push(channel);
  }
  return [...groups.values()];
}

/**
 * PING to every node that owns slots; fails at once for one the client holds no connection to
 * (it dropped, and ioredis removed it until the next refresh of the slots).
 */
function pingSlotOwners(cluster: ClusterClient): Promise<unknown> {
  const owners = new Set<string>();
  for (const nodes of cluster.slots) if (nodes?.[0] !== undefined) owners.add(nodes[0]);
  const masters = new Map(cluster.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
  return Promise.all([...owners].map((key) => masters.get(key)?.ping() ?? Promise.reject(new Error(`no connection to ${key}`))));
}
