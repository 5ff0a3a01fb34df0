// The browser WebSocket (WHATWG WebSockets standard) over krandog's own codec, for ws: and wss:.
//
//   new WebSocket(url) ── handshake (connect.ts) ──▶ 101 valid ──▶ open task ──▶ OPEN
//        CONNECTING             │ refused, bad answer, close()                 │ close() / server's close
//                               ▼                                               ▼
//                 task: error, close 1006 ◀──────────────── CLOSING ── TCP closed ──▶ task: [error], close
//
// Every event is dispatched as its own task (runtime/util/loop.ts), and the state a listener sees
// changes in those tasks, as the standard's "queue a task" steps say: readyState turns OPEN in the
// open task and CLOSED in the close task; a message is dropped if, when its task runs, the socket
// is no longer OPEN (close() was called meanwhile).
import { Blob } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { types } from 'node:util';
import { queueTask } from '../../util/loop.ts';
import { sendHandshakeRequest } from './connect.ts';
import { HandshakeError, generateKey, handshakeHeaders, validateHandshakeResponse, type HandshakeOffer } from './handshake.ts';
import { parseWebSocketUrl, readClientOptions, validateProtocols, type ClientOptions, type WebSocketInit } from './options.ts';
import { ReconnectEvent, Reconnector, type Drop } from './reconnect.ts';
import { SendQueue } from './send-queue.ts';
import { isCloseReasonTooLong } from '../protocol/close-payload.ts';
import { CloseCode, READY_STATE_CONSTANTS, ReadyState } from '../protocol/constants.ts';
import type { Connection, ConnectionEvents } from '../connection.ts';
import { SocketConnection } from '../transport/socket-transport.ts';
import { CloseEvent, ErrorEvent, exposeAsInterface, toUSVString } from './events.ts';
import type { ExtensionOffer } from '../extensions/extension-header.ts';
import { EXTENSION_NAME as DEFLATE_EXTENSION, acceptDeflateResponse, deflateOffer, type PerMessageDeflate } from '../extensions/permessage-deflate.ts';
import { viewBytes } from '../../util/bytes.ts';

export type { WebSocketInit } from './options.ts';
export type BinaryType = 'blob' | 'arraybuffer';
/** An `on…` attribute's value: a function called with the event, or null. */
export type EventHandler = ((this: WebSocket, event: Event) => unknown) | null;

const { CONNECTING, OPEN, CLOSING, CLOSED } = READY_STATE_CONSTANTS;

/**
 * Unsent bytes the client holds for a server that does not read before it gives up on it (the
 * standard's "buffer is full"): the connection fails with 1008. Far above what bufferedAmount-aware
 * scripts ever queue.
 */
const SEND_BUFFER_LIMIT = 256 * 1024 * 1024;

/** A WebSocket client that behaves like the one in browsers; installed as the global `WebSocket`. */
export class WebSocket extends EventTarget {
  declare static readonly CONNECTING: 0;
  declare static readonly OPEN: 1;
  declare static readonly CLOSING: 2;
  declare static readonly CLOSED: 3;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  readonly #url: URL;
  readonly #origin: string;
  readonly #options: ClientOptions;
  #offer: HandshakeOffer | undefined;
  /** krandog's opt-in reconnection (reconnect.ts); undefined: the standard behaviour. */
  readonly #reconnect: Reconnector | undefined;
  #readyState: number = CONNECTING;
  #protocol = '';
  #extensions = '';
  #binaryType: BinaryType = 'blob';
  /** Abandons the handshake while it is in flight. */
  #abandonHandshake: (() => void) | undefined;
  #connection: Connection | undefined;
  #sendQueue: SendQueue | undefined;
  /** Set when the connection was failed (RFC 6455 §7.1.7): the close task fires `error` first. */
  #failure: Error | undefined;
  /** Bytes sent after a handshake that never opened (there is no send queue to count them). */
  #unsentBytes = 0;
  #handlers: Map<string, { callback: unknown; listener: (event: Event) => void }> | undefined;

