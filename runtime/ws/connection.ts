import type { Socket } from 'node:net';
import { CloseCode, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, MAX_CONTROL_PAYLOAD, Opcode, ReadyState } from './protocol/constants.ts';
import { MAX_CLOSE_REASON_BYTES, encodeClosePayload, isCloseReasonTooLong, isValidCloseCode, parseClosePayload } from './protocol/close-payload.ts';
import { COPY_PAYLOAD_LIMIT, encodeFrame, encodeFrameHeader, encodeTextFrame } from './protocol/frame-encoder.ts';
import { FrameParser } from './protocol/frame-parser.ts';
import { OutgoingQueue } from '../util/outgoing-queue.ts';
import type { MessageCompressor } from './protocol/compressor.ts';
import { ProtocolError } from './protocol/errors.ts';
import { invalidUtf8, isValidUtf8 } from './protocol/utf8.ts';

// The close handshake (RFC 6455 §5.5.1, §7):
//
//   we close first                       the peer closes first
//   OPEN ──send Close──▶ CLOSING          OPEN ──recv Close──▶ send Close (echo code) ─▶ CLOSING
//   CLOSING ──recv Close──▶ (clean)       CLOSING
//      server: end TCP now                 server: end TCP now
//      client: wait for the server's FIN   client: wait for the server's FIN
//   ──TCP closed──▶ CLOSED (onClose once, wasClean = both Close frames went across)
//
// A protocol error sends Close with the error's code and ends TCP ("fail the connection"): at once,
// or, with `deferFailure`, after the events of the frames that came before the bad one.
// If the other side never finishes, `closeTimeoutMs` later the socket is destroyed (code 1006).

/** Callbacks a connection makes; the server socket and the browser-style client implement them. */
export interface ConnectionEvents {
  onMessage(data: string | Buffer, isText: boolean): void;
  onPing?(payload: Buffer): void;
  onPong?(payload: Buffer): void;
  /** The socket's send buffer emptied after a send that reported backpressure. */
  onDrain?(): void;
  /** The peer broke the protocol or the socket failed; `onClose` follows. */
  onError?(error: Error): void;
  /** Exactly once, when the TCP connection is gone. */
  onClose(code: number, reason: string, wasClean: boolean): void;
}

export interface ConnectionOptions {
  isServer: boolean;
  maxPayload?: number;
  maxFragments?: number;
  /** How long to wait for the peer's half of the close handshake. */
  closeTimeoutMs?: number;
  /**
   * Bytes that may wait for the peer (written, not yet taken by the kernel) before send() reports
   * backpressure; a peer that holds back more than this and takes none of it for `stallTimeoutMs`
   * is too slow: close with 1008.
   */
  backpressureLimit?: number;
  stallTimeoutMs?: number;
  /** permessage-deflate, when the handshake agreed on it. */
  deflate?: MessageCompressor;
  /**
   * Runs the second half of failing the connection for a peer's bad frame (the Close frame, the end
   * of TCP). The parser stops at once either way, so nothing after the bad frame is delivered or
   * answered. The client dispatches messages as tasks and passes queueTask: the messages that came
   * before the bad frame are dispatched, and what their listeners send is written, before the Close
   * (Autobahn 3.2, 4.1.3, 5.15...). Default: at once (the server dispatched them synchronously).
   */
  deferFailure?: (fail: () => void) => void;
}

/**
 * `send` result: the message's size in bytes when it was accepted; Backpressure when it was
 * accepted but more than the backpressure limit now waits for the peer; Dropped when not open.
 */
export const SendResult = { Backpressure: -1, Dropped: 0 } as const;

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_BACKPRESSURE_LIMIT = 16 * 1024 * 1024;
const DEFAULT_STALL_TIMEOUT_MS = 2_000;

/**
 * The socket's own buffer holds about this much; the rest waits in the connection's queue. Each
 * 'drain' then means the kernel took a slice, which is how a peer that reads is told from one
 * that stopped (one write of everything would show nothing until its last byte left).
 */
const SOCKET_SLICE_BYTES = 256 * 1024;

const kConnection = Symbol('krandog.connection');
type SocketWithConnection = Socket & { [kConnection]: Connection };

