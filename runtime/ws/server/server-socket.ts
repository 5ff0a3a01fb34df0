// The `ws` object a script sees for each accepted WebSocket connection.
import type { IncomingHttpHeaders, ServerCloseEvent as PublicServerCloseEvent } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import { parseQuery, type Query } from '../../util/request-target.ts';
import { unpackHeaders, type PackedHeaders } from './packed-headers.ts';
import { isCloseReasonTooLong, isValidCloseCode } from '../protocol/close-payload.ts';
import { CloseCode, MAX_CONTROL_PAYLOAD, READY_STATE_CONSTANTS, ReadyState } from '../protocol/constants.ts';
import type { ConnectionEvents } from '../connection.ts';
import { SocketConnection, type SocketConnectionOptions } from '../transport/socket-transport.ts';
import { StreamConnection } from '../transport/stream-transport.ts';
import type { MessageCompressor } from '../protocol/compressor.ts';
import { KeepaliveAction, nextKeepaliveAction, type KeepalivePolicy, type KeepaliveSubject } from './keepalive.ts';
import { checkTopic, toPayload, type TopicRegistry } from '../../pubsub/topics.ts';
import { FanoutMessage } from '../../pubsub/fanout.ts';
import { describeValue } from '../../util/describe-value.ts';
import { isBinaryData, viewBytes } from '../../util/bytes.ts';
import { isThenable } from '../../util/thenable.ts';
import type { WebSocketCounters } from './stats.ts';

/** Where a server socket reports what happens to it (the WebSocket server it belongs to). */
export interface ServerSocketHost {
  dispatchMessage(ws: ServerWebSocket, data: string | Buffer): void;
  dispatchDrain(ws: ServerWebSocket): void;
  dispatchClose(ws: ServerWebSocket, code: number, reason: string, wasClean: boolean): void;
  /** The server's topics (subscriptions live there, not on the socket). */
  readonly topics: TopicRegistry;
  /** ws.publish: to the topic's subscribers, the sender excepted. */
  publishFrom(sender: ServerWebSocket, topic: string, data: string | Uint8Array): number;
  /** Where sends are counted (server.stats()). */
  readonly counters: WebSocketCounters;
}

/** What `onclose` and `close` listeners receive (documented in types/http.d.ts), with this class as the target. */
export type ServerCloseEvent = Omit<PublicServerCloseEvent, 'target'> & { readonly target: ServerWebSocket };

export type CloseListener = ((event: ServerCloseEvent) => unknown) | { handleEvent(event: ServerCloseEvent): unknown };

/** What the upgrade request left for the connection: only what handlers read, never the IncomingMessage. */
export interface UpgradeInfo {
  pathname: string;
  /** The parsed query, or the query string (without `?`) to parse when a handler first reads it. */
  query: Query | string;
  /** The headers, or packed (see packed-headers.ts) until a handler first reads them. */
  headers: PackedHeaders;
  remoteAddress: string;
  protocol: string;
  /** permessage-deflate as agreed in the handshake, if it was. */
  deflate: MessageCompressor | undefined;
}

/**
 * One accepted WebSocket connection, the same object for every message of it.
 *
 * It is the Connection's events object (no closures per connection), so the methods `onMessage`,
 * `onDrain`, `onClose` below are the connection's callbacks; scripts use `onclose` (lower case).
 */
export class ServerWebSocket implements ConnectionEvents, KeepaliveSubject {
  static readonly CONNECTING = ReadyState.Connecting;
  static readonly OPEN = ReadyState.Open;
  static readonly CLOSING = ReadyState.Closing;
  static readonly CLOSED = ReadyState.Closed;

  /** The script's own per-connection state (set by the `upgrade` hook's `data`, or freely). */
  data: unknown = undefined;
  /** Called once when the connection is closed. */
  onclose: ((event: ServerCloseEvent) => unknown) | null = null;
  /** The path of the upgrade request (`/chat`), not percent-decoded. */
  readonly pathname: string;
  /** The peer's IP address. */
  readonly remoteAddress: string;
  /** The subprotocol agreed in the handshake, '' when none. */
  readonly protocol: string;

