// The WebSocket server of one krandog http server: answers Node's 'upgrade' events, keeps the set of
// open connections, hands their messages and lifecycle to the script's handler, and closes them all
// when the http server closes. runtime/http/server.ts calls attachWebSockets() once per server.
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Http2ServerRequest, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { parseQuery, pathnameOf, searchOf } from '../../util/request-target.ts';
import { CloseCode } from '../protocol/constants.ts';
import type { SocketConnectionOptions } from '../transport/socket-transport.ts';
import {
  logHandlerError,
  reportHandlerError,
  webSocketHandlerOf,
  type UpgradeRequest,
  type UpgradeVerdict,
  type WebSocketHandler,
  type WebSocketHooks,
  type WebSocketMessageRequest,
} from './hooks.ts';
import { selectProtocol, validateExtendedConnect, validateUpgradeRequest, type RejectedUpgrade, type ValidUpgrade } from './handshake.ts';
import { withoutPseudoHeaders } from '../../util/h2-headers.ts';
import { isHttp2Server } from '../../util/h2-sessions.ts';
import { SocketHandshake, StreamHandshake, type PendingHandshake } from './pending-handshake.ts';
import { parseExtensions } from '../extensions/extension-header.ts';
import { KeepaliveSweep } from './keepalive.ts';
import { acceptDeflateOffer, type PerMessageDeflate } from '../extensions/permessage-deflate.ts';
import { ServerWebSocket, type ServerSocketHost, type UpgradeInfo } from './server-socket.ts';
import { resolveBackplane, type BackplaneConfig } from '../../pubsub/backplane.ts';
import { backplaneOpener, PubSubHub, WatchedTopicRegistry, type PubSubStatus } from '../../pubsub/hub.ts';
import { checkTopic, toPayload, type TopicRegistry } from '../../pubsub/topics.ts';
import { resolveWebSocketOptions, type ResolvedWebSocketOptions, type WebSocketServerOptions } from './options.ts';
import { afterEarlierResponses, decideUpgrade, destroyOnError } from './upgrade.ts';
import { settleWithin } from './settle-within.ts';
import type { MessageCompressor } from '../protocol/compressor.ts';
import { packHeaders } from './packed-headers.ts';
import { isThenable } from '../../util/thenable.ts';
import { readPeerAddress } from '../../util/peer-address.ts';
import { WebSocketCounters, type PubSubStats, type WebSocketStats } from './stats.ts';

export type { WebSocketServerOptions } from './options.ts';

/** What attaching returns to the http server. */
export interface WebSocketAttachment {
  /** Whether the server answers WebSocket upgrades (its handler has WebSocket support). */
  readonly answersUpgrades: boolean;
  /**
   * Closes every open WebSocket of the server: sends close 1001 (behind what each had accepted for
   * sending), waits up to `graceMs` (default {@link SHUTDOWN_GRACE_MS}) for the peers to answer,
   * then drops the rest. Settles when all are closed.
   */
  closeAll(graceMs?: number): Promise<void>;
  /**
   * `server.publish(topic, data)`: to every subscriber of the topic (in every process, with a
   * backplane). Returns the message's size in bytes, or 0 when it was dropped (see PubSubHub).
   */
  publish(topic: string, data: unknown): number;
  /** How many of this process's sockets are subscribed to `topic`. */
  subscriberCount(topic: string): number;
  /** Which backplane publish goes through, and whether it is connected. */
  readonly pubsub: PubSubStatus;
  /**
   * The counts of server.stats(), and how many WebSockets have a connection of their own (HTTP/1.1
   * upgrades; those over h2 streams share their h2 connection).
   */
  stats(): { websocket: WebSocketStats; pubsub: PubSubStats; ownSockets: number };
}

/** Sent with a 503: the client may try again shortly (RFC 9110 §10.2.3). */
const RETRY_SOON = { 'Retry-After': '1' };

