// The WebSocket client scripts get as a global: the browser's WebSocket (WHATWG WebSockets
// standard), for ws:// and wss://.

export type BinaryType = 'blob' | 'arraybuffer';

/** krandog's extension of the constructor's second argument, as Bun has it. */
export interface WebSocketOptions {
  protocols?: string | string[];
  /** Extra request headers for the handshake (e.g. Authorization). */
  headers?: Record<string, string>;
}

export interface WebSocketCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export interface WebSocketMessageEvent extends Event {
  /** A string for text; a Blob or ArrayBuffer for binary, per binaryType. */
  readonly data: string | Blob | ArrayBuffer;
  readonly origin: string;
}

export declare class WebSocket extends EventTarget {
  constructor(url: string | URL, protocols?: string | string[] | WebSocketOptions);
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
  onerror: ((event: Event) => unknown) | null;
  onclose: ((event: WebSocketCloseEvent) => unknown) | null;
  /** Throws InvalidStateError while CONNECTING. */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void;
  /** `code` is 1000 or 3000–4999; `reason` at most 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void;
}
