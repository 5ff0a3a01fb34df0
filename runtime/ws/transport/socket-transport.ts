// A Connection over a net.Socket (TCP or TLS): the socket is the connection's byte sink. All socket
// I/O lives here: the listeners, corking until the next tick, feeding the socket a slice at a
// time, backpressure and the stall timer (the close timer and the end/error/close listeners are
// DuplexConnection's).
import type { Socket } from 'node:net';
import { CloseCode, ReadyState } from '../protocol/constants.ts';
import type { ConnectionEvents } from '../connection.ts';
import { DuplexConnection, kConnection, type DuplexConnectionOptions } from './duplex-connection.ts';
import { OutgoingQueue } from './outgoing-queue.ts';

export type { TransportOptions } from './duplex-connection.ts';
export type SocketConnectionOptions = DuplexConnectionOptions;

/**
 * The socket's own buffer holds about this much; the rest waits in the connection's queue. Each
 * 'drain' then means the kernel took a slice, which is how a peer that reads is told from one
 * that stopped (one write of everything would show nothing until its last byte left).
 */
const SOCKET_SLICE_BYTES = 256 * 1024;

type SocketWithConnection = Socket & { [kConnection]: SocketConnection };

/**
 * Connections that wrote since this tick began. Their sockets stay corked until the next tick, so
 * everything a tick sends to one peer (replies to a whole read, a burst of broadcasts) leaves in a
 * single writev instead of one system call per frame.
 */
let corkedConnections: SocketConnection[] = [];

/** One WebSocket connection over a socket whose handshake is done. */
export class SocketConnection extends DuplexConnection<Socket> {
  readonly socket: Socket;
  #awaitingDrain = false;
  #isCorked = false;
  /** What waits behind the socket's buffer (see SOCKET_SLICE_BYTES); created on first need. */
  #queue: OutgoingQueue | undefined;
  /** endOutput() was asked for while bytes still wait in #queue: TCP ends once they are handed over. */
  #endQueued = false;
  /** This side's FIN was asked for (socket.end()): nothing more may be written. */
  #ended = false;
  /** endTransport(): the socket is destroyed once its FIN has left. */
  #closeWhenEnded = false;
  /** When the kernel last took bytes (the socket's last 'drain'), while the stall timer runs. */
  #lastProgressMs = 0;

  constructor(socket: Socket, options: SocketConnectionOptions, events: ConnectionEvents) {
    super(socket, options, events);
    this.socket = socket;
  }

