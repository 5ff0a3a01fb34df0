import { CloseCode, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD, MAX_CONTROL_PAYLOAD, Opcode, ReadyState } from './protocol/constants.ts';
import { MAX_CLOSE_REASON_BYTES, encodeClosePayload, isCloseReasonTooLong, isValidCloseCode, parseClosePayload } from './protocol/close-payload.ts';
import { type EncodedMessage, encodeFrame, encodeMessage, messageBytes } from './protocol/frame-encoder.ts';
import { FrameParser } from './protocol/frame-parser.ts';
import type { MessageCompressor } from './protocol/compressor.ts';
import { ProtocolError } from './protocol/errors.ts';
import { decodeMessage } from './protocol/message-decoder.ts';

// The close handshake (RFC 6455 §5.5.1, §7), as CloseState:
//
//   we close first                         the peer closes first
//   Open ──send Close──▶ CloseSent          Open ──recv Close──▶ send Close (echo code) ─▶ CloseExchanged
//   CloseSent ──recv Close──▶ CloseExchanged
//      server: end TCP now, and let the      server: the same
//        transport go once its FIN left
//      client: wait for the server's FIN     client: wait for the server's FIN
//   ──TCP closed──▶ Closed (onClose once, wasClean = CloseExchanged)
//
// A protocol error sends Close with the error's code and ends TCP ("fail the connection"): at once,
// or, with `deferFailure`, after the events of the frames that came before the bad one (Failing,
// still OPEN for what those events send, then Failed). The peer's FIN without a Close, or
// terminate(), ends TCP with no handshake (Dropped, code 1006). How long the other side may take to
// finish is the transport's to bound (see `closingStarted`).

const enum CloseState {
  Open,
  /** A bad frame failed the connection; its Close waits for `deferFailure` (readyState stays OPEN). */
  Failing,
  /** We sent Close and wait for the peer's. */
  CloseSent,
  /** Both Close frames went across: a clean close once TCP ends. */
  CloseExchanged,
  /** Failed: Close with the error's code went out, or could not. */
  Failed,
  /** TCP is ending without a handshake (the peer's FIN without Close, or terminate()). */
  Dropped,
  Closed,
}

/** Callbacks a connection makes; the server socket and the browser-style client implement them. */
export interface ConnectionEvents {
  onMessage(data: string | Buffer, isText: boolean): void;
  onPing?(payload: Buffer): void;
  onPong?(payload: Buffer): void;
  /** The transport's send buffer emptied after a send that reported backpressure. */
  onDrain?(): void;
  /** The peer broke the protocol or the transport failed; `onClose` follows. */
  onError?(error: Error): void;
  /** Exactly once, when the transport is gone. */
  onClose(code: number, reason: string, wasClean: boolean): void;
}

export interface ConnectionOptions {
  isServer: boolean;
  maxPayload?: number;
  maxFragments?: number;
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

/**
 * One WebSocket connection for either role, without I/O: framing, the close handshake, ping/pong.
 * It is fed bytes and writes bytes to a byte sink: the abstract methods below, which a transport
 * (ws/transport/) implements by extending this class, so a connection costs no extra object. The
 * transport feeds it through `receive`, `receiveEnd`, `transportError`, `transportClosed` and
 * `drained`. What a message means is up to the events object.
 */
export abstract class Connection {
  /** Set on every read; a keepalive sweep clears it to find connections that went quiet. */
  hasActivity = true;

  /** Created on the first bytes: an idle connection that never sent a frame costs no parser. */
  #parser: FrameParser | undefined;
  readonly #events: ConnectionEvents;
  readonly #isServer: boolean;
  readonly #maxPayload: number;
  readonly #maxFragments: number;
  readonly #deflate: MessageCompressor | undefined;
  readonly #deferFailure: ((fail: () => void) => void) | undefined;

  #state = CloseState.Open;
  /** The received Close's code and reason (CloseExchanged), or the failure's (Failing, Failed). */
  #closeCode: number = CloseCode.Abnormal;
  #closeReason = '';
  /** pause() was called and resume() not yet: no event is delivered, the transport stops reading. */
  #paused = false;
  /** Bytes read but not parsed because of a pause, in order; undefined when none. */
  #held: Buffer[] | undefined;
  /** The peer's FIN came while paused: it follows the held bytes. */
  #endHeld = false;
  /** The parser is inside `push`: resume() then only clears the flag, the running read goes on. */
  #parsing = false;

