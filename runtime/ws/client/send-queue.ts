// What the browser-style client's send() and close() put on the connection, in call order, and the
// bufferedAmount the standard defines for them (WebSockets standard, send() and bufferedAmount).
//
// Strings and bytes go straight to the Connection, which frames (and so copies) them at once.
// A Blob's bytes arrive later (blob.arrayBuffer() is asynchronous), so from the first unread Blob
// until the queue empties, sends and a close() wait in line behind it and leave in their order.
import { Blob } from 'node:buffer';
import { ReadyState } from '../protocol/constants.ts';
import { type Connection, SendResult } from '../connection.ts';

type Entry =
  | { kind: 'data'; data: string | Uint8Array; bytes: number }
  | { kind: 'blob'; data: Uint8Array | undefined; bytes: number }
  | { kind: 'close'; code: number | undefined; reason: string };

/**
 * The client's outgoing side. `bufferedAmount` counts application bytes (no framing) that were
 * sent but not yet handed to the network: it includes everything sent during the current task
 * (the standard fixes its value when the event loop last reached a task boundary), then follows
 * the socket's write buffer as it drains. Bytes sent once closing has started are never
 * transmitted, so they only ever add to it.
 */
export class SendQueue {
  readonly #connection: Connection;
  readonly #onBlobError: (error: Error) => void;
  readonly #waiting: Entry[] = [];
  /** Bytes in #waiting. */
  #waitingBytes = 0;
  /** Bytes handed to the connection that may still sit in the socket's buffer. */
  #unflushedBytes = 0;
  /** Bytes sent after the closing handshake started: never transmitted. */
  #discardedBytes = 0;
  /** Whether something was sent during the current task (cleared by an immediate). */
  #sentThisTask = false;
  #closed = false;

  constructor(connection: Connection, onBlobError: (error: Error) => void) {
    this.#connection = connection;
    this.#onBlobError = onBlobError;
  }

  get bufferedAmount(): number {
    if (!this.#sentThisTask && !this.#closed) {
      // Between tasks the socket only drains: what it still holds bounds what is left unsent.
      this.#unflushedBytes = Math.min(this.#unflushedBytes, this.#connection.bufferedAmount);
    }
    return this.#discardedBytes + this.#waitingBytes + this.#unflushedBytes;
  }

  /** Sends text, bytes (the caller's, framed at once or copied) or a Blob, in call order. */
  send(data: string | Uint8Array | Blob): void {
    this.#markSent();
    if (this.#closed) return this.discardSend(data);
    if (data instanceof Blob) {
      const entry: Entry = { kind: 'blob', data: undefined, bytes: data.size };
      this.#enqueue(entry);
      data.arrayBuffer().then(
        (buffer) => {
          entry.data = new Uint8Array(buffer);
          this.#flush();
        },
        (error: Error) => this.#onBlobError(error),
      );
    } else if (this.#waiting.length > 0) {
      // Behind a Blob: keep a copy, the caller may reuse its buffer meanwhile (Buffer's slice() is a view).
      const copy = typeof data === 'string' ? data : new Uint8Array(data);
      this.#enqueue({ kind: 'data', data: copy, bytes: byteLength(data) });
    } else {
      this.#transmit(data, byteLength(data));
    }
  }

  /** send() once the closing handshake has started: nothing leaves, bufferedAmount grows. */
  discardSend(data: string | Uint8Array | Blob): void {
    this.#discardedBytes += byteLength(data);
  }

  /** Starts the closing handshake once everything sent before it has left. */
  close(code: number | undefined, reason: string): void {
    if (this.#closed) return;
    if (this.#waiting.length > 0) this.#waiting.push({ kind: 'close', code, reason });
    else this.#connection.close(code, reason);
  }

  /** The connection is gone: what still waits will never be sent. */
  discard(): void {
    if (this.#closed) return;
    // Settle the socket's share one last time, then freeze it.
    this.#unflushedBytes = this.bufferedAmount - this.#discardedBytes - this.#waitingBytes;
    this.#discardedBytes += this.#waitingBytes;
    this.#waitingBytes = 0;
    this.#waiting.length = 0;
    this.#closed = true;
  }

  #enqueue(entry: Exclude<Entry, { kind: 'close' }>): void {
    this.#waiting.push(entry);
    this.#waitingBytes += entry.bytes;
  }

  /** Sends what waits, in order, up to the first Blob still being read. */
  #flush(): void {
    const waiting = this.#waiting;
    while (waiting.length > 0) {
      const entry = waiting[0];
      if (entry.kind === 'blob' && entry.data === undefined) return;
      waiting.shift();
      if (entry.kind === 'close') {
        this.#connection.close(entry.code, entry.reason);
        continue;
      }
      this.#waitingBytes -= entry.bytes;
      this.#markSent();
      this.#transmit(entry.data!, entry.bytes);
    }
  }

  #transmit(data: string | Uint8Array, bytes: number): void {
    // A closing handshake the server started, or a failure, stops sending before the close task runs.
    if (this.#connection.readyState !== ReadyState.Open || this.#connection.send(data) === SendResult.Dropped) {
      this.#discardedBytes += bytes;
      return;
    }
    this.#unflushedBytes += bytes;
  }

  #markSent(): void {
    if (this.#sentThisTask) return;
    this.#sentThisTask = true;
    setImmediate(() => {
      this.#sentThisTask = false;
    });
  }
}

function byteLength(data: string | Uint8Array | Blob): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  return data instanceof Blob ? data.size : data.byteLength;
}