  readonly #connection: SocketConnection | StreamConnection;
  readonly #host: ServerSocketHost;
  /** The parsed query, or its string until first read: most connections never read it (memory). */
  #query: Query | string;
  #headers: PackedHeaders;
  #closeListeners: CloseListener[] | null = null;
  // Keepalive bookkeeping (see keepalive.ts): time without input, and when the last ping went out.
  #quietMs = 0;
  #pingSentAtMs = -1;
  // Inbound flow control: the script's ws.pause(), and the wait for an async handler (the
  // `sequentialMessages` option). The connection reads while neither holds it.
  #pausedByScript = false;
  #awaitingHandler = false;

  /**
   * Wraps an upgraded socket (the 101 already written) or an HTTP/2 stream (its 200 sent, RFC 8441);
   * call `connection.start(head)` to read.
   */
  constructor(transport: Socket | Duplex, options: SocketConnectionOptions, host: ServerSocketHost, info: UpgradeInfo) {
    const connectionOptions = options.deflate === info.deflate ? options : { ...options, deflate: info.deflate };
    this.#connection =
      transport instanceof Socket ? new SocketConnection(transport, connectionOptions, this) : new StreamConnection(transport, connectionOptions, this);
    this.#host = host;
    this.pathname = info.pathname;
    this.#query = info.query;
    this.#headers = info.headers;
    this.remoteAddress = info.remoteAddress;
    this.protocol = info.protocol;
  }

