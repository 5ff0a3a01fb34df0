// A backplane carries published messages between the processes of one application, so that
// `publish` reaches subscribers in every process. Two kinds: the cluster primary (workers of one
// `krandog --workers N`), and Redis pub/sub (any number of processes and machines; one channel per
// topic, which a process subscribes to only while it has a subscriber of the topic). The publishing
// process delivers to its own subscribers at once and skips its message when the backplane brings
// it back; the other processes deliver what arrives (see hub.ts).
import { DEFAULT_QUEUE_LIMIT } from '../util/outbound-queue.ts';
import { describeValue } from '../util/describe-value.ts';

/**
 * Called with each message that arrives from the backplane (the publisher's own included), and the
 * topic whose channel it came on, when the backplane has one channel per topic (else the
 * envelope's topic counts).
 */
export type EnvelopeListener = (envelope: Buffer, topic?: string) => void;

export interface Backplane {
  readonly kind: 'cluster' | 'redis';
  /** True while a message handed to publish() reaches the other processes. */
  readonly connected: boolean;
  /** Sends a message to every process; false, and nothing sent, while not connected or while its queue is full. */
  publish(topic: string, envelope: Buffer): boolean;
  /**
   * The process has a subscriber of `topic` now (hold) or no longer (release): what other processes
   * publish to it must reach this one, or need not. Called on each change, never twice in a row
   * for one topic with the same meaning.
   */
  hold(topic: string): void;
  release(topic: string): void;
  /** Sends what publish accepted (waiting at most `graceMs` for it), then disconnects; nothing arrives afterwards. */
  close(graceMs: number): Promise<void>;
}

/** The `pubsub` option of createServer: a Redis URL, or an object; `false` keeps topics to this process. */
export type PubSubOption = string | false | { url?: string; cluster?: boolean; channel?: string; timeout?: number; queueLimit?: number };

/** Bounds of a backplane: how long Redis may leave a health check unanswered, how many bytes may wait. */
export interface BackplaneLimits {
  timeout: number;
  queueLimit: number;
}

/** What a server's publish goes through. */
export type BackplaneConfig =
  | { kind: 'none' }
  | ({ kind: 'cluster'; channel: string } & BackplaneLimits)
  | ({ kind: 'redis'; url: string; channel: string; cluster: boolean } & BackplaneLimits);

/** The Redis channel (and cluster message tag) when none is given. */
export const DEFAULT_CHANNEL = 'krandog:pubsub';
/** Milliseconds Redis may leave a health check (PING) unanswered before it counts as down. */
export const DEFAULT_TIMEOUT = 2_000;

/**
 * Which backplane a server uses: `options.pubsub` first, then the KRANDOG_PUBSUB environment
 * variable (a Redis URL; KRANDOG_PUBSUB_CLUSTER=1 makes it a node of a Redis Cluster), then the cluster primary when this process is a worker of
 * `krandog --workers` (it sets KRANDOG_WORKER), else none. A malformed value throws a TypeError.
 */
export function resolveBackplane(option: unknown, env: NodeJS.ProcessEnv = process.env): BackplaneConfig {
  if (option === false) return { kind: 'none' };
  let url: string | undefined;
  let channel = DEFAULT_CHANNEL;
  let cluster: boolean | undefined;
  const limits: BackplaneLimits = { timeout: DEFAULT_TIMEOUT, queueLimit: DEFAULT_QUEUE_LIMIT };
  if (typeof option === 'string') {
    url = option;
  } else if (typeof option === 'object' && option !== null) {
    const given = option as { url?: unknown; cluster?: unknown; channel?: unknown; timeout?: unknown; queueLimit?: unknown };
    if (given.url !== undefined && typeof given.url !== 'string') throw new TypeError('http.createServer: options.pubsub.url must be a string');
    if (given.channel !== undefined && (typeof given.channel !== 'string' || given.channel === '')) {
      throw new TypeError('http.createServer: options.pubsub.channel must be a non-empty string');
    }
    if (given.cluster !== undefined && typeof given.cluster !== 'boolean') throw new TypeError('http.createServer: options.pubsub.cluster must be true or false');
    url = given.url;
    cluster = given.cluster;
    channel = given.channel ?? DEFAULT_CHANNEL;
    limits.timeout = readPositive(given.timeout, 'timeout', DEFAULT_TIMEOUT);
    limits.queueLimit = readPositive(given.queueLimit, 'queueLimit', DEFAULT_QUEUE_LIMIT);
  } else if (option !== undefined) {
    throw new TypeError('http.createServer: options.pubsub must be a redis:// URL, an object { url, cluster, channel, timeout, queueLimit } or false');
  }
  const source = url !== undefined ? 'options.pubsub' : 'KRANDOG_PUBSUB';
  url ??= env.KRANDOG_PUBSUB || undefined;
  cluster ??= env.KRANDOG_PUBSUB_CLUSTER === '1' || env.KRANDOG_PUBSUB_CLUSTER === 'true';
  if (url !== undefined) return { kind: 'redis', url: checkRedisUrl(url, source), channel, cluster, ...limits };
  if (env.KRANDOG_WORKER !== undefined && typeof process.send === 'function') return { kind: 'cluster', channel, ...limits };
  return { kind: 'none' };
}

function readPositive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`http.createServer: options.pubsub.${name} must be a positive number, got ${describeValue(value)}`);
  }
  return value;
}

function checkRedisUrl(value: string, source: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new TypeError(`${source}: ${JSON.stringify(value)} is not a URL; expected redis://host:port`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`${source}: ${JSON.stringify(value)} is not a redis:// or rediss:// URL`);
  }
  return value;
}

/** A URL fit for messages: the password, if any, left out. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.href;
}
