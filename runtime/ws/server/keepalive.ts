// Keepalive and idle timeout for every WebSocket of a server with one shared interval timer.
//
// A timer per connection would cost memory and timer-wheel work for each of thousands of idle
// connections. Instead each connection has a flag its reads set (Connection.hasActivity) and two
// small counters; one sweep per server walks the connections every `tickMs`, clears the flags, and
// acts on those that stayed quiet. Times are therefore accurate to within one tick.

/** What to do with a connection that has been quiet (nothing received) for a while. */
export const KeepaliveAction = { None: 0, Ping: 1, Close: 2, Terminate: 3 } as const;
export type KeepaliveAction = (typeof KeepaliveAction)[keyof typeof KeepaliveAction];

/** The timing options, in milliseconds; 0 turns idleTimeout or pingInterval off. */
export interface KeepalivePolicy {
  /** Silence after which the connection is closed (1001). */
  readonly idleTimeout: number;
  /** Silence after which the peer is pinged. */
  readonly pingInterval: number;
  /** Time after a keepalive ping by which the peer must have sent something, or it is dropped. */
  readonly pongTimeout: number;
}

/**
 * The decision for one connection: `quietMs` is how long nothing has arrived, `pingSentAtMs` the
 * value of `quietMs` when the keepalive ping went out (-1 when none is outstanding). Any received
 * byte (a pong included) resets both, so a live peer is never closed by the pong timeout.
 */
export function nextKeepaliveAction(quietMs: number, pingSentAtMs: number, policy: KeepalivePolicy): KeepaliveAction {
  if (pingSentAtMs >= 0 && quietMs - pingSentAtMs >= policy.pongTimeout) return KeepaliveAction.Terminate;
  if (policy.idleTimeout > 0 && quietMs >= policy.idleTimeout) return KeepaliveAction.Close;
  if (policy.pingInterval > 0 && pingSentAtMs < 0 && quietMs >= policy.pingInterval) return KeepaliveAction.Ping;
  return KeepaliveAction.None;
}

/** A connection the sweep can check; `tickMs` is the time since the previous sweep. */
export interface KeepaliveSubject {
  sweepKeepalive(policy: KeepalivePolicy, tickMs: number): void;
}

/** The sweep period: a quarter of the shortest enabled time, between 10 ms and 5 s. */
export function sweepIntervalFor(policy: KeepalivePolicy): number {
  const enabled = [policy.idleTimeout, policy.pingInterval, policy.pingInterval > 0 ? policy.pongTimeout : 0].filter((ms) => ms > 0);
  if (enabled.length === 0) return 0;
  return Math.min(5_000, Math.max(10, Math.floor(Math.min(...enabled) / 4)));
}

/** One interval timer per server, running only while the server has connections. */
export class KeepaliveSweep {
  readonly #subjects: Iterable<KeepaliveSubject>;
  readonly #policy: KeepalivePolicy;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(subjects: Iterable<KeepaliveSubject>, policy: KeepalivePolicy) {
    this.#subjects = subjects;
    this.#policy = policy;
    this.#tickMs = sweepIntervalFor(policy);
  }

  /** Starts the timer if it is not running (call when a connection is added). */
  start(): void {
    if (this.#timer !== undefined || this.#tickMs === 0) return;
    this.#timer = setInterval(() => this.#sweep(), this.#tickMs);
    // The listening server keeps the process alive, not this timer.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #sweep(): void {
    for (const subject of this.#subjects) subject.sweepKeepalive(this.#policy, this.#tickMs);
  }
}
