// A client and a server Connection wired to each other in memory through the byte sink, as
// wsproto's tests pair two connections: no socket, no timer. What one side writes waits until
// `flush()` hands it to the other, so a test decides when bytes cross and sees each step.
import { Connection, type ConnectionOptions } from '../../runtime/ws/connection.ts';
import { decodeFrames, type DecodedFrame } from './frames.ts';

export interface CloseRecord {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** What one side's events object saw, in order. */
export interface Seen {
  messages: Array<{ data: string | Buffer; isText: boolean }>;
  pings: string[];
  pongs: string[];
  errors: Error[];
  closed: CloseRecord | undefined;
}

type SideOptions = Partial<Omit<ConnectionOptions, 'isServer'>>;

/** One end: a Connection whose sink is a list of bytes for the other end. */
export class MemoryConnection extends Connection {
  readonly seen: Seen;
  /** Every byte this side wrote, in order (its frames are read with `framesWritten`). */
  readonly written: Buffer[] = [];
  /** Bytes written and not yet handed to the peer by `flush()`. */
  pending: Buffer[] = [];
  /** endOutput() was called: a FIN follows the pending bytes. */
  outputEnded = false;
  /** dropTransport() was called (terminate, or a failure that drops at once). */
  dropped = false;
  /** closingStarted() was called: a real transport would arm its close timer now. */
  closing = false;
  finDelivered = false;
  isTransportClosed = false;

  constructor(isServer: boolean, options: SideOptions) {
    const seen: Seen = { messages: [], pings: [], pongs: [], errors: [], closed: undefined };
    super(
      { isServer, ...options },
      {
        onMessage: (data, isText) => seen.messages.push({ data, isText }),
        onPing: (payload) => seen.pings.push(payload.toString()),
        onPong: (payload) => seen.pongs.push(payload.toString()),
        onError: (error) => seen.errors.push(error),
        onClose: (code, reason, wasClean) => {
          if (seen.closed !== undefined) throw new Error('onClose ran twice');
          seen.closed = { code, reason, wasClean };
        },
      },
    );
    this.seen = seen;
  }

  /** The frames this side wrote so far, unmasked. */
  framesWritten(): DecodedFrame[] {
    return decodeFrames(Buffer.concat(this.written)).frames;
  }

  get bufferedAmount(): number {
    return this.pending.reduce((total, bytes) => total + bytes.length, 0);
  }

  protected writeBytes(bytes: Uint8Array): boolean {
    if (this.outputEnded || this.dropped) return false;
    // Two copies: the receiving parser unmasks in place, the record stays as sent.
    this.written.push(Buffer.from(bytes));
    this.pending.push(Buffer.from(bytes));
    return true;
  }

  protected hasBackpressure(): boolean {
    return false;
  }

  protected endOutput(): void {
    this.outputEnded = true;
  }

  protected isOutputEnded(): boolean {
    return this.outputEnded || this.dropped;
  }

  protected dropTransport(): void {
    this.dropped = true;
  }

  protected closingStarted(): void {
    this.closing = true;
  }

  // The transport's side, for the pair.
  deliver(bytes: Buffer): void {
    this.receive(bytes);
  }
  deliverEnd(): void {
    this.receiveEnd();
  }
  deliverClosed(): void {
    this.isTransportClosed = true;
    this.transportClosed();
  }
}

export class ConnectionPair {
  readonly client: MemoryConnection;
  readonly server: MemoryConnection;

  constructor(options: { client?: SideOptions; server?: SideOptions } = {}) {
    this.client = new MemoryConnection(false, options.client ?? {});
    this.server = new MemoryConnection(true, options.server ?? {});
  }

  /** Bytes as if `from` had written them (a hand-built frame), handed over by the next flush. */
  inject(from: MemoryConnection, bytes: Buffer): void {
    from.pending.push(bytes);
  }

  /**
   * Hands each side's pending bytes (then its FIN) to the other until nothing moves; TCP closes
   * once both FINs crossed, or at once for both when one side dropped it.
   */
  flush(): void {
    for (let rounds = 0; rounds < 100; rounds++) {
      if (this.client.dropped || this.server.dropped) return this.#closeBoth();
      const moved = this.#move(this.client, this.server) || this.#move(this.server, this.client);
      if (this.client.finDelivered && this.server.finDelivered) return this.#closeBoth();
      if (!moved) return;
    }
    throw new Error('the connections kept writing to each other');
  }

  #move(from: MemoryConnection, to: MemoryConnection): boolean {
    if (from.pending.length > 0) {
      const bytes = from.pending;
      from.pending = [];
      if (!to.isTransportClosed) for (const chunk of bytes) to.deliver(chunk);
      return true;
    }
    if (from.outputEnded && !from.finDelivered) {
      from.finDelivered = true;
      to.deliverEnd();
      return true;
    }
    return false;
  }

  #closeBoth(): void {
    for (const side of [this.client, this.server]) if (!side.isTransportClosed) side.deliverClosed();
  }
}
