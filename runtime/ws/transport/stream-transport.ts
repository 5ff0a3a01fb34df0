// A Connection over one HTTP/2 stream (RFC 8441: the stream of an extended CONNECT carries the
// WebSocket bytes, in DATA frames). The stream is the connection's byte sink. HTTP/2 does its own
// flow control per stream, so this is simpler than the socket transport: write, count what waits
// (the stream's writableLength), 'drain' when it was taken, END_STREAM for this side's end
// (RFC 8441 §5: the TCP FIN of RFC 6455), RST_STREAM to drop.
import type { Duplex } from 'node:stream';
import { CloseCode, ReadyState } from '../protocol/constants.ts';
import type { ConnectionEvents } from '../connection.ts';
import { DuplexConnection, kConnection, type DuplexConnectionOptions } from './duplex-connection.ts';

type StreamWithConnection = Duplex & { [kConnection]: StreamConnection };

/** One WebSocket connection over an HTTP/2 stream (any Duplex) whose handshake is done. */
export class StreamConnection extends DuplexConnection<Duplex> {
  readonly stream: Duplex;
  #awaitingDrain = false;
  #bytesRead = 0;
  #bytesWritten = 0;
  /** Bytes the peer had taken (written minus waiting) when the stall timer was armed. */
  #takenAtArm = 0;

  constructor(stream: Duplex, options: DuplexConnectionOptions, events: ConnectionEvents) {
    super(stream, options, events);
    this.stream = stream;
  }

  /** Starts reading the stream. */
  start(): void {
    const stream = this.listen();
    stream.on('data', StreamConnection.#onData);
    stream.on('drain', StreamConnection.#onDrain);
  }

  /** WebSocket bytes read from and written to the stream (DATA payloads, not HTTP/2 framing). */
  get wireBytes(): { read: number; written: number } {
    return { read: this.#bytesRead, written: this.#bytesWritten };
  }

  get bufferedAmount(): number {
    return this.stream.writableLength;
  }

  protected writeBytes(bytes: Uint8Array): boolean {
    const stream = this.stream;
    if (stream.destroyed || stream.writableEnded) return false;
    stream.write(bytes);
    this.#bytesWritten += bytes.length;
    return true;
  }

  protected hasBackpressure(): boolean {
    if (this.stream.writableLength <= this.backpressureLimit) return false;
    this.#awaitingDrain = true;
    // A peer that takes nothing for stallTimeoutMs stopped reading (its flow-control window stays shut).
    if (this.stallTimer === undefined && !this.isClosing) this.#armStallTimer();
    return true;
  }

  /** What the peer has taken so far: it only grows, and grows only while the peer reads. */
  #taken(): number {
    return this.#bytesWritten - this.stream.writableLength;
  }

  #armStallTimer(): void {
    this.#takenAtArm = this.#taken();
    this.stallTimer = setTimeout(StreamConnection.#onStall, this.stallTimeoutMs, this);
    this.stallTimer.unref();
  }

  protected endOutput(): void {
    if (!this.stream.writableEnded) this.stream.end();
  }

  protected isOutputEnded(): boolean {
    return this.stream.writableEnded;
  }

  static #onStall(connection: StreamConnection): void {
    connection.stallTimer = undefined;
    if (connection.readyState === ReadyState.Closed || connection.stream.writableLength <= connection.backpressureLimit) return;
    // Slow but reading: look again later.
    if (connection.#taken() > connection.#takenAtArm) return connection.#armStallTimer();
    connection.failTransport(CloseCode.PolicyViolation, new Error('peer is not reading: over the backpressure limit'));
    connection.stream.destroy();
  }

  // Stream listeners, shared by all connections (`this` is the stream).

  static #onData(this: StreamWithConnection, chunk: Buffer): void {
    const connection = this[kConnection];
    connection.#bytesRead += chunk.length;
    connection.receive(chunk);
  }

  static #onDrain(this: StreamWithConnection): void {
    const connection = this[kConnection];
    // Progress: the stall timer starts over from the next send that finds too much waiting.
    clearTimeout(connection.stallTimer);
    connection.stallTimer = undefined;
    if (!connection.#awaitingDrain || connection.stream.writableLength > 0) return;
    connection.#awaitingDrain = false;
    connection.drained();
  }
}
