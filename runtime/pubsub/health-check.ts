// The health check of a backplane (Redis, Redis Cluster, the --workers primary): a peer that keeps
// the connection open but stops answering (stopped, swapping, its event loop stuck) is found by a
// ping every second (every `timeout`/2 when that is shorter); one left unanswered for `timeout` ms
// counts as down until one is answered. And the one line on stderr per outage and per recovery.

/** How often the health check pings (more often with a timeout under 2 s). */
const PING_INTERVAL_MS = 1_000;

/**
 * Sends one ping; the promise settles with the answer (rejects when the connection drops with it
 * in flight). undefined when there is nothing to ping now (not connected).
 */
export type Ping = () => Promise<unknown> | undefined;

export class HealthCheck {
  readonly #timeout: number;
  readonly #interval: number;
  readonly #ping: Ping;
  readonly #onChange: (unresponsive: boolean) => void;
  readonly #timer: NodeJS.Timeout;
  readonly #failedPingIsUnanswered: boolean;
  /** The unanswered ping: its number, when the first unanswered one went out, whether it failed. */
  #pending: { id: number; sentAt: number; failed: boolean } | undefined;
  #pings = 0;
  #lastCheckAt = Date.now();
  #unresponsive = false;

  /**
   * `onChange` is called when the peer goes unresponsive (true) and when it answers again (false).
   * `failedPingIsUnanswered`: a ping that fails counts as unanswered, and the next check pings
   * again (for a client whose connections drop without an event to report, ioredis's Cluster);
   * otherwise its failure is the owner's to report and the wait starts afresh.
   */
  constructor(timeout: number, ping: Ping, onChange: (unresponsive: boolean) => void, failedPingIsUnanswered = false) {
    this.#timeout = timeout;
    this.#failedPingIsUnanswered = failedPingIsUnanswered;
    this.#ping = ping;
    this.#onChange = onChange;
    this.#interval = Math.min(PING_INTERVAL_MS, Math.max(timeout / 2, 10));
    this.#timer = setInterval(() => this.#check(), this.#interval);
    this.#timer.unref();
  }

  /** A ping went unanswered for `timeout` ms, and none has been answered since. */
  get unresponsive(): boolean {
    return this.#unresponsive;
  }

  /** A new connection: the ping sent on the old one is not waited for, and the peer counts as answering. */
  reset(): void {
    this.#pending = undefined;
    this.#unresponsive = false;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #check(): void {
    const now = Date.now();
    // A check that runs late means this process was stopped or blocked, not the peer: the answer
    // may be waiting unread, so the wait starts again rather than blame the peer.
    const late = now - this.#lastCheckAt > 2 * this.#interval;
    this.#lastCheckAt = now;
    const pending = this.#pending;
    if (pending !== undefined) {
      if (late) pending.sentAt = now;
      else if (!this.#unresponsive && now - pending.sentAt >= this.#timeout) {
        this.#unresponsive = true;
        this.#onChange(true);
      }
      if (!pending.failed) return;
    }
    const answer = this.#ping();
    if (answer === undefined) return;
    const id = ++this.#pings;
    this.#pending = { id, sentAt: pending?.sentAt ?? now, failed: false };
    answer.then(
      () => {
        if (this.#pending?.id !== id) return;
        this.#pending = undefined;
        if (!this.#unresponsive) return;
        this.#unresponsive = false;
        this.#onChange(false);
      },
      () => {
        if (this.#pending?.id !== id) return;
        if (this.#failedPingIsUnanswered) this.#pending.failed = true;
        // The connection dropped (its owner reports that); the next check starts afresh.
        else this.#pending = undefined;
      },
    );
  }
}

/** One line on stderr per outage, however it shows (errors, closes, unanswered pings), and one per recovery. */
export class OutageLog {
  #down = false;

  /** Whether an outage was reported and has not yet ended. */
  get down(): boolean {
    return this.#down;
  }

  /** Reports the outage, unless it is already reported. */
  outage(message: string): void {
    if (this.#down) return;
    this.#down = true;
    report(message);
  }

  /** Reports the recovery; false (nothing printed) when there was no outage. */
  recovery(message: string): boolean {
    if (!this.#down) return false;
    this.#down = false;
    report(message);
    return true;
  }
}

export function report(message: string): void {
  process.stderr.write(`krandog: pub/sub: ${message}\n`);
}