  constructor(options: ConnectionOptions, events: ConnectionEvents) {
    this.#events = events;
    this.#isServer = options.isServer;
    this.#maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.#deflate = options.deflate;
    this.#deferFailure = options.deferFailure;
    this.#maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
  }

  // The byte sink: what a transport implements.

  /** Bytes written and not yet taken by the peer. */
  abstract get bufferedAmount(): number;
  /** Writes bytes behind everything written before; false when the transport takes no more (ended, gone). */
  protected abstract writeBytes(bytes: Uint8Array): boolean;
  /** Whether more than the backpressure limit waits; if so the transport calls `drained()` once it all left. */
  protected abstract hasBackpressure(): boolean;
  /** Ends this side's output (TCP FIN) once everything written has left. */
  protected abstract endOutput(): void;
  /**
   * The server's close handshake is done: end the output and let the transport go once it has left,
   * without waiting for the peer's FIN (RFC 6455 §7.1.1: the server closes TCP first). Nothing the
   * peer sends after its Close counts, and a peer that resets instead of closing then costs nothing.
   */
  protected endTransport(): void {
    this.endOutput();
  }
  /** Whether this side's output ended or will end: a Close can no longer go out. */
  protected abstract isOutputEnded(): boolean;
  /** Drops the transport at once; `transportClosed` follows. */
  protected abstract dropTransport(): void;
  /** Stop reading, so the peer's sends fill the kernel's buffers and TCP pushes back (see pause()). */
  protected pauseInput(): void {}
  /** Read again after pauseInput(). */
  protected resumeInput(): void {}
  /** The closing handshake started (Close sent, or the connection failed): bound how long it may take. */
  protected abstract closingStarted(): void;

  /** 0 CONNECTING (never: a connection starts open), 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): number {
    const state = this.#state;
    if (state <= CloseState.Failing) return ReadyState.Open;
    return state === CloseState.Closed ? ReadyState.Closed : ReadyState.Closing;
  }

  /** The agreed Sec-WebSocket-Extensions value, '' when none. */
  get extensions(): string {
    return this.#deflate?.extension ?? '';
  }