/** A server without WebSocket support has no subscribers: publish reaches nobody. */
const WITHOUT_WEBSOCKETS: WebSocketAttachment = {
  answersUpgrades: false,
  closeAll: () => Promise.resolve(),
  publish(topic, data) {
    checkTopic(topic, 'server.publish');
    toPayload(data, 'server.publish');
    return 0;
  },
  subscriberCount(topic) {
    checkTopic(topic, 'server.subscriberCount');
    return 0;
  },
  pubsub: { backplane: 'none', connected: false, dropped: 0 },
  stats: () => ({
    websocket: { connections: 0, opened: 0, messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, backpressured: 0, closes: {} },
    pubsub: { topics: 0, publishes: 0, deliveries: 0, backplane: 'none', connected: false, dropped: 0 },
    ownSockets: 0,
  }),
};

/** How long closeAll() lets peers answer the 1001 close before dropping their connections. */
export const SHUTDOWN_GRACE_MS = 1_000;

/** Whether a connection may be upgraded; the http server refuses those past its connection limit. */
export type UpgradeAdmission = (socket: Socket) => boolean;
const admitAll: UpgradeAdmission = () => true;

/**
 * Makes `server` answer WebSocket upgrades with `handler`: a function (every message calls it with
 * `{ type: 'websocket', ws, data, pathname, headers, query }`) or `{ request, websocket: hooks }`.
 * A handler without WebSocket support (a Node-style `(req, res)` listener, or an object without
 * `websocket`) attaches nothing, so Node passes upgrade requests to the HTTP handler.
 */
export function attachWebSockets(
  server: Server,
  handler: unknown,
  options: WebSocketServerOptions = {},
  admits: UpgradeAdmission = admitAll,
): WebSocketAttachment {
  const resolved = resolveWebSocketOptions(options);
  const backplane = resolveBackplane(options.pubsub);
  // A function declaring (req, res) is a Node listener (see isNodeStyle in runtime/http/server.ts).
  const webSocketHandler = typeof handler === 'function' && handler.length >= 2 ? undefined : webSocketHandlerOf(handler);
  if (webSocketHandler === undefined) return WITHOUT_WEBSOCKETS;
  const webSocketServer = new WebSocketServer(webSocketHandler, resolved, backplane, admits);
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => webSocketServer.handleUpgrade(request, socket, head));
  // An HTTP/2 server (options.http2): WebSockets open as extended CONNECT streams (RFC 8441).
  // Node's compat layer hands h2 CONNECT streams to 'connect' listeners (else answers 405); an
  // HTTP/1.1 CONNECT comes there too, with its socket, which is closed as Node would without one.
  if (isHttp2Server(server)) server.on('connect', (request: IncomingMessage | Http2ServerRequest, socket: Socket | unknown) => {
    if ('stream' in request) webSocketServer.handleExtendedConnect(request.stream, request.headers);
    else (socket as Socket).destroy();
  });
  return webSocketServer;
}

/** The connections of one server and the dispatch of their events to the script. */
export class WebSocketServer implements ServerSocketHost, WebSocketAttachment {
  readonly answersUpgrades = true;
  /** The open connections (for closeAll, keepalive and, later, broadcasting). */
  readonly sockets = new Set<ServerWebSocket>();
  /** Who subscribes to what (ws.subscribe), for publish. */
  readonly topics: TopicRegistry;
  readonly counters = new WebSocketCounters();

  readonly #options: ResolvedWebSocketOptions;
  readonly #connectionOptions: SocketConnectionOptions;
  readonly #onMessageRequest: ((req: WebSocketMessageRequest) => unknown) | undefined;
  readonly #hooks: WebSocketHooks;
  readonly #keepalive: KeepaliveSweep;
  readonly #deflaters = new Map<string, PerMessageDeflate>();
  /** #connectionOptions with each shared deflater: connections keep their options object. */
  readonly #deflateConnectionOptions = new Map<MessageCompressor, SocketConnectionOptions>();
  readonly #pubsub: PubSubHub;
  readonly #admits: UpgradeAdmission;
  #closing: Promise<void> | undefined;
  #allClosed: (() => void) | undefined;
  #shutdownTimer: NodeJS.Timeout | undefined;

