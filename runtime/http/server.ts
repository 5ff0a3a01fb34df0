// krandog's HTTP server: a node:http server (node:https with `options.tls`: its parser, keep-alive
// and timeouts) with the handler-returns-response adapter on top, listen() that announces itself,
// and a close() to await.
import cluster from 'node:cluster';
import { EventEmitter } from 'node:events';
import nodeHttp from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import diagnostics from 'node:diagnostics_channel';
import { attachWebSockets, type WebSocketAttachment } from '../ws/server/attach.ts';
import type { PubSubStatus } from '../pubsub/hub.ts';
import { closeOnSignal, forgetOnSignal } from './signal-shutdown.ts';
import { ConnectionLimit } from './connection-limit.ts';
import { RequestDispatcher, type RequestHandler } from './dispatch.ts';
import { describeListenError, sendServiceUnavailable } from './errors.ts';
import { WebSocketUpgradeMessage } from './upgrade-offer.ts';
import { closingAwareResponse } from './closing-response.ts';
import { leanPathWanted, useLeanPath } from './lean-connection.ts';
import { createTlsServer } from './h2-server.ts';
import { closeH2Connection, connectionSocketOf } from './h2-headers.ts';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.ts';
import { hasRoutesOrStatic, routedHandler, withFileResults, withRoutingOptions, type RoutedHandlerSpec } from './routed-handler.ts';
import { MetricsEndpoint } from './metrics.ts';
import type { ServerStats } from './stats.ts';
import type { HttpRequest } from './request.ts';
import { pathnameOf } from '../util/request-target.ts';

/** A Node-style listener, `(req, res) => …`, accepted so existing Node scripts keep working. */
export type NodeRequestListener = (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse) => void;

/**
 * A handler function, or an object with one per kind of traffic (`websocket` is read by the
 * WebSocket server; `routes` and `static` by routed-handler.ts).
 */
export type HandlerSpec = RequestHandler | NodeRequestListener | (RoutedHandlerSpec & { websocket?: object });

/** Options of {@link Server.close}. */
export interface CloseOptions {
  /**
   * Destroy connections still busy with a response instead of letting them finish, and drop the
   * WebSockets right after their close 1001 instead of waiting for the answers.
   */
  force?: boolean;
}

// Published by Node when a response has been written; used only while closing (see #drain).
const RESPONSE_FINISH_CHANNEL = 'http.server.response.finish';
const LOCAL_HOSTS = new Set(['', '0.0.0.0', '::', 'localhost', '127.0.0.1', '::1']);

/** Node's own bind step, which `net.Server.listen()` runs once it has an address (kept by Node for code that wraps it). */
type BindNow = (address: string, port: number, family: number, backlog: undefined, fd: undefined, flags: number) => void;

/**
 * The object `http.createServer()` returns. Like Node's http.Server it emits `'listening'`, `'close'`
 * (once close() has finished) and `'error'`.
 */
export class Server extends EventEmitter {
  readonly #node: nodeHttp.Server;
  readonly #options: ResolvedOptions;
  readonly #dispatcher: RequestDispatcher | undefined;
  readonly #websockets: WebSocketAttachment;
  readonly #limit: ConnectionLimit;
  #requests = 0;
  #port: number | undefined;
  #listenCalled = false;
  #announced = false;
  #closed: Promise<void> | undefined;

