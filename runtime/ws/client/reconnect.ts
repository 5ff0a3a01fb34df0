// krandog's opt-in reconnection for the browser-style client: `new WebSocket(url, { reconnect })`.
// Not in the WebSockets standard; without the option nothing here runs.
//
//   OPEN ── dropped (1001, 1006, 1011–1014, a network failure) ──▶ CONNECTING: `reconnecting`
//     ▲                                                                │ wait (backoff), handshake
//     └──────────── `open`, then `reconnect`, then the queued sends ◀──┘
//   retries used up, or a close that says "don't come back" ──▶ CLOSED: [`error`], `close`
//
// This module decides whether and when to retry, and holds what send() is given meanwhile;
// websocket.ts runs the handshakes and fires the events.
import { Blob } from 'node:buffer';
import { CloseCode } from '../protocol/constants.ts';

/** `reconnect` in the constructor's options object: `true` for the defaults. */
export interface ReconnectInit {
  /** Attempts in a row before giving up (each drop starts over); default Infinity. */
  retries?: number;
  /** Milliseconds: the least wait before an attempt, and the backoff's base; default 1000. */
  minDelay?: number;
  /** Milliseconds: the most any wait grows to; default 30000. */
  maxDelay?: number;
  /** Bytes send() may hold while disconnected; a message over it is dropped (send() returns false). Default 1 MiB. */
  queueLimit?: number;
}

export type ReconnectOptions = Required<ReconnectInit>;

export const DEFAULT_RECONNECT: Readonly<ReconnectOptions> = { retries: Infinity, minDelay: 1000, maxDelay: 30_000, queueLimit: 1024 * 1024 };

/** The longest delay a Node timer takes (a longer one would fire at once). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** Reads the `reconnect` option: undefined or false for none, true for the defaults, else an object. */
export function readReconnectOptions(value: unknown): ReconnectOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { ...DEFAULT_RECONNECT };
  if (typeof value !== 'object' || value === null) throw new TypeError(`WebSocket: reconnect must be true, false or an object, got ${String(value)}`);
  const init = value as ReconnectInit;
  const options: ReconnectOptions = {
    retries: readNumber('retries', init.retries, DEFAULT_RECONNECT.retries, Infinity),
    minDelay: readNumber('minDelay', init.minDelay, DEFAULT_RECONNECT.minDelay, MAX_TIMEOUT),
    maxDelay: readNumber('maxDelay', init.maxDelay, Math.max(DEFAULT_RECONNECT.maxDelay, init.minDelay ?? 0), MAX_TIMEOUT),
    queueLimit: readNumber('queueLimit', init.queueLimit, DEFAULT_RECONNECT.queueLimit, Infinity),
  };
  if (options.maxDelay < options.minDelay) throw new TypeError(`WebSocket: reconnect.maxDelay (${options.maxDelay}) is less than minDelay (${options.minDelay})`);
  if (options.retries !== Infinity && !Number.isInteger(options.retries)) throw new TypeError(`WebSocket: reconnect.retries must be a whole number or Infinity, got ${options.retries}`);
  return options;
}