  constructor(handler: WebSocketHandler, options: ResolvedWebSocketOptions, backplane: BackplaneConfig = { kind: 'none' }, admits = admitAll) {
    this.#options = options;
    this.#admits = admits;
    this.#onMessageRequest = handler.onMessageRequest;
    this.#hooks = handler.hooks;
    this.#connectionOptions = {
      isServer: true,
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      backpressureLimit: options.backpressureLimit,
      closeTimeoutMs: options.closeTimeout,
    };
    this.#keepalive = new KeepaliveSweep(this.sockets, options);
    // Each topic that gains its first subscriber or loses its last is passed on to the backplane.
    this.topics = new WatchedTopicRegistry(
      (extension) => this.#deflaters.get(extension),
      (topic, held) => this.#pubsub.interest(topic, held),
    );
    this.#pubsub = new PubSubHub(this.topics, backplaneOpener(backplane));
  }

  /**
   * Node's 'upgrade' event: once the responses to requests pipelined before it are out, check the
   * handshake, ask the `upgrade` hook, then accept or refuse.
   */
  handleUpgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    // Node removed its own listeners from the socket: until the connection takes over, an error
    // (a reset mid-handshake) must end only this socket, not the process.
    socket.on('error', destroyOnError);
    afterEarlierResponses(socket, () =>
      this.#answerUpgrade(request.method ?? 'GET', request.url ?? '/', request.headers, new SocketHandshake(socket, head), (allowOrigins) =>
        validateUpgradeRequest(request, allowOrigins),
      ),
    );
  }

  /** An extended CONNECT on an HTTP/2 stream (RFC 8441 §4): the same checks and hooks as an upgrade. */
  handleExtendedConnect(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // Until the connection takes over, a reset of the stream ends only the stream.
    stream.on('error', destroyOnError);
    const path = headers[':path'];
    this.#answerUpgrade('CONNECT', typeof path === 'string' ? path : '/', headers, new StreamHandshake(stream), (allowOrigins) =>
      validateExtendedConnect(headers, allowOrigins),
    );
  }

  #answerUpgrade(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    reply: PendingHandshake,
    validate: (allowOrigins: ResolvedWebSocketOptions['allowOrigins']) => ValidUpgrade | RejectedUpgrade,
  ): void {
    const socket = reply.socket;
    if (this.#closing !== undefined) return reply.refuse(503, 'server is shutting down');
    if (!this.#admits(socket)) return reply.refuse(503, 'too many connections', RETRY_SOON);
    const check = validate(this.#options.allowOrigins);
    if (!check.ok) return reply.refuse(check.status, check.message, check.headers);

    let deflate: PerMessageDeflate | undefined;
    try {
      deflate = this.#negotiateDeflate(headers['sec-websocket-extensions'] as string | undefined);
    } catch (error) {
      return reply.refuse(400, `malformed Sec-WebSocket-Extensions header: ${(error as Error).message}`);
    }

    const pathname = pathnameOf(url);
    const search = searchOf(url);
    // What handlers see: HTTP/2's pseudo-headers are not headers.
    const viewHeaders = method === 'CONNECT' ? withoutPseudoHeaders(headers) : headers;
    const info: UpgradeInfo = {
      pathname,
      query: search,
      headers: viewHeaders,
      remoteAddress: readPeerAddress(socket),
      protocol: selectProtocol(check.offeredProtocols, this.#options.protocols) ?? '',
      deflate,
    };
    const upgradeHook = this.#hooks.upgrade;
    if (upgradeHook === undefined) {
      // Nothing read the headers and query yet: the socket keeps them packed until a handler does.
      info.headers = packHeaders(viewHeaders);
      return this.#accept(reply, check.key, info, undefined, '');
    }
    // The hook reads the query now: the socket keeps the objects the hook saw.
    const query = (info.query = parseQuery(search));

    const upgradeRequest: UpgradeRequest = {
      type: 'upgrade',
      method,
      url,
      pathname,
      query,
      headers: viewHeaders,
      remoteAddress: info.remoteAddress,
      protocols: check.offeredProtocols,
    };
    let verdict: UpgradeVerdict | PromiseLike<UpgradeVerdict>;
    let pending: Promise<UpgradeVerdict> | undefined;
    try {
      verdict = upgradeHook.call(this.#hooks, upgradeRequest);
      // Looking for `then` runs the script's code (a getter, a Proxy trap), which may throw.
      if (isThenable(verdict)) pending = Promise.resolve(verdict);
    } catch (error) {
      return this.#failUpgrade(reply, error);
    }
    if (pending === undefined) return this.#settleUpgrade(reply, check.key, info, check.offeredProtocols, verdict as UpgradeVerdict);
    // The socket is paused (Node leaves it so): frames the client sends meanwhile wait in it. The
    // headers timeout no longer covers it: a hook that never settles is answered 503 in its place.
    settleWithin(
      pending,
      this.#options.upgradeTimeout,
      (settled) => this.#settleUpgrade(reply, check.key, info, check.offeredProtocols, settled),
      (error) => this.#failUpgrade(reply, error),
      () => {
        console.error(`krandog: WebSocket upgrade hook did not settle within ${this.#options.upgradeTimeout} ms; answered 503 (${upgradeRequest.method} ${url})`);
        reply.refuse(503, 'Service Unavailable', RETRY_SOON);
      },
    );
  }

  publish(topic: string, data: unknown): number {
    checkTopic(topic, 'server.publish');
    return this.#countPublish(this.#pubsub.publish(topic, toPayload(data, 'server.publish'), undefined));
  }

  subscriberCount(topic: string): number {
    checkTopic(topic, 'server.subscriberCount');
    return this.topics.subscriberCount(topic);
  }

  get pubsub(): PubSubStatus {
    return this.#pubsub.status;
  }

  publishFrom(sender: ServerWebSocket, topic: string, data: string | Uint8Array): number {
    return this.#countPublish(this.#pubsub.publish(topic, data, sender));
  }

  #countPublish(result: number): number {
    if (result !== 0) this.counters.publishes++;
    return result;
  }

  stats(): { websocket: WebSocketStats; pubsub: PubSubStats; ownSockets: number } {
    const counters = this.counters;
    let bytesIn = counters.closedBytesIn;
    let bytesOut = counters.closedBytesOut;
    let backpressured = 0;
    let ownSockets = 0;
    for (const ws of this.sockets) {
      const { read, written } = ws.wireBytes;
      bytesIn += read;
      bytesOut += written;
      if (ws.bufferedAmount > this.#options.backpressureLimit) backpressured++;
      if (ws.ownsSocket) ownSockets++;
    }
    const { backplane, connected, dropped } = this.#pubsub.status;
    return {
      websocket: {
        connections: this.sockets.size,
        opened: counters.opened,
        messagesIn: counters.messagesIn,
        messagesOut: counters.sends + this.topics.deliveries,
        bytesIn,
        bytesOut,
        backpressured,
        closes: counters.closes(),
      },
      pubsub: { topics: this.topics.topicCount, publishes: counters.publishes, deliveries: this.topics.deliveries, backplane, connected, dropped },
      ownSockets,
    };
  }

  closeAll(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
    this.#closing ??= Promise.all([this.#closeSockets(graceMs), this.#pubsub.close(graceMs)]).then(() => undefined);
    return this.#closing;
  }

  #closeSockets(graceMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#keepalive.stop();
      if (this.sockets.size === 0) return resolve();
      this.#allClosed = resolve;
      for (const ws of this.sockets) ws.connection.close(CloseCode.GoingAway, 'server shutting down');
      this.#shutdownTimer = setTimeout(() => {
        for (const ws of this.sockets) ws.connection.terminate();
      }, graceMs);
      this.#shutdownTimer.unref();
    });
  }

  // ServerSocketHost: events of the accepted connections.

  dispatchMessage(ws: ServerWebSocket, data: string | Buffer): void {
    // Hot path: called synchronously from the socket read, once per message.
    this.counters.messagesIn++;
    try {
      const onMessageRequest = this.#onMessageRequest;
      const result =
        onMessageRequest !== undefined
          ? onMessageRequest(messageRequest(ws, data))
          : this.#hooks.message?.(ws, data, messageRequest(ws, data));
      if (result !== undefined && isThenable(result)) {
        if (this.#options.sequentialMessages) ws.awaitHandler(result, reportHandlerError.message);
        else result.then(undefined, reportHandlerError.message);
      }
    } catch (error) {
      reportHandlerError.message(error);
    }
  }

  dispatchDrain(ws: ServerWebSocket): void {
    const drain = this.#hooks.drain;
    if (drain !== undefined) this.#callHook('drain', () => drain.call(this.#hooks, ws));
  }

  dispatchClose(ws: ServerWebSocket, code: number, reason: string, wasClean: boolean): void {
    this.sockets.delete(ws);
    const { read, written } = ws.wireBytes;
    this.counters.countClose(code, read, written);
    // Before the close hook, so that subscriberCount() there no longer counts this socket.
    this.topics.removeSocket(ws);
    if (this.sockets.size === 0) {
      this.#keepalive.stop();
      clearTimeout(this.#shutdownTimer);
      this.#allClosed?.();
    }
    const close = this.#hooks.close;
    if (close !== undefined) this.#callHook('close', () => close.call(this.#hooks, ws, code, reason));
    ws.emitClose(code, reason, wasClean, reportHandlerError.close);
  }

  #settleUpgrade(reply: PendingHandshake, key: string, info: UpgradeInfo, offered: readonly string[], verdict: UpgradeVerdict): void {
    if (reply.isGone) return;
    if (this.#closing !== undefined) return reply.refuse(503, 'server is shutting down');
    let decision;
    try {
      decision = decideUpgrade(verdict, offered, info.protocol === '' ? undefined : info.protocol);
    } catch (error) {
      return this.#failUpgrade(reply, error);
    }
    if (!decision.accept) return reply.refuse(decision.status, decision.body, decision.headers);
    info.protocol = decision.protocol ?? '';
    this.#accept(reply, key, info, decision.data, decision.headerLines);
  }

  /**
   * The deflater for the client's permessage-deflate offers, or undefined for none. One deflater per
   * agreed configuration serves every connection (it keeps no per-connection state), so a broadcast
   * of one string is compressed once. A malformed header throws (the caller answers 400).
   */
  #negotiateDeflate(header: string | undefined): PerMessageDeflate | undefined {
    if (header === undefined) return undefined;
    const offers = parseExtensions(header);
    const options = this.#options.perMessageDeflate;
    if (options === false) return undefined;
    const agreed = acceptDeflateOffer(offers, options);
    if (agreed === null) return undefined;
    let shared = this.#deflaters.get(agreed.extension);
    if (shared === undefined) this.#deflaters.set(agreed.extension, (shared = agreed));
    return shared;
  }

  /** The connection options for `deflate`: one object per agreed configuration (made once, as the deflaters). */
  #connectionOptionsFor(deflate: MessageCompressor | undefined): SocketConnectionOptions {
    if (deflate === undefined) return this.#connectionOptions;
    let options = this.#deflateConnectionOptions.get(deflate);
    if (options === undefined) this.#deflateConnectionOptions.set(deflate, (options = { ...this.#connectionOptions, deflate }));
    return options;
  }

  #failUpgrade(reply: PendingHandshake, error: unknown): void {
    logHandlerError('upgrade', error);
    reply.refuse(500, 'Internal Server Error');
  }

  #accept(reply: PendingHandshake, key: string, info: UpgradeInfo, data: unknown, headerLines: string): void {
    const transport = reply.accept(key, info.protocol === '' ? undefined : info.protocol, headerLines, info.deflate?.extension);
    const ws = new ServerWebSocket(transport, this.#connectionOptionsFor(info.deflate), this, info);
    if (data !== undefined) ws.data = data;
    this.sockets.add(ws);
    this.counters.opened++;
    this.#keepalive.start();
    transport.removeListener('error', destroyOnError);
    const open = this.#hooks.open;
    if (open !== undefined) this.#callHook('open', () => open.call(this.#hooks, ws));
    reply.start(ws);
  }

  /** Runs a lifecycle hook; what it throws or rejects with is logged and the server carries on. */
  #callHook(name: 'open' | 'close' | 'drain', call: () => unknown): void {
    try {
      const result = call();
      if (isThenable(result)) result.then(undefined, reportHandlerError[name]);
    } catch (error) {
      reportHandlerError[name](error);
    }
  }
}

/** The object a function handler gets per message; its shape never changes (one hidden class). */
function messageRequest(ws: ServerWebSocket, data: string | Buffer): WebSocketMessageRequest {
  return { type: 'websocket', ws, data, pathname: ws.pathname, headers: ws.headers, query: ws.query };
}
