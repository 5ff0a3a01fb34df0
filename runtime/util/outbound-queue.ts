// The messages a backplane has accepted and not yet seen through (answered by Redis, written to the
// IPC channel): bounded in bytes, so that a backplane slower than publish (or one that stopped
// answering) cannot make the process grow without end, and awaited on close, so that what publish
// accepted just before server.close() still reaches the other processes.

/** What `pubsub.queueLimit` defaults to, in bytes. */
export const DEFAULT_QUEUE_LIMIT = 64 * 1024 * 1024;
/**
 * What a waiting message costs besides its bytes: ioredis holds about 1 KiB per unanswered command
 * (its Command, promise and write), and a queue of small messages is mostly that.
 */
export const MESSAGE_OVERHEAD = 1024;

export class OutboundQueue {
  readonly #limit: number;
  /** Names the backplane in the line printed when the queue fills up. */
  readonly #name: string;
  /** What happens to the messages that do not fit, in that line. */
  readonly #consequence: string;
  #bytes = 0;
  #messages = 0;
  #fullReported = false;
  #onEmpty: (() => void) | undefined;

  constructor(limit: number, name: string, consequence = "messages published until it catches up reach this process's subscribers only") {
    this.#limit = limit;
    this.#name = name;
    this.#consequence = consequence;
  }

  /**
   * Takes a message of `size` bytes (counted with MESSAGE_OVERHEAD); false, and a line on stderr once
   * per episode, when it would pass the limit. A message bigger than the limit goes when nothing else
   * waits.
   */
  take(size: number): boolean {
    const cost = size + MESSAGE_OVERHEAD;
    if (this.#messages > 0 && this.#bytes + cost > this.#limit) {
      if (!this.#fullReported) {
        this.#fullReported = true;
        process.stderr.write(
          `krandog: pub/sub: ${this.#name} is not keeping up (${this.#limit} bytes of messages wait for it); ${this.#consequence}\n`,
        );
      }
      return false;
    }
    this.#bytes += cost;
    this.#messages++;
    return true;
  }

  /** A message taken earlier has gone through (or is lost for good). */
  done(size: number): void {
    this.#bytes -= size + MESSAGE_OVERHEAD;
    if (--this.#messages > 0) return;
    this.#fullReported = false;
    const onEmpty = this.#onEmpty;
    this.#onEmpty = undefined;
    onEmpty?.();
  }

  /** Resolves once every message taken is done, or after `timeoutMs`, whichever comes first. */
  empty(timeoutMs: number): Promise<void> {
    if (this.#messages === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, timeoutMs);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      const previous = this.#onEmpty;
      this.#onEmpty = () => {
        previous?.();
        finish();
      };
    });
  }
}