  /**
   * Opens a connection to `url` (ws:, wss:, http: or https:). `protocols` is a subprotocol or a
   * list of them, or krandog's `{ protocols, headers, handshakeTimeout, reconnect }`. Throws a SyntaxError DOMException for a
   * bad URL, a fragment, or an invalid or repeated subprotocol; the connection itself opens later.
   */
  constructor(url: string | URL, protocols: string | Iterable<string> | WebSocketInit | undefined = undefined) {
    super();
    // (`protocols` and close()'s arguments have default values so that `WebSocket.length` is 1 and
    // `close.length` 0, as WebIDL counts them.)
    if (arguments.length === 0) throw new TypeError("WebSocket: 1 argument required, but only 0 present");
    const href = toUSVString(url);
    const options = readClientOptions(protocols);
    this.#url = parseWebSocketUrl(href);
    validateProtocols(options.protocols);
    this.#origin = this.#url.origin;
    this.#options = options;
    this.#reconnect = options.reconnect === undefined ? undefined : new Reconnector(options.reconnect);
    try {
      this.#connect();
    } catch (error) {
      throw new TypeError(`WebSocket: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Starts an opening handshake (the first, or a reconnection's), with a key of its own. */
  #connect(): void {
    const options = this.#options;
    // Offer permessage-deflate as browsers do (RFC 7692; see ../extensions/permessage-deflate.ts for the terms).
    this.#offer = { key: generateKey(), protocols: options.protocols, extensionOffers: [deflateOffer()] };
    const headers = { ...Object.fromEntries(options.headers), ...handshakeHeaders(this.#offer) };
    this.#abandonHandshake = sendHandshakeRequest(this.#url, headers, options.handshakeTimeout, {
      onUpgrade: (response, socket, head) => this.#onUpgrade(response, socket, head),
      onFailure: (error) => this.#failHandshake(error),
    });
  }

  get url(): string { return this.#url.href; }

  get readyState(): number { return this.#readyState; }

  /** Bytes of data passed to send() that have not reached the network yet (no framing). */
  get bufferedAmount(): number { return (this.#sendQueue?.bufferedAmount ?? 0) + this.#unsentBytes + (this.#reconnect?.outbox.bytes ?? 0); }

  /** The extensions the server agreed to, '' until open or when it agreed to none. */
  get extensions(): string { return this.#extensions; }

  /** The subprotocol the server chose, '' until open or when none was offered. */
  get protocol(): string { return this.#protocol; }

  /** How binary messages arrive: 'blob' (the default, as in browsers) or 'arraybuffer'. */
  get binaryType(): BinaryType { return this.#binaryType; }

  set binaryType(value: BinaryType) {
    // A WebIDL enum attribute ignores values outside the enum.
    const type = `${value}`;
    if (type === 'blob' || type === 'arraybuffer') this.#binaryType = type;
  }

  /**
   * Sends a text (string) or binary (ArrayBuffer, typed array, DataView, Blob) message. Throws an
   * InvalidStateError DOMException while CONNECTING; once closing has started, the data is not
   * sent and only adds to bufferedAmount, as the standard says. With `reconnect`, it never throws:
   * while disconnected the message is queued, and it returns whether it was sent or queued (false:
   * dropped, over the queue limit or closing).
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): boolean | undefined {
    if (arguments.length === 0) throw new TypeError("WebSocket.send: 1 argument required, but only 0 present");
    return this.#send(toSendable(data));
  }

  #send(payload: string | Uint8Array | Blob): boolean | undefined {
    const reconnect = this.#reconnect;
    if (reconnect !== undefined && this.#isDisconnected()) return reconnect.outbox.add(payload);
    if (this.#readyState === CONNECTING) throw new DOMException('WebSocket is still connecting', 'InvalidStateError');
    const queue = this.#sendQueue;
    if (queue === undefined) this.#unsentBytes += typeof payload === 'string' ? Buffer.byteLength(payload) : payload instanceof Blob ? payload.size : payload.byteLength;
    else if (this.#readyState === OPEN) queue.send(payload);
    else queue.discardSend(payload);
    return reconnect === undefined ? undefined : this.#readyState === OPEN;
  }

  /** Waiting to (re)connect, or open on a connection that is already going (its close task not run yet). */
  #isDisconnected(): boolean {
    if (this.#readyState === CONNECTING) return true;
    return this.#readyState === OPEN && this.#connection !== undefined && this.#connection.readyState !== ReadyState.Open;
  }

  /**
   * Starts the closing handshake with `code` (1000 or 3000–4999, else InvalidAccessError) and
   * `reason` (at most 123 bytes of UTF-8, else SyntaxError). While CONNECTING it abandons the
   * connection: `error`, then `close` with 1006.
   */
  close(code: number | undefined = undefined, reason: string | undefined = undefined): void {
    let closeCode: number | undefined;
    if (code !== undefined) {
      closeCode = toClampedUnsignedShort(code);
      if (closeCode !== CloseCode.Normal && (closeCode < 3000 || closeCode > 4999)) {
        throw new DOMException(`WebSocket.close: the code must be 1000 or in 3000-4999, not ${closeCode}`, 'InvalidAccessError');
      }
    }
    let closeReason = '';
    if (reason !== undefined) {
      closeReason = toUSVString(reason);
      if (isCloseReasonTooLong(closeReason)) {
        throw new DOMException('WebSocket.close: the reason must be at most 123 bytes of UTF-8', 'SyntaxError');
      }
    }
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    const wasConnecting = this.#readyState === CONNECTING;
    this.#readyState = CLOSING;
    if (wasConnecting) {
      const error = new Error('WebSocket was closed before the connection was established');
      if (this.#abandonHandshake !== undefined) {
        this.#abandonHandshake();
        this.#failHandshake(error);
      } else if (this.#connection !== undefined) {
        // Upgraded, but the open task has not run yet: drop the connection; its close task follows.
        this.#failure ??= error;
        this.#connection.terminate();
      } else if (this.#reconnect?.cancel()) {
        // Waiting to reconnect: no attempt is made.
        this.#failHandshake(error);
      }
      // (Otherwise the failed attempt's close task is already queued.)
      return;
    }
    // A reason needs a code on the wire; the standard picks 1000 then.
    this.#sendQueue!.close(closeCode ?? (closeReason === '' ? undefined : CloseCode.Normal), closeReason);
  }

  declare onopen: EventHandler;
  declare onmessage: EventHandler;
  declare onerror: EventHandler;
  declare onclose: EventHandler;

  static {
    // The event handler attributes, one accessor pair each on the prototype (as class accessors are).
    for (const type of ['open', 'message', 'error', 'close']) {
      Object.defineProperty(this.prototype, `on${type}`, {
        get(this: WebSocket): EventHandler {
          return this.#getHandler(type);
        },
        set(this: WebSocket, value: EventHandler) {
          this.#setHandler(type, value);
        },
        configurable: true,
      });
    }
  }

  #onUpgrade(response: IncomingMessage, socket: Socket, head: Buffer): void {
    this.#abandonHandshake = undefined;
    let agreed;
    let deflate: PerMessageDeflate | undefined;
    try {
      agreed = validateHandshakeResponse(response.statusCode, response.headers, this.#offer!);
      deflate = agreedDeflate(agreed.extensions, agreed.extensionsHeader);
    } catch (error) {
      socket.destroy();
      return this.#failHandshake(error as Error);
    }
    // One function per connection, handed to queueTask with each message's arguments (no closure
    // per message). The class never names itself inside its body: esbuild would rename it.
    const dispatchMessage = (data: string | Buffer, isText: boolean) => this.#dispatchMessage(data, isText);
    const events: ConnectionEvents = {
      onMessage: (data, isText) => queueTask(dispatchMessage, data, isText),
      onError: (error) => {
        this.#failure ??= error;
      },
      onClose: (code, reason, wasClean) => queueTask(() => this.#dispatchClose(code, reason, wasClean)),
    };
    // deferFailure: a bad frame fails the connection only after the message tasks queued before it.
    const connection = new SocketConnection(socket, { isServer: false, backpressureLimit: SEND_BUFFER_LIMIT, deflate, deferFailure: queueTask }, events);
    this.#connection = connection;
    this.#sendQueue = new SendQueue(connection, (error) => {
      // A Blob that cannot be read cannot be sent: the standard's "cannot be sent" fails the connection.
      this.#failure ??= error;
      connection.terminate();
    });
    // Queued before start(): frames that came with the 101 are dispatched after `open`.
    queueTask(() => this.#dispatchOpen(agreed.protocol, agreed.extensionsHeader));
    connection.start(head);
  }

  /** The connection never opened: `error`, then `close` 1006, in one task. */
  #failHandshake(error: Error): void {
    this.#abandonHandshake = undefined;
    this.#failure ??= error;
    queueTask(() => this.#dispatchClose(CloseCode.Abnormal, '', false));
  }

  #dispatchOpen(protocol: string, extensions: string): void {
    if (this.#readyState !== CONNECTING) return;
    this.#readyState = OPEN;
    this.#protocol = protocol;
    this.#extensions = extensions;
    this.dispatchEvent(new Event('open'));
    const reconnect = this.#reconnect;
    if (reconnect === undefined) return;
    const attempts = reconnect.opened();
    if (attempts > 0) this.dispatchEvent(new ReconnectEvent(attempts));
    // After the listeners, which may log in or subscribe again first: what was sent meanwhile, in order.
    for (const payload of reconnect.outbox.take()) this.#send(payload);
  }

  #dispatchMessage(data: string | Buffer, isText: boolean): void {
    if (this.#readyState !== OPEN) return;
    let payload: string | ArrayBuffer | Blob;
    if (isText) payload = data as string;
    else if (this.#binaryType === 'arraybuffer') payload = toArrayBuffer(data as Buffer);
    else payload = new Blob([data as Buffer]);
    this.dispatchEvent(new MessageEvent('message', { data: payload, origin: this.#origin }));
  }

  /**
   * "When the WebSocket connection is closed": CLOSED, `error` if it was failed, then `close`. A
   * connection the client failed received no Close frame, so its code is 1006 (RFC 6455 §7.1.5),
   * whatever code the client sent, as in browsers.
   */
  #dispatchClose(code: number, reason: string, wasClean: boolean): void {
    this.#sendQueue?.discard();
    this.#connection = undefined;
    const failure = this.#failure;
    if (this.#reconnect !== undefined && this.#readyState !== CLOSING) {
      const drop = failure === undefined ? { code, reason, wasClean, error: undefined } : { code: CloseCode.Abnormal, reason: '', wasClean: false, error: failure };
      if (this.#retry(drop)) return;
    }
    // Final: what waited to be sent never will be, and stays in bufferedAmount as unsent data does.
    if (this.#reconnect !== undefined) this.#unsentBytes += this.#reconnect.outbox.discard();
    this.#readyState = CLOSED;
    if (failure !== undefined) {
      reportFailure(this.#url, failure);
      this.dispatchEvent(new ErrorEvent('error', { message: failure.message, error: failure }));
      this.dispatchEvent(new CloseEvent('close', { wasClean: false, code: CloseCode.Abnormal, reason: '' }));
    } else {
      this.dispatchEvent(new CloseEvent('close', { wasClean, code, reason }));
    }
  }

  /** Schedules another attempt after `drop` and fires `reconnecting`; false when the close is final. */
  #retry(drop: Drop): boolean {
    const event = this.#reconnect!.retry(drop, () => this.#connect());
    if (event === undefined) return false;
    if (drop.error !== undefined) reportFailure(this.#url, drop.error);
    this.#readyState = CONNECTING;
    this.#failure = undefined;
    this.#sendQueue = undefined;
    this.#unsentBytes = 0;
    this.dispatchEvent(event);
    return true;
  }

  #getHandler(type: string): EventHandler {
    return (this.#handlers?.get(type)?.callback ?? null) as EventHandler;
  }

  /**
   * HTML event handler attributes: the listener is added when a handler is first set and keeps its
   * place among the other listeners when the handler is replaced; null removes it.
   */
  #setHandler(type: string, value: unknown): void {
    // [LegacyTreatNonObjectAsNull]: anything but an object or function means "no handler".
    const callback = typeof value === 'function' || (typeof value === 'object' && value !== null) ? value : null;
    const handlers = (this.#handlers ??= new Map());
    const existing = handlers.get(type);
    if (callback === null) {
      if (existing !== undefined) {
        this.removeEventListener(type, existing.listener);
        handlers.delete(type);
      }
    } else if (existing !== undefined) {
      existing.callback = callback;
    } else {
      const entry = {
        callback,
        listener: (event: Event) => {
          if (typeof entry.callback === 'function') entry.callback.call(this, event);
        },
      };
      handlers.set(type, entry);
      this.addEventListener(type, entry.listener);
    }
  }
}

// WebIDL constants: on the interface and its prototype, read-only, enumerable.
for (const [name, value] of Object.entries(READY_STATE_CONSTANTS)) {
  const constant = { value, writable: false, enumerable: true, configurable: false };
  Object.defineProperty(WebSocket, name, constant);
  Object.defineProperty(WebSocket.prototype, name, constant);
}
exposeAsInterface(WebSocket, [
  'url',
  'readyState',
  'bufferedAmount',
  'extensions',
  'protocol',
  'binaryType',
  'send',
  'close',
  'onopen',
  'onmessage',
  'onerror',
  'onclose',
]);

/** send()'s argument as WebIDL's `(BufferSource or Blob or USVString)` reads it. */
function toSendable(data: unknown): string | Uint8Array | Blob {
  if (typeof data === 'string') return data;
  if (data instanceof Blob) return data;
  // BufferSource: an ArrayBuffer (of any realm) or a view; a SharedArrayBuffer is not one.
  if (types.isArrayBuffer(data) || ArrayBuffer.isView(data)) return viewBytes(data);
  // Anything else is sent as text (a Symbol throws a TypeError). Lone surrogates are encoded as
  // U+FFFD when the frame is written, which is what USVString conversion would give.
  return `${data as string}`;
}

/** A message's bytes as an ArrayBuffer of their own; no copy when the Buffer already is one. */
function toArrayBuffer(data: Buffer): ArrayBuffer {
  const buffer = data.buffer as ArrayBuffer;
  if (data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
  return buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}

/** WebIDL `[Clamp] unsigned short`: NaN is 0, out-of-range values clamp, halves round to even. */
function toClampedUnsignedShort(value: unknown): number {
  const number = +(value as number);
  if (Number.isNaN(number)) return 0;
  const clamped = Math.min(Math.max(number, 0), 0xffff);
  const floor = Math.floor(clamped);
  const fraction = clamped - floor;
  if (fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/**
 * Browsers keep why a connection failed out of the page's reach and print it in the console; a
 * script gets it on the ErrorEvent, and on stderr only when asked with KRANDOG_DEBUG.
 */
function reportFailure(url: URL, error: Error): void {
  const debug = process.env.KRANDOG_DEBUG;
  if (debug === undefined || debug === '' || debug === '0') return;
  const code = (error as NodeJS.ErrnoException).code;
  process.stderr.write(`krandog: WebSocket ${url.href} failed: ${error.message}${code ? ` (${code})` : ''}\n`);
}

/** permessage-deflate as the server agreed to it; a response the client cannot work with throws. */
function agreedDeflate(extensions: readonly ExtensionOffer[], header: string): PerMessageDeflate | undefined {
  const agreed = extensions.find((extension) => extension.name === DEFLATE_EXTENSION);
  if (agreed === undefined) return undefined;
  try {
    return acceptDeflateResponse(agreed, header);
  } catch (error) {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_EXTENSION', (error as Error).message);
  }
}
