// The Redis backplane: one connection publishes, one subscribes (a subscribed connection can do
// nothing else), both to one channel. Redis orders a channel's messages, so each publisher's
// messages reach every process in the order published, once each. The publishing process has
// already delivered its own (hub.ts) and skips them when they come back.
//
// Outages: the client (ioredis) reconnects by itself with a capped backoff. A Redis that keeps the
// connection open but stops answering (stopped, swapping, blocked by a slow command) is found by a
// health check: a PING on both connections every second; one left unanswered for `timeout` ms
// counts as down until it is answered. While down the backplane says it is not connected and the
// hub delivers to this process's subscribers only; nothing published then is queued for later. The
// messages already accepted wait for Redis, at most `queueLimit` bytes of them (OutboundQueue;
// ioredis's own queue and the socket's hold no more than that), and go on when it answers again;
// one on the wire when the connection drops may be lost: Redis cannot say whether it went out. The
// outage is reported once on stderr, and so is the recovery.
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { displayUrl, type Backplane, type BackplaneLimits, type EnvelopeListener } from './backplane.ts';
import { OutboundQueue } from '../util/outbound-queue.ts';

/** How often the health check pings Redis (more often with a timeout under 2 s). */
const PING_INTERVAL_MS = 1_000;

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

export class RedisBackplane implements Backplane {
  readonly kind = 'redis';
  readonly #url: string;
  readonly #channel: string;
  readonly #onEnvelope: EnvelopeListener;
  readonly #timeout: number;
  readonly #outbound: OutboundQueue;
  readonly #healthCheck: NodeJS.Timeout;
  /** When the unanswered health check went out; undefined when none is out. */
  #pingSentAt: number | undefined;
  /** A health check went unanswered for `timeout` ms, and none has been answered since. */
  #unresponsive = false;
  #publisher: RedisClient | undefined;
  #subscriber: RedisClient | undefined;
  #publisherReady = false;
  #subscribed = false;
  #closed = false;
  #wasConnected = false;
  #outageReported = false;
  #lastError: string | undefined;

  constructor(url: string, channel: string, limits: BackplaneLimits, onEnvelope: EnvelopeListener) {
    this.#url = url;
    this.#channel = channel;
    this.#onEnvelope = onEnvelope;
    this.#timeout = limits.timeout;
    this.#outbound = new OutboundQueue(limits.queueLimit, `Redis at ${displayUrl(url)}`);
    this.#healthCheck = setInterval(() => this.#checkHealth(), Math.min(PING_INTERVAL_MS, Math.max(limits.timeout / 2, 10)));
    this.#healthCheck.unref();
    void this.#start();
  }

  get connected(): boolean {
    return this.#publisherReady && this.#subscribed && !this.#unresponsive && !this.#closed;
  }