  constructor(handler: HandlerSpec, options?: ServerOptions) {
    super();
    this.#options = resolveOptions(options);
    const { headersTimeout, requestTimeout, keepAliveTimeout, maxHeaderSize, connectionsCheckingInterval, tls } = this.#options;
    // Responses not yet begun when close() is called say `Connection: close`.
    const ResponseClass = closingAwareResponse(() => this.#closed !== undefined);
    // IncomingMessage: only WebSocket offers are upgrades; an h2c offer is answered as HTTP/1.1.
    const httpOptions = {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      maxHeaderSize,
      connectionsCheckingInterval,
      IncomingMessage: WebSocketUpgradeMessage,
      ServerResponse: ResponseClass,
    };
    this.#node = tls === undefined ? nodeHttp.createServer(httpOptions) : createTlsServer(tls, httpOptions, this.#options.http2);
    this.#limit = new ConnectionLimit(this.#node, this.#options.maxConnections, tls === undefined ? 'connection' : 'secureConnection');
    const metrics = this.#options.metrics === undefined ? undefined : new MetricsEndpoint(this.#options.metrics, () => this.stats());
    const requestHandler = withMetrics(requestHandlerOf(withRoutingOptions(handler, options as RoutedHandlerSpec | undefined) as HandlerSpec), metrics);
    if (isNodeStyle(requestHandler)) {
      this.#node.on('request', this.#refusingPastLimit(requestHandler));
    } else {
      this.#dispatcher = new RequestDispatcher(requestHandler, this.#options.maxBodySize);
      this.#node.on('request', this.#refusingPastLimit(this.#dispatcher.onRequest));
      this.#node.on('checkContinue', this.#refusingPastLimit(this.#dispatcher.onCheckContinue));
    }
    if (this.#dispatcher !== undefined && tls === undefined && leanPathWanted()) {
      useLeanPath({
        server: this.#node,
        dispatcher: this.#dispatcher,
        limit: this.#limit,
        maxHeaderSize,
        keepAliveTimeout,
        ResponseClass,
        isClosing: () => this.#closed !== undefined,
      });
    }
    this.#websockets = attachWebSockets(this.#node, handler, options ?? {}, (socket) => !this.#limit.refuses(socket));
    if (this.#dispatcher !== undefined) this.#dispatcher.refusesBareUpgrades = this.#websockets.answersUpgrades;
  }

  /** The listener, behind the connection limit: a request on a connection past it gets 503. */
  #refusingPastLimit(listener: NodeRequestListener): NodeRequestListener {
    const limit = this.#limit;
    return (req, res) => {
      this.#requests++;
      if (!limit.refuses(connectionSocketOf(req))) return listener(req, res);
      sendServiceUnavailable(res, 'too many connections');
      closeH2Connection(req);
    };
  }

  /** `'https'` when the server was given `options.tls`, else `'http'`. */
  get protocol(): 'http' | 'https' {
    return this.#options.tls === undefined ? 'http' : 'https';
  }

  /**
   * The port the server listens on (the real one after `listen(0)`); undefined before it listens.
   * Set when listen() returns, unless the host is a name (it is looked up first) or the process is
   * a `--workers` worker (the primary binds): then from `'listening'` on.
   */
  get port(): number | undefined {
    return this.#port;
  }

  /** Whether the server is accepting connections. */
  get listening(): boolean {
    return this.#node.listening;
  }

  /** Node's `server.address()`: `{ address, family, port }` while listening, else null. */
  address(): AddressInfo | null {
    return this.#node.address() as AddressInfo | null;
  }

  /**
   * Sends a message to every WebSocket subscribed to `topic` (`ws.subscribe`), in every process when
   * a backplane is configured (`options.pubsub`, KRANDOG_PUBSUB, `krandog --workers`). The message is
   * framed once for all of them. Returns its size in bytes, or 0 when nobody could get it.
   */
  publish(topic: string, data: string | ArrayBuffer | ArrayBufferView): number {
    return this.#websockets.publish(topic, data);
  }

  /** How many WebSockets of this process are subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.#websockets.subscriberCount(topic);
  }

  /** The pub/sub backplane: which kind (`'none'`, `'cluster'`, `'redis'`) and whether it is connected. */
  get pubsub(): PubSubStatus {
    return this.#websockets.pubsub;
  }

  /**
   * What the server is doing, counted in this process: open connections, requests, WebSocket
   * messages and bytes, closes by code, publishes and deliveries, the backplane. A new object each call.
   */
  stats(): ServerStats {
    const { websocket, pubsub, ownSockets } = this.#websockets.stats();
    // Node counts every accepted connection, upgraded ones included, until it closes; an h2
    // connection is one, whatever WebSockets its streams carry.
    const open = (this.#node as unknown as { _connections?: number })._connections ?? 0;
    return { http: { connections: Math.max(0, open - ownSockets), requests: this.#requests }, websocket, pubsub };
  }

  /**
   * Starts listening and prints `Server listening on http://localhost:<port>` (unless quiet), before
   * listen() returns whenever Node can bind at once (see {@link port}). Port 0 picks a free port.
   * If the port cannot be used, an `'error'` listener gets the error; without one, why (e.g. `port
   * 3000 is already in use`) is printed on stderr and the process exits with code 1.
   */
  listen(port?: number | string, host?: string | (() => void), callback?: () => void): this {
    if (typeof host === 'function') {
      callback = host;
      host = undefined;
    }
    if (host !== undefined && typeof host !== 'string') throw new TypeError(`server.listen: host must be a string, got ${typeof host}`);
    if (this.#listenCalled) throw new Error('server.listen: this server is already listening');
    this.#listenCalled = true;
    const portNumber = toPort(port);
    const onListenError = (error: NodeJS.ErrnoException): void => {
      if (this.listenerCount('error') > 0) return void this.emit('error', error);
      console.error(describeListenError(error, portNumber, host));
      process.exit(1);
    };
    this.#node.once('error', onListenError);
    this.#node.once('listening', () => {
      this.#node.off('error', onListenError);
      this.#announce(host);
      this.emit('listening');
    });
    if (callback !== undefined) this.once('listening', callback);
    this.#bind(portNumber, host);
    if (this.#node.listening) {
      // Bound already: no listen error can come now ('listening' itself still fires on the next tick, as in Node).
      this.#node.off('error', onListenError);
      this.#announce(host);
    }
    return this;
  }

  /**
   * Binds the socket. Without a host Node binds inside listen(); an IP address it "looks up" first,
   * which takes a tick, so it is bound here the way Node's listen() binds once it has the address.
   * A `--workers` worker asks the primary, and a host name needs a real lookup: both bind later.
   */
  #bind(port: number, host: string | undefined): void {
    const family = host === undefined ? 0 : isIP(host);
    const bindNow = (this.#node as unknown as { _listen2?: BindNow })._listen2;
    if (family !== 0 && cluster.isPrimary && typeof bindNow === 'function') {
      bindNow.call(this.#node, host!, port, family, undefined, undefined, 0);
    } else {
      this.#node.listen(port, host);
    }
  }

  /** Once bound: remember the port, take over SIGINT/SIGTERM and print the listening line, once. */
  #announce(host: string | undefined): void {
    if (this.#announced) return;
    this.#announced = true;
    // Errors after this point (accept() failing under EMFILE, say) must not kill the process.
    this.#node.on('error', (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      else console.error('krandog: http server error:', error);
    });
    this.#port = (this.#node.address() as AddressInfo).port;
    closeOnSignal(this);
    if (!this.#options.quiet) console.log(`Server listening on ${this.protocol}://${displayHost(host)}:${this.#port}`);
  }

  /**
   * Stops accepting connections, closes idle ones, lets responses in progress finish (then closes
   * their connections) and closes the WebSockets (1001, behind what each had accepted for sending).
   * What is still open after `shutdownTimeout` is dropped. Settles when every connection is closed.
   */
  close(options: CloseOptions = {}): Promise<void> {
    forgetOnSignal(this);
    const force = options.force === true;
    this.#closed ??= this.#drain(force ? 0 : this.#options.shutdownTimeout).then(() => void this.emit('close'));
    if (force) this.#node.closeAllConnections();
    return this.#closed;
  }

  async #drain(graceMs: number): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => {
      // Without a listening socket Node calls back at once (with ERR_SERVER_NOT_RUNNING): nothing to wait for.
      this.#node.close(() => resolve());
    });
    // Node closes idle keep-alive connections in close(), but a connection busy with a response
    // becomes idle later; close it as soon as its response is written.
    const onResponseFinish = (message: unknown): void => {
      if ((message as { server?: unknown }).server === this.#node) setImmediate(() => this.#node.closeIdleConnections());
    };
    diagnostics.subscribe(RESPONSE_FINISH_CHANNEL, onResponseFinish);
    const deadline = setTimeout(() => this.#node.closeAllConnections(), graceMs);
    deadline.unref();
    try {
      await Promise.all([serverClosed, this.#websockets.closeAll(graceMs)]);
    } finally {
      clearTimeout(deadline);
      diagnostics.unsubscribe(RESPONSE_FINISH_CHANNEL, onResponseFinish);
    }
  }
}

/** `http.createServer(handler, options?)`; Node's argument order `(options, handler)` works too. */
export function createServer(handler: HandlerSpec, options?: ServerOptions): Server;
export function createServer(options: ServerOptions, handler: HandlerSpec): Server;
export function createServer(first: HandlerSpec | ServerOptions, second?: HandlerSpec | ServerOptions): Server {
  const [handler, options] = orderArguments(first, second);
  return new Server(handler, options);
}

/**
 * `(handler, options)` from either order. The handler is a function or an object with `request` or
 * `websocket` (or only `routes`/`static`); options have neither, so `({ tls }, { websocket })` reads
 * unambiguously too.
 */
export function orderArguments(first: unknown, second: unknown): [HandlerSpec, ServerOptions | undefined] {
  if (typeof second === 'function' || (typeof first !== 'function' && handlerWeight(second) > handlerWeight(first))) {
    return [second as HandlerSpec, first as ServerOptions];
  }
  return [first as HandlerSpec, second as ServerOptions | undefined];
}

/**
 * How surely an object is the handler: 2 with `request` or `websocket` (never options), 1 with only
 * `routes` or `static` (which options may carry too: `({ static }, { websocket })`), else 0.
 */
function handlerWeight(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  if ('request' in value || 'websocket' in value) return 2;
  return 'routes' in value || 'static' in value ? 1 : 0;
}

/** `serve(port, handler, options?)`: createServer + listen (on `options.host` if given). */
export function serve(port: number | string, handler: HandlerSpec, options?: ServerOptions): Server {
  return new Server(handler, options).listen(port, options?.host);
}

function requestHandlerOf(handler: HandlerSpec): RequestHandler | NodeRequestListener {
  if (typeof handler === 'function') return isNodeStyle(handler) ? handler : withFileResults(handler);
  if (typeof handler === 'object' && handler !== null) {
    const { request, websocket } = handler;
    if (request !== undefined && typeof request !== 'function') throw new TypeError(`http.createServer: handler.request must be a function`);
    if (hasRoutesOrStatic(handler)) return routedHandler(handler);
    if (typeof request === 'function') return withFileResults(request);
    if (websocket !== undefined) return answerNotFound;
  }
  throw new TypeError('http.createServer: the handler must be a function or an object { request(req), routes, static, websocket: {…} }');
}

/** The handler, with the metrics path answered before it (when `options.metrics` is set). */
function withMetrics(handler: RequestHandler | NodeRequestListener, metrics: MetricsEndpoint | undefined): RequestHandler | NodeRequestListener {
  if (metrics === undefined) return handler;
  if (isNodeStyle(handler)) {
    return (req: nodeHttp.IncomingMessage, res: nodeHttp.ServerResponse) => {
      if (pathnameOf(req.url ?? '/') !== metrics.path) return handler(req, res);
      void metrics.respond(req.method ?? 'GET').then(({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    };
  }
  return (req: HttpRequest) => (req.pathname === metrics.path ? metrics.respond(req.method) : handler(req));
}

/** The handler of a server that only has WebSocket handlers: plain HTTP requests find nothing. */
function answerNotFound(): { status: number; body: string } {
  return { status: 404, body: 'Not Found' };
}

/** A function declaring `(req, res)` is a Node listener: it writes to `res` instead of returning. */
function isNodeStyle(handler: RequestHandler | NodeRequestListener): handler is NodeRequestListener {
  return handler.length >= 2;
}

function toPort(port: unknown): number {
  const value = port === undefined ? 0 : typeof port === 'string' && /^\d{1,5}$/.test(port) ? Number(port) : port;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new TypeError(`server.listen: port must be an integer from 0 to 65535, got ${JSON.stringify(port) ?? String(port)}`);
  }
  return value;
}

/** Any-address and loopback binds are announced as `localhost`, the address a person would open. */
function displayHost(host: string | undefined): string {
  if (host === undefined || LOCAL_HOSTS.has(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