  /**
   * Sends one message: a string as text, bytes as binary (or as text with `isText`).
   * Returns the message's size in bytes; SendResult.Backpressure when it was accepted but more
   * than the backpressure limit now waits for the peer (wait for onDrain); SendResult.Dropped
   * when the connection is no longer open.
   */
  send(data: string | Uint8Array, isText = typeof data === 'string'): number {
    if (this.#state > CloseState.Failing) return SendResult.Dropped;
    const encoded = encodeMessage(data, isText, !this.#isServer, this.#deflate);
    if (!this.#write(encoded)) return SendResult.Dropped;
    return this.#accepted(messageBytes(data, encoded));
  }

  /** Writes a message encoded once for many connections (see FanoutMessage); `byteLength` is its size. */
  sendEncoded(encoded: EncodedMessage, byteLength: number): number {
    if (this.#state > CloseState.Failing || !this.#write(encoded)) return SendResult.Dropped;
    return this.#accepted(byteLength);
  }

  /** The permessage-deflate compressor the handshake agreed on, if any. */
  get compressor(): MessageCompressor | undefined {
    return this.#deflate;
  }

  /** False when the transport is gone. A header and its payload leave together (the transport batches a tick's writes). */
  #write(encoded: EncodedMessage): boolean {
    if (!Array.isArray(encoded)) return this.writeBytes(encoded);
    if (!this.writeBytes(encoded[0])) return false;
    this.writeBytes(encoded[1]);
    return true;
  }

  /** The send result for an accepted message: its size, or Backpressure past the limit. */
  #accepted(messageBytes: number): number {
    return this.hasBackpressure() ? SendResult.Backpressure : messageBytes;
  }

  ping(payload: Uint8Array = EMPTY): void {
    this.#sendControl(Opcode.Ping, payload);
  }

  pong(payload: Uint8Array = EMPTY): void {
    this.#sendControl(Opcode.Pong, payload);
  }

  /** Starts the closing handshake; `code` undefined sends a Close frame with no body. */
  close(code?: number, reason?: string): void {
    if (this.#state > CloseState.Failing) return;
    // Check before any state changes: encodeClosePayload would throw after the state moved on,
    // leaving a connection that is neither open nor ever closed.
    if (reason !== undefined && isCloseReasonTooLong(reason)) {
      throw new RangeError('close reason is longer than 123 bytes');
    }
    // RFC 6455 §7.4.1: 1005, 1006, 1015 and unregistered codes never go on the wire.
    if (code !== undefined && !isValidCloseCode(code)) throw new RangeError(`close code ${code} may not be sent`);
    // A listener of a message that came before a bad frame may close: its Close replaces the failure's.
    this.#state = this.#state === CloseState.Failing ? CloseState.Failed : CloseState.CloseSent;
    this.#sendClose(code, reason);
    this.closingStarted();
    // The peer's Close must be read for the handshake to finish (messages are no longer delivered).
    this.resume();
  }

  /** Whether pause() holds the input (no message, ping or close is read until resume()). */
  get isPaused(): boolean {
    return this.#paused;
  }

  /**
   * Inbound flow control: no more messages (or control frames) are delivered until resume(), and
   * the transport stops reading, so a peer that keeps sending fills the TCP window and is held
   * back. Called from a message handler, the messages behind it in the same read wait too.
   * Does nothing once the closing handshake started (its frames must be read).
   */
  pause(): void {
    if (this.#paused || this.#state !== CloseState.Open) return;
    this.#paused = true;
    if (this.#parser !== undefined) this.#parser.paused = true;
    this.pauseInput();
  }

  /** Delivers what waited (until a handler pauses again), then reads from the transport again. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#parser !== undefined) this.#parser.paused = false;
    // Resumed by a handler inside the read that paused: that read goes on with the rest.
    if (this.#parsing) return this.resumeInput();
    const held = this.#held;
    while (held !== undefined && held.length > 0) {
      const chunk = held.shift()!;
      const read = this.#parse(chunk);
      if (read < chunk.length) held.unshift(chunk.subarray(read));
      if (this.#paused) return;
    }
    this.#held = undefined;
    if (this.#endHeld) {
      this.#endHeld = false;
      this.receiveEnd();
    }
    if (this.#state !== CloseState.Closed) this.resumeInput();
  }

  /** Drops the transport at once, without a closing handshake (code 1006). */
  terminate(): void {
    const state = this.#state;
    if (state === CloseState.Closed) return;
    if (state === CloseState.Open) this.#state = CloseState.Dropped;
    else if (state === CloseState.Failing) this.#state = CloseState.Failed;
    this.dropTransport();
  }

  // Input from the transport.

  /** Bytes from the peer. */
  protected receive(chunk: Buffer): void {
    this.hasActivity = true;
    if (this.#paused) {
      (this.#held ??= []).push(chunk);
      return;
    }
    const read = this.#parse(chunk);
    // A handler paused: the rest of the chunk waits for resume().
    if (read < chunk.length) (this.#held ??= []).push(chunk.subarray(read));
  }

  /** Parses a chunk; how much of it was read (less when a handler paused). */
  #parse(chunk: Buffer): number {
    const parser = this.#parser ?? this.#createParser();
    // No parser once the connection stopped reading (failed or closed): the bytes are ignored.
    if (parser === undefined) return chunk.length;
    this.#parsing = true;
    try {
      return parser.push(chunk);
    } finally {
      this.#parsing = false;
    }
  }

  /** The parser for the first bytes; none once the connection stopped reading (failed or closed). */
  #createParser(): FrameParser | undefined {
    const state = this.#state;
    if (state === CloseState.Failing || state === CloseState.Failed || state === CloseState.Closed) return undefined;
    const parser = new FrameParser({ isServer: this.#isServer, maxPayload: this.#maxPayload, maxFragments: this.#maxFragments }, this);
    parser.allowRsv1 = this.#deflate !== undefined;
    parser.paused = this.#paused;
    return (this.#parser = parser);
  }

  /** The peer finished sending (TCP FIN). Without its Close frame that is an abnormal end (1006). */
  protected receiveEnd(): void {
    if (this.#paused) {
      this.#endHeld = true;
      return;
    }
    const state = this.#state;
    if (state === CloseState.Open) this.#state = CloseState.Dropped;
    else if (state === CloseState.Failing) this.#state = CloseState.Failed;
    this.endOutput();
  }

  /** The transport failed (ECONNRESET and friends); `transportClosed` follows. */
  protected transportError(error: Error): void {
    if (this.#state === CloseState.Open) this.#events.onError?.(error);
  }

  /** The transport is gone: onClose, once. */
  protected transportClosed(): void {
    const state = this.#state;
    if (state === CloseState.Closed) return;
    this.#state = CloseState.Closed;
    this.#parser?.stop();
    this.#held = undefined;
    this.#paused = false;
    this.#endHeld = false;
    const hasCode = state === CloseState.CloseExchanged || state === CloseState.Failed || state === CloseState.Failing;
    this.#events.onClose(hasCode ? this.#closeCode : CloseCode.Abnormal, hasCode ? this.#closeReason : '', state === CloseState.CloseExchanged);
  }

  /** Everything written has left after a send that reported backpressure. */
  protected drained(): void {
    if (this.#state <= CloseState.Failing) this.#events.onDrain?.();
  }

  /** Fails the connection for a fault the transport found (a peer that stopped reading). */
  protected failTransport(code: number, error: Error): void {
    this.#fail(code, error);
  }

  // FrameParserEvents: called synchronously while the parser reads a chunk.

  onMessage(payload: Buffer, isText: boolean, isCompressed: boolean, isCheckedText: boolean): void {
    const message = decodeMessage(payload, isText, isCompressed, isCheckedText, this.#deflate, this.#maxPayload);
    if (message instanceof ProtocolError) return this.onError(message);
    if (this.#state <= CloseState.Failing) this.#events.onMessage(message, isText);
  }

  onControl(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: answer with a pong carrying the same payload.
      if (this.#state <= CloseState.Failing) this.#sendControl(Opcode.Pong, payload);
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
    const state = this.#state;
    if (state !== CloseState.Open && state !== CloseState.CloseSent) return;
    this.#state = CloseState.CloseExchanged;
    this.#closeCode = received.code;
    this.#closeReason = received.reason;
    // Echo the code (RFC 6455 §5.5.1); a body-less close is answered with a body-less close.
    if (state === CloseState.Open) this.#sendClose(received.code === CloseCode.NoStatus ? undefined : received.code, '');
    if (this.#isServer) this.endTransport();
    this.closingStarted();
  }

  /**
   * RFC 6455 §7.1.7 "Fail the WebSocket Connection": stop reading, report the error, then (now, or
   * when `defer` runs it) send Close with the code and drop TCP.
   */
  #fail(code: number, error: Error, defer?: (fail: () => void) => void): void {
    const state = this.#state;
    if (state === CloseState.Failing || state === CloseState.Failed || state === CloseState.Closed) return;
    this.#state = state === CloseState.Open ? CloseState.Failing : CloseState.Failed;
    this.#parser?.stop();
    this.#closeCode = code;
    this.#closeReason = error.message;
    this.#events.onError?.(error);
    if (defer === undefined) this.#closeFailed();
    else defer(() => this.#closeFailed());
  }

  #closeFailed(): void {
    if (this.#state === CloseState.Closed) return;
    if (this.#state === CloseState.Failing) {
      this.#state = CloseState.Failed;
      // A deferred failure may find the output already ended by the peer's FIN: no Close then.
      if (!this.isOutputEnded()) this.#sendClose(this.#closeCode, truncateReason(this.#closeReason));
    }
    this.endOutput();
    this.closingStarted();
  }

  #sendControl(opcode: number, payload: Uint8Array): void {
    if (this.#state > CloseState.Failing && opcode !== Opcode.Close) return;
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('control frame payload is longer than 125 bytes');
    this.writeBytes(encodeFrame(opcode, payload, true, false, !this.#isServer));
  }

  #sendClose(code: number | undefined, reason: string | undefined): void {
    this.#sendControl(Opcode.Close, encodeClosePayload(code, reason));
  }
}

const EMPTY = Buffer.alloc(0);

/** Close reasons are at most 123 bytes; error messages are cut to fit (never a stack). */
function truncateReason(message: string): string {
  if (!isCloseReasonTooLong(message)) return message;
  return Buffer.from(message).subarray(0, MAX_CLOSE_REASON_BYTES).toString().replace(/\uFFFD$/, '');
}