function readNumber(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value <= max)) {
    throw new TypeError(`WebSocket: reconnect.${name} must be a number from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * The wait before attempt `attempt` (1, 2, …): exponential backoff with full jitter above the
 * floor, uniform between minDelay and min(maxDelay, minDelay × 2^attempt). Random, so that the
 * clients a restarted server dropped all at once do not all come back at the same moment.
 */
export function backoffDelay(attempt: number, options: Pick<ReconnectOptions, 'minDelay' | 'maxDelay'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelay, options.minDelay * 2 ** attempt);
  return Math.round(options.minDelay + random() * (ceiling - options.minDelay));
}

/** How a connection (or an attempt at one) ended, as its close event would say. */
export interface Drop {
  code: number;
  reason: string;
  wasClean: boolean;
  /** Why the client failed it (a network error, a refused handshake, a protocol violation). */
  error: Error | undefined;
}

/**
 * Close codes after which the server may well be back: it went away (1001: restart, deploy), the
 * connection was lost (1006), it failed (1011), restarts (1012), is overloaded (1013), or a gateway
 * could not reach it (1014). A normal close (1000, 1005), a protocol or policy error (1002, 1003,
 * 1007–1010) and the application's own codes (3000–4999) mean the server wants the client gone or
 * would refuse it again: the close is final.
 */
const RETRY_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.GoingAway, CloseCode.Abnormal, CloseCode.InternalError, 1012, 1013, 1014]);

/** Whether to try again after `drop` (the script's own close() never gets here). */
export function isRetryable(drop: Drop): boolean {
  if (drop.error !== undefined) return isTransientFailure(drop.error);
  return RETRY_CLOSE_CODES.has(drop.code);
}

/**
 * Network trouble (refused, reset, unreachable, DNS, a handshake timeout) and a server answering
 * 5xx, 408 or 429 may pass. A certificate the client rejects, any other status (401, 403, 404…) and a
 * server breaking the protocol would be the same next time.
 */
function isTransientFailure(error: Error): boolean {
  const { code, status } = error as Error & { code?: unknown; status?: unknown };
  if (code === 'KRANDOG_WS_HANDSHAKE_STATUS') return typeof status === 'number' && (status >= 500 || status === 408 || status === 429);
  if (code === 'KRANDOG_WS_HANDSHAKE_TIMEOUT') return true;
  if (typeof code !== 'string') return true;
  return !code.startsWith('KRANDOG_WS_') && !/CERT|SSL|TLS/.test(code);
}

type Sendable = string | Uint8Array | Blob;

/** What send() gets while the client is disconnected, in order, up to a byte limit. */
export class Outbox {
  readonly #limit: number;
  #messages: Sendable[] = [];
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Bytes held (the message bytes, as bufferedAmount counts them). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Holds `data` (bytes copied: the caller may reuse its buffer); false, holding nothing, when it does not fit. */
  add(data: Sendable): boolean {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Blob ? data.size : data.byteLength;
    if (this.#bytes + size > this.#limit) return false;
    this.#messages.push(data instanceof Uint8Array ? new Uint8Array(data) : data);
    this.#bytes += size;
    return true;
  }

  /** Everything held, oldest first, and empties the outbox. */
  take(): Sendable[] {
    const messages = this.#messages;
    this.#messages = [];
    this.#bytes = 0;
    return messages;
  }

  /** Drops everything held; returns how many bytes that was. */
  discard(): number {
    const bytes = this.#bytes;
    this.take();
    return bytes;
  }
}

/** The `reconnecting` event: the connection dropped (or an attempt failed) and another comes after `delay` ms. */
export class ReconnectingEvent extends Event {
  /** 1 for the first attempt after a drop, then 2, 3… */
  readonly attempt: number;
  /** Milliseconds until that attempt starts. */
  readonly delay: number;
  /** The drop, as a close event would have told it. */
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /** Why the client failed the connection or the attempt (ECONNREFUSED, a 503…), or null. */
  readonly error: Error | null;

  constructor(attempt: number, delay: number, drop: Drop) {
    super('reconnecting');
    this.attempt = attempt;
    this.delay = delay;
    this.code = drop.code;
    this.reason = drop.reason;
    this.wasClean = drop.wasClean;
    this.error = drop.error ?? null;
  }
}

/** The `reconnect` event: open again (right after `open`), after `attempt` attempts. */
export class ReconnectEvent extends Event {
  readonly attempt: number;

  constructor(attempt: number) {
    super('reconnect');
    this.attempt = attempt;
  }
}

/** One client's retry state: the attempt count, the pending timer, the outbox. */
export class Reconnector {
  readonly options: ReconnectOptions;
  readonly outbox: Outbox;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ReconnectOptions) {
    this.options = options;
    this.outbox = new Outbox(options.queueLimit);
  }

  /**
   * After `drop`: schedules `connect` after the backoff and returns the event to fire, or returns
   * undefined when the close is final (not retryable, or the retries are used up). The timer keeps
   * the process alive, as a connecting WebSocket does.
   */
  retry(drop: Drop, connect: () => void): ReconnectingEvent | undefined {
    if (!isRetryable(drop) || this.#attempt >= this.options.retries) return undefined;
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, this.options);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      connect();
    }, delay);
    return new ReconnectingEvent(this.#attempt, delay, drop);
  }

  /** Stops a pending attempt; true if one was waiting. */
  cancel(): boolean {
    if (this.#timer === undefined) return false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return true;
  }

  /** The connection opened: returns how many attempts it took (0 for a first try) and starts over. */
  opened(): number {
    const attempts = this.#attempt;
    this.#attempt = 0;
    return attempts;
  }
}
