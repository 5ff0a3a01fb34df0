// A backplane carries published messages between the processes of one application, so that
// `publish` reaches subscribers in every process. Two kinds: the cluster primary (workers of one
// `krandog --workers N`), and Redis pub/sub (any number of processes and machines). Either way every
// process, the publisher's included, delivers what comes back from the backplane: one order for
// everybody (see hub.ts).

/** Called with each message that arrives from the backplane (the publisher's own included). */
export type EnvelopeListener = (envelope: Buffer) => void;

export interface Backplane {
  readonly kind: 'cluster' | 'redis';
  /** True while a message handed to publish() reaches every process, this one included. */
  readonly connected: boolean;
  /** Sends a message to every process; false, and nothing sent, while not connected. */
  publish(envelope: Buffer): boolean;
  /** Disconnects; nothing arrives afterwards. */
  close(): Promise<void>;
}

/** The `pubsub` option of createServer: a Redis URL, or an object; `false` keeps topics to this process. */
export type PubSubOption = string | false | { url?: string; channel?: string };

/** What a server's publish goes through. */
export type BackplaneConfig =
  | { kind: 'none' }
  | { kind: 'cluster'; channel: string }
  | { kind: 'redis'; url: string; channel: string };

/** The Redis channel (and cluster message tag) when none is given. */
export const DEFAULT_CHANNEL = 'krandog:pubsub';

/**
 * Which backplane a server uses: `options.pubsub` first, then the KRANDOG_PUBSUB environment
 * variable (a Redis URL), then the cluster primary when this process is a worker of
 * `krandog --workers` (it sets KRANDOG_WORKER), else none. A malformed value throws a TypeError.
 */
export function resolveBackplane(option: unknown, env: NodeJS.ProcessEnv = process.env): BackplaneConfig {
  if (option === false) return { kind: 'none' };
  let url: string | undefined;
  let channel = DEFAULT_CHANNEL;
  if (typeof option === 'string') {
    url = option;
  } else if (typeof option === 'object' && option !== null) {
    const given = option as { url?: unknown; channel?: unknown };
    if (given.url !== undefined && typeof given.url !== 'string') throw new TypeError('http.createServer: options.pubsub.url must be a string');
    if (given.channel !== undefined && (typeof given.channel !== 'string' || given.channel === '')) {
      throw new TypeError('http.createServer: options.pubsub.channel must be a non-empty string');
    }
    url = given.url;
    channel = given.channel ?? DEFAULT_CHANNEL;
  } else if (option !== undefined) {
    throw new TypeError('http.createServer: options.pubsub must be a redis:// URL, an object { url, channel } or false');
  }
  const source = url !== undefined ? 'options.pubsub' : 'KRANDOG_PUBSUB';
  url ??= env.KRANDOG_PUBSUB || undefined;
  if (url !== undefined) return { kind: 'redis', url: checkRedisUrl(url, source), channel };
  if (env.KRANDOG_WORKER !== undefined && typeof process.send === 'function') return { kind: 'cluster', channel };
  return { kind: 'none' };
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
