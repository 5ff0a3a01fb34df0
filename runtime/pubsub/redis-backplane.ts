// The Redis backplane: one connection publishes, one subscribes (a subscribed connection can do
// nothing else), both to one channel. Every process, the publisher's own included, delivers what
// arrives on the channel, so each subscriber gets each message once and every process sees the
// same order (Redis orders a channel's messages).
//
// Outages: the client (ioredis) reconnects by itself with a capped backoff. While either connection
// is down the backplane says it is not connected and the hub delivers to this process's subscribers
// only; nothing is queued for later, since a queued message would reach this process twice. A
// publish already on the wire when the connection drops may be lost: Redis cannot say whether it
// went out. The outage is reported once on stderr, and so is the recovery.
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { displayUrl, type Backplane, type EnvelopeListener } from './backplane.ts';

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
  // and one resent after a reconnect could arrive twice.
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
  #publisher: RedisClient | undefined;
  #subscriber: RedisClient | undefined;
  #publisherReady = false;
  #subscribed = false;
  #closed = false;
  #wasConnected = false;
  #outageReported = false;
  #lastError: string | undefined;

  constructor(url: string, channel: string, onEnvelope: EnvelopeListener) {
    this.#url = url;
    this.#channel = channel;
    this.#onEnvelope = onEnvelope;
    void this.#start();
  }

  get connected(): boolean {
    return this.#publisherReady && this.#subscribed && !this.#closed;
  }

  publish(envelope: Buffer): boolean {
    if (!this.connected) return false;
    // A rejection means the connection dropped with the command in flight; the drop is reported.
    this.#publisher!.publish(this.#channel, envelope).catch(ignore);
    return true;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#publisher, this.#subscriber].map((client) => client && disconnect(client)));
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
    if (!this.#wasConnected) this.#reportOutage('cannot reach Redis');
  }

  #onStateChange(): void {
    if (this.#closed) return;
    if (this.connected) {
      if (this.#outageReported) report(`pub/sub: Redis at ${displayUrl(this.#url)} is back; publishing through it again`);
      else if (process.env.KRANDOG_DEBUG === '1') report(`pub/sub: connected to Redis at ${displayUrl(this.#url)}`);
      this.#outageReported = false;
      this.#wasConnected = true;
    } else if (this.#wasConnected) {
      this.#reportOutage('lost the connection to Redis');
    }
  }

  #reportOutage(what: string): void {
    if (this.#outageReported || this.#closed) return;
    this.#outageReported = true;
    const reason = this.#lastError === undefined ? '' : ` (${this.#lastError})`;
    report(`pub/sub: ${what} at ${displayUrl(this.#url)}${reason}; publishing to this process's subscribers only, reconnecting`);
  }
}

function report(message: string): void {
  process.stderr.write(`krandog: ${message}\n`);
}

/** QUIT lets replies in flight arrive; without a connection there is nothing to wait for. */
async function disconnect(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

function ignore(): void {}