  /** Starts reading; `head` holds bytes that arrived with the handshake (they are the first frames). */
  start(head?: Buffer): void {
    // Listeners are shared functions that find the connection on the socket: no closures per
    // connection, which matters for the memory of many idle connections.
    const socket = this.listen();
    socket.setNoDelay(true);
    socket.on('data', SocketConnection.#onSocketData);
    socket.on('drain', SocketConnection.#onSocketDrain);
    // Paused before reading began (by an `open` hook): the 'data' listener must not start the flow.
    if (this.isPaused) socket.pause();
    if (head !== undefined && head.length > 0) this.receive(head);
  }

  /** Bytes written and not yet handed to the kernel: the peer has not taken them. */
  get bufferedAmount(): number {
    return this.socket.writableLength + (this.#queue?.length ?? 0);
  }

  /**
   * Writes bytes behind everything written before; false when the socket can take no more. Nothing
   * here judges the peer: what this tick writes has not even been offered to the kernel yet (the
   * socket is corked until the next tick). #watchBacklog judges it afterwards, over time.
   */
  protected writeBytes(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (socket.destroyed || this.#endQueued || this.#ended) return false;
    if (!this.#isCorked) this.#corkUntilNextTick();
    const queue = this.#queue;
    if ((queue === undefined || queue.length === 0) && socket.writableLength + bytes.length <= SOCKET_SLICE_BYTES) {
      socket.write(bytes);
    } else {
      (this.#queue ??= new OutgoingQueue()).push(bytes);
      this.#feed();
    }
    return true;
  }

  protected hasBackpressure(): boolean {
    if (!this.#isOverLimit()) return false;
    if (!this.#awaitingDrain) {
      this.#awaitingDrain = true;
      if (this.#queue === undefined || this.#queue.length === 0) this.#notifyWhenFlushed();
    }
    return true;
  }

  /** Ends TCP once everything written has been handed to the socket. */
  protected endOutput(): void {
    if (this.#queue === undefined || this.#queue.length === 0) this.#endNow();
    else this.#endQueued = true;
  }

  protected endTransport(): void {
    this.#closeWhenEnded = true;
    this.endOutput();
  }

  protected isOutputEnded(): boolean {
    return this.socket.writableEnded || this.#endQueued;
  }

  /**
   * The socket stops emitting 'data'; Node reads on until its buffer holds highWaterMark bytes,
   * then stops reading, the kernel's receive buffer fills and TCP's window holds the peer back.
   */
  protected pauseInput(): void {
    this.socket.pause();
  }

  protected resumeInput(): void {
    this.socket.resume();
  }

  protected transportGone(): void {
    this.#queue?.clear();
  }

  /** Hands queued bytes to the socket until it holds SOCKET_SLICE_BYTES; the rest waits for its 'drain'. */
  #feed(): void {
    const queue = this.#queue!;
    const socket = this.socket;
    // Ended by Node itself (a client socket after the server's FIN): what waits can no longer leave.
    if (socket.writableEnded && !this.#ended) queue.clear();
    if (queue.length > 0 && socket.writableLength < SOCKET_SLICE_BYTES) {
      socket.cork();
      while (queue.length > 0 && socket.writableLength < SOCKET_SLICE_BYTES) socket.write(queue.take(SOCKET_SLICE_BYTES - socket.writableLength));
      socket.uncork();
      if (queue.length === 0 && this.#awaitingDrain) this.#notifyWhenFlushed();
    }
    if (queue.length === 0 && this.#endQueued && !this.#ended) this.#endNow();
  }

  #endNow(): void {
    this.#ended = true;
    const socket = this.socket;
    if (this.#closeWhenEnded) socket.end(() => socket.destroy());
    else socket.end();
  }

  /** Whether more than the backpressure limit waits; cheap while nothing waits behind the socket. */
  #isOverLimit(): boolean {
    // Without a queue the socket holds at most SOCKET_SLICE_BYTES (see writeBytes and #feed).
    const queue = this.#queue;
    if ((queue === undefined || queue.length === 0) && this.backpressureLimit >= SOCKET_SLICE_BYTES) return false;
    return this.bufferedAmount > this.backpressureLimit;
  }

  /**
   * Makes sure #onFlushed runs once the socket's buffer is empty: its 'drain' comes only after a
   * write it refused, so otherwise an empty write's callback marks the end.
   */
  #notifyWhenFlushed(): void {
    if (!this.socket.writableNeedDrain) this.socket.write(EMPTY, () => this.#onFlushed());
  }

  /** The socket's buffer may be empty: the `drain` a send() that returned Backpressure waits for. */
  #onFlushed(): void {
    if (!this.#awaitingDrain || this.bufferedAmount > 0) return;
    this.#awaitingDrain = false;
    this.drained();
  }

  /**
   * After a tick's bytes were offered to the kernel. A peer may hold back more than the limit (a
   * burst, a large message, a slow network) as long as the kernel keeps taking bytes for it; one
   * that takes none for stallTimeoutMs stopped reading, and must not make us buffer without bound.
   * Seconds, not milliseconds: the kernel reports room only once about half its send buffer is
   * free (MiBs on a fast link). The closing handshake is exempt: the close timer bounds it.
   */
  #watchBacklog(): void {
    if (this.stallTimer !== undefined || this.isClosing || !this.#isOverLimit()) return;
    this.#lastProgressMs = Date.now();
    this.#armStallTimer(this.stallTimeoutMs);
  }

  #armStallTimer(ms: number): void {
    this.stallTimer = setTimeout(SocketConnection.#checkStall, ms, this);
    this.stallTimer.unref();
  }

  static #checkStall(connection: SocketConnection): void {
    connection.stallTimer = undefined;
    if (connection.readyState === ReadyState.Closed || connection.isClosing) return;
    if (!connection.#isOverLimit()) return;
    const stalledMs = Date.now() - connection.#lastProgressMs;
    if (stalledMs < connection.stallTimeoutMs) return connection.#armStallTimer(connection.stallTimeoutMs - stalledMs);
    connection.failTransport(CloseCode.PolicyViolation, new Error('peer is not reading: over the backpressure limit'));
    connection.socket.destroy();
  }

  #corkUntilNextTick(): void {
    this.#isCorked = true;
    this.socket.cork();
    if (corkedConnections.length === 0) process.nextTick(SocketConnection.#uncorkAll);
    corkedConnections.push(this);
  }

  static #uncorkAll(): void {
    const connections = corkedConnections;
    corkedConnections = [];
    for (const connection of connections) {
      connection.#isCorked = false;
      connection.socket.uncork();
      connection.#watchBacklog();
    }
  }

  // Socket listeners, shared by all connections (`this` is the socket).

  static #onSocketData(this: SocketWithConnection, chunk: Buffer): void {
    this[kConnection].receive(chunk);
  }

  static #onSocketDrain(this: SocketWithConnection): void {
    // The kernel took everything the socket held: progress (see #watchBacklog).
    const connection = this[kConnection];
    connection.#lastProgressMs = Date.now();
    if (connection.#queue !== undefined) connection.#feed();
    connection.#onFlushed();
  }
}

const EMPTY = Buffer.alloc(0);
