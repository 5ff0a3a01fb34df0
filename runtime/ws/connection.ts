import type { Socket } from 'node:net';
import { CloseCode, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, MAX_CONTROL_PAYLOAD, Opcode } from './constants.ts';
import { encodeClosePayload, isValidCloseCode, parseClosePayload } from './close-payload.ts';
import { COPY_PAYLOAD_LIMIT, encodeFrame, encodeFrameHeader, encodeTextFrame } from './frame-encoder.ts';
import { FrameParser } from './frame-parser.ts';
import type { PerMessageDeflate } from './permessage-deflate.ts';
import { ProtocolError } from './protocol-error.ts';
import { invalidUtf8, isValidUtf8 } from './utf8.ts';

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

export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;

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
  /** Past this many buffered outgoing bytes the peer is too slow: close with 1008. */
  backpressureLimit?: number;
  /** permessage-deflate, when the handshake agreed on it. */
  deflate?: PerMessageDeflate;
  /**
   * Runs the second half of failing the connection for a peer's bad frame (the Close frame, the end
   * of TCP). The parser stops at once either way, so nothing after the bad frame is delivered or
   * answered. The client dispatches messages as tasks and passes queueTask: the messages that came
   * before the bad frame are dispatched, and what their listeners send is written, before the Close
   * (Autobahn 3.2, 4.1.3, 5.15...). Default: at once (the server dispatched them synchronously).
   */
  deferFailure?: (fail: () => void) => void;
}

/** `send` result: bytes handed to the socket; BACKPRESSURE when they were queued past the buffer. */
export const SendResult = { Backpressure: -1, Dropped: 0 } as const;

const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
const DEFAULT_BACKPRESSURE_LIMIT = 16 * 1024 * 1024;

/** A control frame may exceed the backpressure limit by this much (a pong after a large echo). */
const CONTROL_ALLOWANCE_BYTES = 64 * 1024;

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
  readonly #maxPayload: number;
  readonly #deflate: PerMessageDeflate | undefined;
  readonly #deferFailure: ((fail: () => void) => void) | undefined;

  #closeSent = false;
  #closeReceived = false;
  #closeCode: number = CloseCode.Abnormal;
  #closeReason = '';
  #closeTimer: NodeJS.Timeout | undefined;
  #failed = false;
  #awaitingDrain = false;
  #isCorked = false;

  constructor(socket: Socket, options: ConnectionOptions, events: ConnectionEvents) {
    this.socket = socket;
    this.#events = events;
    this.#isServer = options.isServer;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#backpressureLimit = options.backpressureLimit ?? DEFAULT_BACKPRESSURE_LIMIT;
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

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /**
   * Sends one message: a string as text, bytes as binary (or as text with `isText`).
   * Returns the bytes written, SendResult.Backpressure when they were queued behind a full buffer,
   * or SendResult.Dropped when the connection is no longer open.
   */
  send(data: string | Uint8Array, isText = typeof data === 'string'): number {
    if (this.readyState !== ReadyState.Open) return SendResult.Dropped;
    const deflate = this.#deflate;
    if (deflate !== undefined && deflate.shouldCompress(data.length)) return this.#sendCompressed(deflate, data, isText);
    if (typeof data === 'string') {
      if (!isText) data = Buffer.from(data);
      else return this.#write(this.#encodeText(data));
    }
    const opcode = isText ? Opcode.Text : Opcode.Binary;
    if (this.#isServer && data.length > COPY_PAYLOAD_LIMIT) {
      // Large payloads go out by reference behind a separate header: no copy of the data. Both
      // leave in one writev (see corkedConnections).
      this.#write(encodeFrameHeader(opcode, data.length, true, false));
      const result = this.#write(data);
      return result <= 0 ? result : data.length;
    }
    return this.#write(encodeFrame(opcode, data, true, false, !this.#isServer));
  }

  /** RFC 7692 §6: RSV1 marks the (single) frame of a compressed message. */
  #sendCompressed(deflate: PerMessageDeflate, data: string | Uint8Array, isText: boolean): number {
    const payload = typeof data === 'string' ? deflate.compressText(data) : deflate.compress(data);
    return this.#write(encodeFrame(isText ? Opcode.Text : Opcode.Binary, payload, true, true, !this.#isServer));
  }

  /** Writes an already encoded frame (a broadcast encodes once for many connections). */
  sendEncoded(frame: Buffer): number {
    if (this.readyState !== ReadyState.Open) return SendResult.Dropped;
    return this.#write(frame);
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
    if (reason !== undefined && Buffer.byteLength(reason) > MAX_CONTROL_PAYLOAD - 2) {
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
    if (this.#isServer) this.socket.end();
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
    if (!this.#closeSent && !this.socket.writableEnded) this.#sendClose(this.#closeCode, truncateReason(this.#closeReason));
    this.readyState = ReadyState.Closing;
    this.socket.end();
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
    this.#write(encodeFrame(opcode, payload, true, false, !this.#isServer), CONTROL_ALLOWANCE_BYTES);
  }

  #sendClose(code: number | undefined, reason: string | undefined): void {
    this.#closeSent = true;
    this.#sendControl(Opcode.Close, encodeClosePayload(code, reason));
  }

  /** Writes a frame; `allowanceBytes` lets control frames pass a little over the backpressure limit. */
  #write(bytes: Uint8Array, allowanceBytes = 0): number {
    const socket = this.socket;
    if (socket.destroyed) return SendResult.Dropped;
    if (!this.#isCorked) this.#corkUntilNextTick();
    if (socket.write(bytes)) return bytes.length;
    // Judge the peer by what it left unread before this write: a single message larger than the
    // limit (or one written while the socket is corked for a read) is not a peer that stopped reading.
    // The close frame is exempt: it is sent once and is at most 127 bytes, and failing it would turn
    // a clean close (say, right after echoing a 16 MiB message) into 1008 and drop the queued echo.
    if (!this.#closeSent && socket.writableLength - bytes.length > this.#backpressureLimit + allowanceBytes) {
      // A peer that stopped reading must not make us buffer without bound.
      this.#fail(CloseCode.PolicyViolation, new Error('peer is not reading: send buffer over the backpressure limit'));
      this.socket.destroy();
      return SendResult.Dropped;
    }
    this.#awaitingDrain = true;
    return SendResult.Backpressure;
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
    this.end();
  }

  static #onSocketDrain(this: SocketWithConnection): void {
    const connection = this[kConnection];
    if (!connection.#awaitingDrain) return;
    connection.#awaitingDrain = false;
    if (connection.readyState === ReadyState.Open) connection.#events.onDrain?.();
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
    this.#parser.stop();
    const wasClean = this.#closeSent && this.#closeReceived && !this.#failed;
    const code = this.#failed || this.#closeReceived ? this.#closeCode : CloseCode.Abnormal;
    this.#events.onClose(code, this.#closeReceived || this.#failed ? this.#closeReason : '', wasClean);
  }
}

const EMPTY = Buffer.alloc(0);

/** Close reasons are at most 123 bytes; error messages are cut to fit (never a stack). */
function truncateReason(message: string): string {
  if (Buffer.byteLength(message) <= MAX_CONTROL_PAYLOAD - 2) return message;
  return Buffer.from(message).subarray(0, MAX_CONTROL_PAYLOAD - 2).toString().replace(/\uFFFD$/, '');
}