  /** The query string of the upgrade request, parsed (see the http request's `query`). */
  get query(): Query {
    const query = this.#query;
    return typeof query === 'string' ? (this.#query = parseQuery(query)) : query;
  }

  /** The upgrade request's headers, lower-case names. */
  get headers(): IncomingHttpHeaders {
    const headers = this.#headers;
    return typeof headers === 'string' ? (this.#headers = unpackHeaders(headers)) : headers;
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  get readyState(): number {
    return this.#connection.readyState;
  }

  /** Bytes sent (frames) that the kernel has not taken yet: the peer has not read them. */
  get bufferedAmount(): number {
    return this.#connection.bufferedAmount;
  }

  /** The agreed Sec-WebSocket-Extensions value, '' when none. */
  get extensions(): string {
    return this.#connection.extensions;
  }

  /**
   * Sends a message: a string as text, a Buffer, ArrayBuffer or typed array as binary.
   * Returns the message's size in bytes (UTF-8 for text) when it was accepted; -1 when it was
   * accepted but more than backpressureLimit now waits for the peer (wait for `drain`); 0 when the
   * connection is not open and the message was dropped (Bun's three cases).
   */
  send(data: string | ArrayBuffer | ArrayBufferView): number {
    const connection = this.#connection;
    const result =
      typeof data === 'string' ? sendText(connection, data) : connection.send(data instanceof Uint8Array ? data : toBytes(data, 'send'));
    if (result !== 0) this.#host.counters.sends++;
    return result;
  }

  /**
   * Starts the closing handshake with `code` (default 1000) and `reason` (at most 123 bytes of UTF-8).
   * Does nothing if the connection is already closing or closed.
   */
  close(code: number = CloseCode.Normal, reason = ''): void {
    if (typeof code !== 'number' || !isValidCloseCode(code)) {
      throw new RangeError(`ws.close(): ${String(code)} is not a close code that may be sent (1000–1003, 1007–1014, 3000–4999)`);
    }
    reason = String(reason);
    if (isCloseReasonTooLong(reason)) throw new RangeError('ws.close(): reason is longer than 123 bytes');
    this.#connection.close(code, reason);
  }

  /** Drops the connection at once, without a closing handshake (the close code is 1006). */
  terminate(): void {
    this.#connection.terminate();
  }

  /**
   * Stops delivering this connection's messages, and reading its socket, until resume(): the
   * peer's further messages wait in its own send buffer and TCP holds it back. Messages that came
   * in the same read as the current one wait too; nothing is lost or reordered. Does nothing once
   * the connection is closing.
   */
  pause(): void {
    this.#pausedByScript = true;
    this.#connection.pause();
  }

  /** Delivers what waited, in order, and reads the socket again (unless an async handler is still awaited). */
  resume(): void {
    this.#pausedByScript = false;
    if (!this.#awaitingHandler) this.#connection.resume();
  }

  /** Whether ws.pause() holds the connection (true from pause() until resume()). */
  get isPaused(): boolean {
    return this.#pausedByScript;
  }

  /** @internal `sequentialMessages`: no next message until the handler's promise for this one settles. */
  awaitHandler(result: PromiseLike<unknown>, report: (error: unknown) => void): void {
    this.#awaitingHandler = true;
    this.#connection.pause();
    const release = (): void => {
      this.#awaitingHandler = false;
      if (!this.#pausedByScript) this.#connection.resume();
    };
    result.then(release, (error: unknown) => {
      report(error);
      release();
    });
  }

  /** Sends a ping (payload up to 125 bytes); the peer's pong counts as activity for the idle timeout. */
  ping(data?: string | ArrayBuffer | ArrayBufferView): void {
    const payload = data === undefined ? undefined : toBytes(data, 'ping');
    if (payload !== undefined && payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError('ws.ping(): payload is longer than 125 bytes');
    this.#connection.ping(payload);
  }

  /**
   * Subscribes to `topic`: messages published to it reach this socket. Does nothing when already
   * subscribed, or once the connection is closed (a closed socket leaves its topics by itself).
   */
  subscribe(topic: string): void {
    checkTopic(topic, 'ws.subscribe');
    if (this.#connection.readyState !== ReadyState.Closed) this.#host.topics.subscribe(this, topic);
  }

  /** Leaves `topic`; does nothing when not subscribed. */
  unsubscribe(topic: string): void {
    checkTopic(topic, 'ws.unsubscribe');
    this.#host.topics.unsubscribe(this, topic);
  }

  isSubscribed(topic: string): boolean {
    checkTopic(topic, 'ws.isSubscribed');
    return this.#host.topics.isSubscribed(this, topic);
  }

  /** The topics this socket is subscribed to (a new array each time). */
  get subscriptions(): string[] {
    return this.#host.topics.topicsOf(this);
  }

  /**
   * Sends a message to every subscriber of `topic` but this socket, in every process of the
   * application when a backplane is configured. Returns the message's size in bytes, or 0 when it
   * was dropped (no subscriber, or this connection is not open).
   */
  publish(topic: string, data: string | ArrayBuffer | ArrayBufferView): number {
    checkTopic(topic, 'ws.publish');
    const payload = toPayload(data, 'ws.publish');
    if (this.#connection.readyState !== ReadyState.Open) return 0;
    return this.#host.publishFrom(this, topic, payload);
  }

  /** Adds a listener; only the `close` event exists on the server side. */
  addEventListener(type: 'close', listener: CloseListener): void {
    checkEventType(type);
    if (listener === null || listener === undefined) return;
    const listeners = (this.#closeListeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(type: 'close', listener: CloseListener): void {
    checkEventType(type);
    const listeners = this.#closeListeners;
    const index = listeners === null ? -1 : listeners.indexOf(listener);
    if (index !== -1) listeners!.splice(index, 1);
  }

  // ConnectionEvents: called by the Connection, synchronously from the socket's reads.

  /** @internal */
  onMessage(data: string | Buffer): void {
    this.#host.dispatchMessage(this, data);
  }

  /** @internal */
  onDrain(): void {
    this.#host.dispatchDrain(this);
  }

  /** @internal */
  onClose(code: number, reason: string, wasClean: boolean): void {
    this.#host.dispatchClose(this, code, reason, wasClean);
  }

  /** @internal Runs the `onclose` property and the `close` listeners; the host reports what they throw. */
  emitClose(code: number, reason: string, wasClean: boolean, report: (error: unknown) => void): void {
    const onclose = this.onclose;
    const listeners = this.#closeListeners;
    if (onclose === null && listeners === null) return;
    const event: ServerCloseEvent = { type: 'close', code, reason, wasClean, target: this };
    if (typeof onclose === 'function') callListener(onclose, event, report);
    if (listeners !== null) for (const listener of [...listeners]) callListener(listener, event, report);
    this.#closeListeners = null;
  }

  /** @internal One keepalive check (see keepalive.ts). */
  sweepKeepalive(policy: KeepalivePolicy, tickMs: number): void {
    const connection = this.#connection;
    if (connection.readyState !== ReadyState.Open) return;
    // A paused connection reads nothing, so its silence says nothing about the peer: keepalive
    // waits, and counts afresh from resume().
    if (connection.hasActivity || connection.isPaused) {
      connection.hasActivity = false;
      this.#quietMs = 0;
      this.#pingSentAtMs = -1;
      return;
    }
    this.#quietMs += tickMs;
    switch (nextKeepaliveAction(this.#quietMs, this.#pingSentAtMs, policy)) {
      case KeepaliveAction.Ping:
        this.#pingSentAtMs = this.#quietMs;
        connection.ping();
        break;
      case KeepaliveAction.Close:
        connection.close(CloseCode.GoingAway, 'idle timeout');
        break;
      case KeepaliveAction.Terminate:
        connection.terminate();
        break;
    }
  }

  /** @internal Bytes read from and written to the socket so far (the handshake included). */
  get wireBytes(): { read: number; written: number } {
    const connection = this.#connection;
    if (connection instanceof StreamConnection) return connection.wireBytes;
    return { read: connection.socket.bytesRead, written: connection.socket.bytesWritten };
  }

  /** @internal Whether the WebSocket has a TCP connection of its own (an HTTP/1.1 upgrade), not an h2 stream. */
  get ownsSocket(): boolean {
    return !(this.#connection instanceof StreamConnection);
  }

  /** @internal The connection, for the server (closeAll, broadcast). */
  get connection(): SocketConnection | StreamConnection {
    return this.#connection;
  }

  [inspect.custom](_depth: number, options: object): string {
    const { readyState, protocol, remoteAddress, pathname, bufferedAmount, isPaused, data } = this;
    return 'ServerWebSocket ' + inspect({ readyState, protocol, remoteAddress, pathname, bufferedAmount, isPaused, data }, options);
  }
}

// WHATWG-style constants on instances too (`ws.OPEN`), as scripts written for browsers expect.
for (const [name, value] of Object.entries(READY_STATE_CONSTANTS)) {
  Object.defineProperty(ServerWebSocket.prototype, name, { value, enumerable: true });
}

/**
 * The last string a server socket sent: a script's loop that sends one string to many sockets
 * encodes it once (what server.publish does for a topic's subscribers).
 */
const lastSent = new FanoutMessage('', true);

function sendText(connection: SocketConnection | StreamConnection, text: string): number {
  if (connection.readyState !== ReadyState.Open) return 0;
  if (lastSent.payload !== text) lastSent.reset(text, true);
  return connection.sendEncoded(lastSent.encodedFor(connection.compressor), lastSent.byteLength);
}

/** Binary data of any kind as bytes (a view, never a copy); a string as its UTF-8. */
function toBytes(data: unknown, method: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  if (isBinaryData(data)) return viewBytes(data);
  throw new TypeError(
    `ws.${method}() takes a string, Buffer, ArrayBuffer or typed array, got ${describeValue(data)}` +
      (data !== null && typeof data === 'object' ? ' (use JSON.stringify for objects)' : ''),
  );
}

function checkEventType(type: string): void {
  if (type !== 'close') {
    throw new TypeError(`a server WebSocket has no '${String(type)}' event; messages go to the server's handler`);
  }
}

function callListener(listener: CloseListener, event: ServerCloseEvent, report: (error: unknown) => void): void {
  try {
    const result = typeof listener === 'function' ? listener.call(event.target, event) : listener.handleEvent(event);
    if (isThenable(result)) result.then(undefined, report);
  } catch (error) {
    report(error);
  }
}
