// The WebSocket client scripts get as a global: the browser's WebSocket (WHATWG WebSockets
// standard), for ws:// and wss://.

export type BinaryType = 'blob' | 'arraybuffer';

/** krandog's extension of the constructor's second argument, as Bun has it. */
export interface WebSocketOptions {
  protocols?: string | Iterable<string>;
  /**
   * Extra request headers for the handshake (e.g. Authorization, Cookie, Origin). The handshake's
   * own headers (Upgrade, Connection, Sec-WebSocket-*) are refused with a TypeError.
   */
  headers?: Record<string, string> | Array<[string, string]> | Headers;
  /**
   * Milliseconds the opening handshake (DNS, TCP, TLS and the server's 101) may take before the
   * connection fails with `error` and `close` 1006; default 30000, 0 for no limit.
   */
  handshakeTimeout?: number;
  /**
   * krandog's opt-in reconnection (not in the standard): `true` for the defaults, or the policy.
   * While it waits to reconnect, `readyState` is CONNECTING and send() queues; `close` (and `error`)
   * fire only once, when the client gives up or the close is final. See README, "Reconnecting".
   */
  reconnect?: boolean | WebSocketReconnectOptions;
}

export interface WebSocketReconnectOptions {
  /** Attempts in a row before giving up (a successful open starts over); default Infinity. */
  retries?: number;
  /** Milliseconds: the least wait before an attempt, and the backoff's base; default 1000. */
  minDelay?: number;
  /** Milliseconds: the longest wait; default 30000. Each wait is random between minDelay and min(maxDelay, minDelay × 2^attempt). */
  maxDelay?: number;
  /** Bytes send() holds while disconnected; a message that does not fit is dropped (send() returns false). Default 1 MiB. */
  queueLimit?: number;
}

/** `reconnecting`: the connection dropped, or an attempt failed; the next attempt starts after `delay` ms. */
export interface WebSocketReconnectingEvent extends Event {
  /** 1 for the first attempt after a drop, then 2, 3… */
  readonly attempt: number;
  readonly delay: number;
  /** The drop as a close event would have told it (1006 for a failed attempt). */
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  /** Why the client failed the connection or attempt (ECONNREFUSED, a 503 with `status`…), or null. */
  readonly error: unknown;
}

/** `reconnect`: open again (fired right after `open`) after `attempt` attempts. */
export interface WebSocketReconnectEvent extends Event {
  readonly attempt: number;
}

export interface WebSocketCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/**
 * The `error` event: fired before `close` when the connection failed. Browsers fire a plain Event;
 * krandog's is an ErrorEvent saying why.
 */
export interface WebSocketErrorEvent extends Event {
  readonly message: string;
  /** The failure: a Node error (ECONNREFUSED, a certificate error…) or one with a KRANDOG_WS_* `code`. */
  readonly error: unknown;
  readonly filename: string;
  readonly lineno: number;
  readonly colno: number;
}

/** What the CloseEvent and ErrorEvent constructors take besides the type. */
interface KrandogEventInit {
  bubbles?: boolean;
  cancelable?: boolean;
  composed?: boolean;
}

export interface WebSocketCloseEventInit extends KrandogEventInit {
  code?: number;
  reason?: string;
  wasClean?: boolean;
}

export interface WebSocketErrorEventInit extends KrandogEventInit {
  message?: string;
  filename?: string;
  lineno?: number;
  colno?: number;
  error?: unknown;
}

/** The global `CloseEvent` (krandog installs it; Node 20 has none). */
export interface CloseEventConstructor {
  readonly prototype: WebSocketCloseEvent;
  new (type: string, init?: WebSocketCloseEventInit): WebSocketCloseEvent;
}

/** The global `ErrorEvent` (krandog installs it; Node has none). */
export interface ErrorEventConstructor {
  readonly prototype: WebSocketErrorEvent;
  new (type: string, init?: WebSocketErrorEventInit): WebSocketErrorEvent;
}

export interface WebSocketMessageEvent extends Event {
  /** A string for text; a Blob or ArrayBuffer for binary, per binaryType. */
  readonly data: string | Blob | ArrayBuffer;
  readonly origin: string;
}

export declare class WebSocket extends EventTarget {
  constructor(url: string | URL, protocols?: string | Iterable<string> | WebSocketOptions);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSING: 2;
  static readonly CLOSED: 3;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
  readonly url: string;
  readonly readyState: 0 | 1 | 2 | 3;
  readonly bufferedAmount: number;
  readonly extensions: string;
  readonly protocol: string;
  binaryType: BinaryType;
  onopen: ((event: Event) => unknown) | null;
  onmessage: ((event: WebSocketMessageEvent) => unknown) | null;
  onerror: ((event: WebSocketErrorEvent) => unknown) | null;
  onclose: ((event: WebSocketCloseEvent) => unknown) | null;
  /**
   * Throws InvalidStateError while CONNECTING. With `reconnect` it never does: while disconnected
   * the message is queued, and it returns true when sent or queued, false when dropped.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): boolean | undefined;
  /** `code` is 1000 or 3000–4999; `reason` at most 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void;
}