  publish(envelope: Buffer): boolean {
    if (!this.connected) return false;
    const size = envelope.length;
    if (!this.#outbound.take(size)) return false;
    // Settles with Redis's answer, or with the error of a connection that dropped with the command
    // in flight (the drop is reported).
    const done = (): void => this.#outbound.done(size);
    this.#publisher!.publish(this.#channel, envelope).then(done, done);
    return true;
  }

  async close(graceMs: number): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#healthCheck);
    // Every publish accepted is answered (or the wait is over): no QUIT needed, which a Redis that
    // does not answer would leave hanging.
    await this.#outbound.empty(graceMs);
    for (const client of [this.#publisher, this.#subscriber]) client?.disconnect();
  }

  /** Pings both connections; one ping left unanswered for `timeout` ms marks Redis down until it is answered. */
  #checkHealth(): void {
    const publisher = this.#publisher;
    const subscriber = this.#subscriber;
    if (this.#pingSentAt !== undefined) {
      if (!this.#unresponsive && Date.now() - this.#pingSentAt >= this.#timeout) {
        this.#unresponsive = true;
        this.#reportOutage(`Redis at ${displayUrl(this.#url)} did not answer within ${this.#timeout} ms; publishing to this process's subscribers only until it does`);
      }
      return;
    }
    if (publisher === undefined || subscriber === undefined || !this.#publisherReady || !this.#subscribed) return;
    const sentAt = (this.#pingSentAt = Date.now());
    Promise.all([publisher.ping(), subscriber.ping()]).then(
      () => {
        if (this.#pingSentAt !== sentAt) return;
        this.#pingSentAt = undefined;
        if (!this.#unresponsive) return;
        this.#unresponsive = false;
        this.#onStateChange();
      },
      () => {
        // The connection dropped (reported by its 'close'); the next check starts afresh.
        if (this.#pingSentAt === sentAt) this.#pingSentAt = undefined;
      },
    );
  }

  async #start(): Promise<void> {
    let Redis: typeof RedisClient;
    try {
      // Loaded only when a backplane is configured: other scripts never pay for the client.
      Redis = (await import(CLIENT_MODULE)).default as unknown as typeof RedisClient;
    } catch (error) {
      report(`pub/sub: cannot load the Redis client: ${(error as Error).message}; \`npm install ioredis\` next to the script; topics stay within this process`);
      return;
    }
    if (this.#closed) return;
    const publisher = (this.#publisher = new Redis(this.#url, { ...CLIENT_OPTIONS, connectionName: 'krandog-publish' }));
    const subscriber = (this.#subscriber = new Redis(this.#url, { ...CLIENT_OPTIONS, connectionName: 'krandog-subscribe' }));
    for (const client of [publisher, subscriber]) {
      client.on('error', (error: Error) => this.#onError(error));
    }
    publisher.on('ready', () => {
      this.#publisherReady = true;
      this.#unresponsive = false;
      this.#onStateChange();
    });
    publisher.on('close', () => {
      this.#publisherReady = false;
      this.#onStateChange();
    });
    subscriber.on('ready', () => {
      subscriber.subscribe(this.#channel).then(
        () => {
          this.#subscribed = true;
          this.#onStateChange();
        },
        (error: Error) => this.#onError(error),
      );
    });
    subscriber.on('close', () => {
      this.#subscribed = false;
      this.#onStateChange();
    });
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#onEnvelope(message));
  }

  #onError(error: Error): void {
    this.#lastError = (error as NodeJS.ErrnoException).code ?? error.message;
    // Before the first connection there is no 'close' of a ready connection to report from.
    if (!this.#wasConnected) this.#reportConnectionOutage('cannot reach Redis');
  }

  #onStateChange(): void {
    if (this.#closed) return;
    // A reconnection: a ping that went out on the old connections is not waited for.
    if (!this.#publisherReady || !this.#subscribed) this.#pingSentAt = undefined;
    if (this.connected) {
      if (this.#outageReported) report(`pub/sub: Redis at ${displayUrl(this.#url)} is back; publishing through it again`);
      else if (process.env.KRANDOG_DEBUG === '1') report(`pub/sub: connected to Redis at ${displayUrl(this.#url)}`);
      this.#outageReported = false;
      this.#wasConnected = true;
    } else if (this.#wasConnected) {
      this.#reportConnectionOutage('lost the connection to Redis');
    }
  }

  #reportConnectionOutage(what: string): void {
    const reason = this.#lastError === undefined ? '' : ` (${this.#lastError})`;
    this.#reportOutage(`${what} at ${displayUrl(this.#url)}${reason}; publishing to this process's subscribers only, reconnecting`);
  }

  /** One line per outage, however it shows (connection errors, closes, unanswered pings). */
  #reportOutage(message: string): void {
    if (this.#outageReported || this.#closed) return;
    this.#outageReported = true;
    report(`pub/sub: ${message}`);
  }
}

function report(message: string): void {
  process.stderr.write(`krandog: ${message}\n`);
}
