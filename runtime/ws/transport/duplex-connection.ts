// What a Connection over a Node stream (a net.Socket, an HTTP/2 stream) does the same whatever the
// stream: the transport options and their defaults, the close timer that bounds the closing
// handshake, the stall timer's slot, and the 'end', 'error' and 'close' listeners.
import type { Duplex } from 'node:stream';
import { ReadyState } from '../protocol/constants.ts';
import { Connection, type ConnectionEvents, type ConnectionOptions } from '../connection.ts';

export interface TransportOptions {
  /** How long to wait for the peer's half of the close handshake. */
  closeTimeoutMs?: number;
  /**
   * Bytes that may wait for the peer (written, not yet taken) before send() reports backpressure;
   * a peer that holds back more than this and takes none of it for `stallTimeoutMs` is too slow:
   * close with 1008.
   */
  backpressureLimit?: number;
  stallTimeoutMs?: number;
}

export type DuplexConnectionOptions = ConnectionOptions & TransportOptions;

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_BACKPRESSURE_LIMIT = 16 * 1024 * 1024;
const DEFAULT_STALL_TIMEOUT_MS = 2_000;

/** Where a stream's listeners find their connection: shared functions, no closures per connection. */
export const kConnection = Symbol('krandog.connection');
export type DuplexWithConnection<D extends Duplex> = D & { [kConnection]: DuplexConnection<D> };

export abstract class DuplexConnection<D extends Duplex> extends Connection {
  readonly #duplex: D;
  readonly #closeTimeoutMs: number;
  protected readonly backpressureLimit: number;
  protected readonly stallTimeoutMs: number;
  /** Armed once the closing handshake started: it also marks that (see `isClosing`). */
  #closeTimer: NodeJS.Timeout | undefined;
  /** Runs while more than the backpressure limit waits; each transport judges progress its own way. */
  protected stallTimer: NodeJS.Timeout | undefined;

  constructor(duplex: D, options: DuplexConnectionOptions, events: ConnectionEvents) {
    super(options, events);
    this.#duplex = duplex;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.backpressureLimit = options.backpressureLimit ?? DEFAULT_BACKPRESSURE_LIMIT;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  }

  /** Points the stream at this connection and adds the listeners every transport shares. */
  protected listen(): DuplexWithConnection<D> {
    const duplex = this.#duplex as DuplexWithConnection<D>;
    duplex[kConnection] = this;
    duplex.on('end', DuplexConnection.#onEnd);
    duplex.on('error', DuplexConnection.#onError);
    duplex.on('close', DuplexConnection.#onClose);
    return duplex;
  }

  /** Whether the closing handshake started: the close timer bounds it, backpressure no longer does. */
  protected get isClosing(): boolean {
    return this.#closeTimer !== undefined;
  }

  protected dropTransport(): void {
    this.#duplex.destroy();
  }

  /** If the other side never finishes, `closeTimeoutMs` later the stream is destroyed (code 1006). */
  protected closingStarted(): void {
    if (this.#closeTimer !== undefined || this.readyState === ReadyState.Closed) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    this.#closeTimer = setTimeout(destroy, this.#closeTimeoutMs, this.#duplex);
    this.#closeTimer.unref();
  }

  /** The stream closed: what the transport holds besides the timers is let go here. */
  protected transportGone(): void {}

  static #onEnd(this: DuplexWithConnection<Duplex>): void {
    this[kConnection].receiveEnd();
  }

  static #onError(this: DuplexWithConnection<Duplex>, error: Error): void {
    // ECONNRESET and friends end this connection only; 'close' follows.
    this[kConnection].transportError(error);
  }

  static #onClose(this: DuplexWithConnection<Duplex>): void {
    const connection = this[kConnection];
    clearTimeout(connection.#closeTimer);
    clearTimeout(connection.stallTimer);
    connection.transportGone();
    connection.transportClosed();
  }
}

function destroy(duplex: Duplex): void {
  duplex.destroy();
}