/**
 * Connections that wrote since this tick began. Their sockets stay corked until the next tick, so
 * everything a tick sends to one peer (replies to a whole read, a burst of broadcasts) leaves in a
 * single writev instead of one system call per frame.
 */
let corkedConnections: Connection[] = [];

/** The most recent text frame a server encoded, so a broadcast of one string encodes it once. */
let lastBroadcastText: string | undefined;
let lastBroadcastFrame: Buffer | undefined;

/**
 * One WebSocket connection over a socket, for either role: framing, the close handshake, ping/pong,
 * backpressure. What a message means is up to the events object.
 */
export class Connection {
  readyState: number = ReadyState.Open;
  /** Set on every read; a keepalive sweep clears it to find connections that went quiet. */
  hasActivity = true;

  readonly socket: Socket;
  readonly #parser: FrameParser;
  readonly #events: ConnectionEvents;
  readonly #isServer: boolean;
  readonly #closeTimeoutMs: number;
  readonly #backpressureLimit: number;
  readonly #stallTimeoutMs: number;
  readonly #maxPayload: number;
  readonly #deflate: MessageCompressor | undefined;
  readonly #deferFailure: ((fail: () => void) => void) | undefined;

  #closeSent = false;
  #closeReceived = false;
  #closeCode: number = CloseCode.Abnormal;
  #closeReason = '';
  #closeTimer: NodeJS.Timeout | undefined;
  #failed = false;
  #awaitingDrain = false;
  #isCorked = false;
  /** What waits behind the socket's buffer (see SOCKET_SLICE_BYTES); created on first need. */
  #queue: OutgoingQueue | undefined;
  /** end() was asked for while bytes still wait in #queue: TCP ends once they are handed over. */
  #endQueued = false;
  /** This side's FIN was asked for (socket.end()): nothing more may be written. */
  #ended = false;
  /** Runs while more than the backpressure limit waits (see #watchBacklog). */
  #stallTimer: NodeJS.Timeout | undefined;
  /** When the kernel last took bytes (the socket's last 'drain'), while #stallTimer runs. */
  #lastProgressMs = 0;

  constructor(socket: Socket, options: ConnectionOptions, events: ConnectionEvents) {
    this.socket = socket;
    this.#events = events;
    this.#isServer = options.isServer;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#backpressureLimit = options.backpressureLimit ?? DEFAULT_BACKPRESSURE_LIMIT;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.#maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.#deflate = options.deflate;
    this.#deferFailure = options.deferFailure;
    this.#parser = new FrameParser(
      {
        isServer: options.isServer,
        maxPayload: this.#maxPayload,
        maxFragments: options.maxFragments ?? DEFAULT_MAX_FRAGMENTS,
      },
      this,
    );
    this.#parser.allowRsv1 = this.#deflate !== undefined;
  }

  /** The agreed Sec-WebSocket-Extensions value, '' when none. */
  get extensions(): string {
    return this.#deflate?.extension ?? '';
  }

  /** Starts reading; `head` holds bytes that arrived with the handshake (they are the first frames). */
  start(head?: Buffer): void {
    const socket = this.socket as SocketWithConnection;
    // Listeners are shared functions that find the connection on the socket: no closures per
    // connection, which matters for the memory of many idle connections.
    socket[kConnection] = this;
    socket.setNoDelay(true);
    socket.on('data', Connection.#onSocketData);
    socket.on('close', Connection.#onSocketClose);
    socket.on('error', Connection.#onSocketError);
    socket.on('end', Connection.#onSocketEnd);
    socket.on('drain', Connection.#onSocketDrain);
    if (head !== undefined && head.length > 0) this.#receive(head);
  }

  /** Bytes written and not yet handed to the kernel: the peer has not taken them. */
  get bufferedAmount(): number {
    return this.socket.writableLength + (this.#queue?.length ?? 0);
  }

  /**
   * Sends one message: a string as text, bytes as binary (or as text with `isText`).
   * Returns the message's size in bytes; SendResult.Backpressure when it was accepted but more
   * than the backpressure limit now waits for the peer (wait for onDrain); SendResult.Dropped
   * when the connection is no longer open.
   */
  send(data: string | Uint8Array, isText = typeof data === 'string'): number {
    if (this.readyState !== ReadyState.Open) return SendResult.Dropped;
    const messageBytes = this.#writeMessage(data, isText);
    return messageBytes < 0 ? SendResult.Dropped : this.#accepted(messageBytes);
  }

  /** Frames and writes one message; returns its size in bytes, or -1 when the socket is gone. */
  #writeMessage(data: string | Uint8Array, isText: boolean): number {
    const deflate = this.#deflate;
    if (deflate !== undefined && deflate.shouldCompress(data.length)) {
      // RFC 7692 §6: RSV1 marks the (single) frame of a compressed message.
      const payload = typeof data === 'string' ? deflate.compressText(data) : deflate.compress(data);
      if (!this.#write(encodeFrame(isText ? Opcode.Text : Opcode.Binary, payload, true, true, !this.#isServer))) return -1;
      return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    }
    if (typeof data === 'string') {
      if (!isText) data = Buffer.from(data);
      else {
        const frame = this.#encodeText(data);
        return this.#write(frame) ? framePayloadBytes(frame) : -1;
      }
    }
    const opcode = isText ? Opcode.Text : Opcode.Binary;
    if (this.#isServer && data.length > COPY_PAYLOAD_LIMIT) {
      // Large payloads go out by reference behind a separate header: no copy of the data. Both
      // leave in one writev (see corkedConnections).
      if (!this.#write(encodeFrameHeader(opcode, data.length, true, false))) return -1;
      this.#write(data);
      return data.length;
    }
    return this.#write(encodeFrame(opcode, data, true, false, !this.#isServer)) ? data.length : -1;
  }

  /** Writes an already encoded frame (a broadcast encodes once for many connections). */
  sendEncoded(frame: Buffer): number {
    if (this.readyState !== ReadyState.Open || !this.#write(frame)) return SendResult.Dropped;
    return this.#accepted(frame.length);
  }

  /** The send result for an accepted message: its size, or Backpressure past the limit. */
  #accepted(messageBytes: number): number {
    if (!this.#isOverLimit()) return messageBytes;
    if (!this.#awaitingDrain) {
      this.#awaitingDrain = true;
      if (this.#queue === undefined || this.#queue.length === 0) this.#notifyWhenFlushed();
    }
    return SendResult.Backpressure;
  }

  ping(payload: Uint8Array = EMPTY): void {
    this.#sendControl(Opcode.Ping, payload);
  }

  pong(payload: Uint8Array = EMPTY): void {
    this.#sendControl(Opcode.Pong, payload);
  }

  /** Starts the closing handshake; `code` undefined sends a Close frame with no body. */
  close(code?: number, reason?: string): void {
    if (this.readyState >= ReadyState.Closing) return;
    // Check the reason before any state changes: encodeClosePayload would throw after readyState
    // and #closeSent were set, leaving a connection that is neither open nor ever closed.
    if (reason !== undefined && isCloseReasonTooLong(reason)) {
      throw new RangeError('close reason is longer than 123 bytes');
    }
    // RFC 6455 §7.4.1: 1005, 1006, 1015 and unregistered codes never go on the wire.
    if (code !== undefined && !isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
    this.readyState = ReadyState.Closing;
    this.#sendClose(code, reason);
    this.#armCloseTimer();
  }

  /** Drops the TCP connection at once, without a closing handshake (code 1006). */
  terminate(): void {
    if (this.readyState === ReadyState.Closed) return;
    this.readyState = ReadyState.Closing;
    this.socket.destroy();
  }

  // FrameParserEvents: called synchronously while the parser reads a chunk.

  onMessage(data: string | Buffer, isText: boolean, isCompressed: boolean): void {
    if (this.readyState !== ReadyState.Open) return;
    if (!isCompressed) return this.#events.onMessage(data, isText);
    let inflated: Buffer;
    try {
      inflated = this.#deflate!.decompress(data as Buffer, this.#maxPayload);
    } catch (error) {
      return this.onError(error as ProtocolError);
    }
    if (!isText) return this.#events.onMessage(inflated, false);
    if (!isValidUtf8(inflated)) return this.onError(invalidUtf8());
    this.#events.onMessage(inflated.toString(), true);
  }

  onControl(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: answer with a pong carrying the same payload.
      if (this.readyState === ReadyState.Open) this.#sendControl(Opcode.Pong, payload);
      this.#events.onPing?.(payload);
    } else if (opcode === Opcode.Pong) {
      this.#events.onPong?.(payload);
    } else {
      this.#onCloseFrame(payload);
    }
  }

  onError(error: ProtocolError): void {
    this.#fail(error.closeCode, error, this.#deferFailure);
  }

  #onCloseFrame(payload: Buffer): void {
    let received;
    try {
      received = parseClosePayload(payload);
    } catch (error) {
      return this.onError(error as ProtocolError);
    }
    this.#closeReceived = true;
    this.#closeCode = received.code;
    this.#closeReason = received.reason;
    if (!this.#closeSent) {
      this.readyState = ReadyState.Closing;
      // Echo the code (RFC 6455 §5.5.1); a body-less close is answered with a body-less close.
      this.#sendClose(received.code === CloseCode.NoStatus ? undefined : received.code, '');
    }
    if (this.#isServer) this.#end();
    this.#armCloseTimer();
  }

  /**
   * RFC 6455 §7.1.7 "Fail the WebSocket Connection": stop reading, report the error, then (now, or
   * when `defer` runs it) send Close with the code and drop TCP.
   */
  #fail(code: number, error: Error, defer?: (fail: () => void) => void): void {
    if (this.#failed || this.readyState === ReadyState.Closed) return;
    this.#failed = true;
    this.#parser.stop();
    this.#closeCode = code;
    this.#closeReason = error.message;
    this.#events.onError?.(error);
    if (defer === undefined) this.#closeFailed();
    else defer(() => this.#closeFailed());
  }

  #closeFailed(): void {
    if (this.readyState === ReadyState.Closed) return;
    // A deferred failure may find the TCP connection already ended by the peer's FIN: no Close then.
    if (!this.#closeSent && !this.socket.writableEnded && !this.#endQueued) this.#sendClose(this.#closeCode, truncateReason(this.#closeReason));
    this.readyState = ReadyState.Closing;
    this.#end();
    this.#armCloseTimer();
  }

  #encodeText(text: string): Buffer {
    if (!this.#isServer) return encodeTextFrame(text, true);
    if (text !== lastBroadcastText) {
      lastBroadcastFrame = encodeTextFrame(text, false);
      lastBroadcastText = text;
    }
    return lastBroadcastFrame!;
  }

  #sendControl(opcode: number, payload: Uint8Array): void {
    if (this.readyState !== ReadyState.Open && opcode !== Opcode.Close) return;
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('control frame payload is longer than 125 bytes');
    this.#write(encodeFrame(opcode, payload, true, false, !this.#isServer));
  }

  #sendClose(code: number | undefined, reason: string | undefined): void {
    this.#closeSent = true;
    this.#sendControl(Opcode.Close, encodeClosePayload(code, reason));
  }

  /**
   * Writes bytes behind everything written before; false when the socket can take no more. Nothing
   * here judges the peer: what this tick writes has not even been offered to the kernel yet (the
   * socket is corked until the next tick). #watchBacklog judges it afterwards, over time.
   */
  #write(bytes: Uint8Array): boolean {
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

  /** Ends TCP once everything written has been handed to the socket. */
  #end(): void {
    if (this.#queue === undefined || this.#queue.length === 0) this.#endNow();
    else this.#endQueued = true;
  }

  #endNow(): void {
    this.#ended = true;
    this.socket.end();
  }

  /** Whether more than the backpressure limit waits; cheap while nothing waits behind the socket. */
  #isOverLimit(): boolean {
    // Without a queue the socket holds at most SOCKET_SLICE_BYTES (see #write and #feed).
    const queue = this.#queue;
    if ((queue === undefined || queue.length === 0) && this.#backpressureLimit >= SOCKET_SLICE_BYTES) return false;
    return this.bufferedAmount > this.#backpressureLimit;
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
    if (this.readyState === ReadyState.Open) this.#events.onDrain?.();
  }

  /**
   * After a tick's bytes were offered to the kernel. A peer may hold back more than the limit (a
   * burst, a large message, a slow network) as long as the kernel keeps taking bytes for it; one
   * that takes none for stallTimeoutMs stopped reading, and must not make us buffer without bound.
   * Seconds, not milliseconds: the kernel reports room only once about half its send buffer is
   * free (MiBs on a fast link). The closing handshake is exempt: closeTimeout bounds it.
   */
  #watchBacklog(): void {
    if (this.#stallTimer !== undefined || this.#closeSent || !this.#isOverLimit()) return;
    this.#lastProgressMs = Date.now();
    this.#armStallTimer(this.#stallTimeoutMs);
  }

  #armStallTimer(ms: number): void {
    this.#stallTimer = setTimeout(Connection.#checkStall, ms, this);
    this.#stallTimer.unref();
  }

  static #checkStall(connection: Connection): void {
    connection.#stallTimer = undefined;
    if (connection.readyState === ReadyState.Closed || connection.#closeSent) return;
    if (!connection.#isOverLimit()) return;
    const stalledMs = Date.now() - connection.#lastProgressMs;
    if (stalledMs < connection.#stallTimeoutMs) return connection.#armStallTimer(connection.#stallTimeoutMs - stalledMs);
    connection.#fail(CloseCode.PolicyViolation, new Error('peer is not reading: over the backpressure limit'));
    connection.socket.destroy();
  }

  #armCloseTimer(): void {
    if (this.#closeTimer !== undefined || this.readyState === ReadyState.Closed) return;
    this.#closeTimer = setTimeout(() => this.socket.destroy(), this.#closeTimeoutMs);
    this.#closeTimer.unref();
  }

  #corkUntilNextTick(): void {
    this.#isCorked = true;
    this.socket.cork();
    if (corkedConnections.length === 0) process.nextTick(Connection.#uncorkAll);
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

  #receive(chunk: Buffer): void {
    this.hasActivity = true;
    this.#parser.push(chunk);
  }

  // Socket listeners, shared by all connections (`this` is the socket).

  static #onSocketData(this: SocketWithConnection, chunk: Buffer): void {
    this[kConnection].#receive(chunk);
  }

  static #onSocketEnd(this: SocketWithConnection): void {
    // The peer finished sending. Without its Close frame that is an abnormal end (1006).
    const connection = this[kConnection];
    if (connection.readyState === ReadyState.Open) connection.readyState = ReadyState.Closing;
    connection.#end();
  }

  static #onSocketDrain(this: SocketWithConnection): void {
    // The kernel took everything the socket held: progress (see #watchBacklog).
    const connection = this[kConnection];
    connection.#lastProgressMs = Date.now();
    if (connection.#queue !== undefined) connection.#feed();
    connection.#onFlushed();
  }

  static #onSocketError(this: SocketWithConnection, error: Error): void {
    // ECONNRESET and friends end this connection only; 'close' follows.
    const connection = this[kConnection];
    if (connection.readyState === ReadyState.Open && !connection.#failed) connection.#events.onError?.(error);
  }

  static #onSocketClose(this: SocketWithConnection): void {
    this[kConnection].#onClosed();
  }

  #onClosed(): void {
    if (this.readyState === ReadyState.Closed) return;
    this.readyState = ReadyState.Closed;
    clearTimeout(this.#closeTimer);
    clearTimeout(this.#stallTimer);
    this.#queue?.clear();
    this.#parser.stop();
    const wasClean = this.#closeSent && this.#closeReceived && !this.#failed;
    const code = this.#failed || this.#closeReceived ? this.#closeCode : CloseCode.Abnormal;
    this.#events.onClose(code, this.#closeReceived || this.#failed ? this.#closeReason : '', wasClean);
  }
}

const EMPTY = Buffer.alloc(0);

/** The payload length a frame's header declares (RFC 6455 §5.2). */
function framePayloadBytes(frame: Buffer): number {
  const length = frame[1] & 0x7f;
  if (length < 126) return length;
  return length === 126 ? frame.readUInt16BE(2) : frame.readUIntBE(4, 6);
}

/** Close reasons are at most 123 bytes; error messages are cut to fit (never a stack). */
function truncateReason(message: string): string {
  if (!isCloseReasonTooLong(message)) return message;
  return Buffer.from(message).subarray(0, MAX_CLOSE_REASON_BYTES).toString().replace(/\uFFFD$/, '');
}
