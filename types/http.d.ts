// Types of krandog's `http` module: what `import http from 'http'` (or 'node:http') gives a
// krandog script, and the `http` and `serve` globals.
//
// A module augmentation of @types/node's `http` (which 'node:http' re-exports): as an augmentation
// its createServer overload is tried before Node's, whatever order the files load in; serve() and
// the types below are added; Node's client API (request, get, Agent, METHODS…), which krandog's
// module re-exports, keeps its types. So @types/node must be installed.
export {};

declare module 'http' {
  /** Header names in lower case, as Node gives them; repeated headers joined by `, ` (set-cookie: an array). */
  export type IncomingHeaders = Record<string, string | string[] | undefined>;

  /** Query-string parameters, percent-decoded; a repeated key gives an array. */
  export type Query = Record<string, string | string[]>;

  /**
   * What a handler receives. For an HTTP request (`type` 'http') every field but `ws` and `data`
   * is set. With a function handler, each WebSocket message also calls it, with `type`
   * 'websocket', `ws`, `data`, and the upgrade request's `pathname`, `query` and `headers`.
   */
  export interface Request {
    readonly type?: 'http' | 'websocket';
    /** Request method as sent: 'GET', 'POST', … */
    readonly method: string;
    /** Request target as sent: path and query string. */
    readonly url: string;
    /** Path part of `url`, without the query string. */
    readonly pathname: string;
    readonly query: Query;
    readonly headers: IncomingHeaders;
    /** The body as UTF-8 text; '' when there is none. */
    readonly body: string;
    /** The raw body. */
    readonly bytes: Buffer;
    /** The parsed body when Content-Type is JSON and it parses; undefined otherwise (never throws). */
    readonly json: unknown;
    /** The client's IP address. */
    readonly remoteAddress: string | undefined;
    /** Path parameters of the matched route (`:id` → `params.id`, a final `*` → `params['*']`), percent-decoded; `{}` without one. */
    readonly params: Readonly<Record<string, string>>;
    /** The connection a WebSocket message came on (type 'websocket'): the same object for every message. */
    readonly ws?: ServerWebSocket;
    /** A WebSocket message (type 'websocket'): a string for text, a Buffer for binary. */
    readonly data?: string | Buffer;
  }

  /** Header values of a response; an array sends the header once per value. */
  export type ResponseHeaders = Record<string, string | number | readonly string[]>;

  /** What a handler returns: a plain object, a WHATWG Response, or nothing (for WebSocket messages). */
  export interface ResponseObject {
    /** Status code. Default 200. */
    status?: number;
    headers?: ResponseHeaders;
    /** Content-Type. Default: text/plain for strings, application/octet-stream for bytes, application/json for objects. */
    type?: string;
    /**
     * A string; bytes (Buffer, Uint8Array, ArrayBuffer, SharedArrayBuffer); a plain object or array (sent as JSON);
     * null or undefined (empty); or an async iterable / ReadableStream of chunks (streamed).
     */
    body?: unknown;
  }

  /** Options of {@link file}. */
  export interface FileOptions {
    /** Extra response headers (Cache-Control, …); the file's own (Content-Length, ETag, …) win. */
    headers?: ResponseHeaders;
    /** Content-Type instead of the one from the file's extension. */
    type?: string;
  }

  /** What `http.file()` returns: a file to send as the response, decided per request (304, Range, .br/.gz). */
  export interface FileResponse {
    /** The file's absolute path. */
    readonly path: string;
    readonly headers: ResponseHeaders | undefined;
    readonly type: string | undefined;
  }

  /**
   * A file as a response, from a handler or as a route's value: streamed from disk with its MIME
   * type, ETag/Last-Modified (304), Range (206/416), HEAD, and a `.br`/`.gz` sibling for clients that
   * accept it. A relative path is taken from the script's folder, not the working directory.
   */
  export function file(path: string, options?: FileOptions): FileResponse;

  export type HandlerResult = ResponseObject | Response | FileResponse | void;

  /** A function handler: HTTP requests and, on a WebSocket server, every message. */
  export type Handler = (req: Request) => HandlerResult | Promise<HandlerResult>;

  /** What a server WebSocket's `onclose` and `close` listeners receive. */
  export interface ServerCloseEvent {
    readonly type: 'close';
    /** The peer's close code (1005 when its close frame had none; 1006 when TCP ended without one). */
    readonly code: number;
    readonly reason: string;
    /** Whether both close frames went across before TCP closed. */
    readonly wasClean: boolean;
    readonly target: ServerWebSocket;
  }

  export type ServerCloseListener = ((event: ServerCloseEvent) => unknown) | { handleEvent(event: ServerCloseEvent): unknown };

  /** A server-side WebSocket connection (`req.ws`, and the argument of the lifecycle hooks). */
  export interface ServerWebSocket {
    readonly CONNECTING: 0;
    readonly OPEN: 1;
    readonly CLOSING: 2;
    readonly CLOSED: 3;
    /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
    readonly readyState: 0 | 1 | 2 | 3;
    /** Bytes sent that the kernel has not taken yet (the peer has not read them): frames, not messages. */
    readonly bufferedAmount: number;
    /** The subprotocol chosen in the handshake; '' when none. */
    readonly protocol: string;
    /** The agreed Sec-WebSocket-Extensions value; '' when none. */
    readonly extensions: string;
    readonly remoteAddress: string;
    /** Path, parsed query and headers of the upgrade request. */
    readonly pathname: string;
    readonly query: Query;
    readonly headers: IncomingHeaders;
    /** A slot for the script's own per-connection state (the `upgrade` hook's `data` lands here). */
    data: unknown;
    /**
     * Sends a text (string) or binary message. Returns the message's size in bytes (UTF-8 for text)
     * when it was accepted; -1 when it was accepted but more than `backpressureLimit` bytes now wait
     * for the peer (send more after the `drain` hook); 0 when the connection is not open and the
     * message was dropped. Accepted messages are all delivered, in order, to a peer that reads.
     */
    send(data: string | ArrayBuffer | ArrayBufferView): number;
    /** Starts the close handshake (code 1000 by default); an invalid code or a reason over 123 bytes throws RangeError. */
    close(code?: number, reason?: string): void;
    /** Drops the connection at once, without a close handshake (code 1006). */
    terminate(): void;
    /** Sends a ping of at most 125 bytes. */
    ping(data?: string | ArrayBuffer | ArrayBufferView): void;
    /**
     * Inbound flow control: delivers no more messages of this connection and stops reading its
     * socket until `resume()`, so TCP holds a fast sender back. Messages already read wait, in order.
     */
    pause(): void;
    /** Delivers what waited, in order, and reads the socket again. */
    resume(): void;
    /** True from `pause()` until `resume()`. */
    readonly isPaused: boolean;
    /** Subscribes to a topic: `publish` to it reaches this socket. No effect when already subscribed or closed. */
    subscribe(topic: string): void;
    /** Leaves a topic; no effect when not subscribed. A closed socket leaves its topics by itself. */
    unsubscribe(topic: string): void;
    isSubscribed(topic: string): boolean;
    /** The topics this socket is subscribed to (a copy). */
    readonly subscriptions: string[];
    /**
     * Sends a message to every subscriber of `topic` but this socket (in every process, with a
     * backplane). Returns the message's size in bytes, 0 when it was dropped.
     */
    publish(topic: string, data: string | ArrayBuffer | ArrayBufferView): number;
    onclose: ((event: ServerCloseEvent) => unknown) | null;
    addEventListener(type: 'close', listener: ServerCloseListener): void;
    removeEventListener(type: 'close', listener: ServerCloseListener): void;
  }

  /** What the `message` hook's third argument is: the object a function handler gets per message. */
  export interface WebSocketMessage {
    readonly type: 'websocket';
    readonly ws: ServerWebSocket;
    /** A string for a text message, a Buffer for a binary one. */
    readonly data: string | Buffer;
    readonly pathname: string;
    readonly headers: IncomingHeaders;
    readonly query: Query;
  }

  /** The upgrade request given to the `upgrade` hook. */
  export interface UpgradeRequest {
    readonly type: 'upgrade';
    readonly method: string;
    readonly url: string;
    readonly pathname: string;
    readonly query: Query;
    readonly headers: IncomingHeaders;
    readonly remoteAddress: string;
    /** Subprotocols the client offered. */
    readonly protocols: readonly string[];
  }

  /** Lifecycle hooks of an object handler's `websocket` member. */
  export interface WebSocketHooks {
    /** Accept (return nothing/true, or `{ protocol, data, headers }`) or refuse (false, a status, or `{ status, body, headers }`). */
    upgrade?(
      req: UpgradeRequest,
    ):
      | void
      | boolean
      | number
      | { protocol?: string; data?: unknown; headers?: ResponseHeaders }
      | { status: number; body?: string; headers?: ResponseHeaders }
      | Promise<unknown>;
    open?(ws: ServerWebSocket): unknown;
    message?(ws: ServerWebSocket, data: string | Buffer, req: WebSocketMessage): unknown;
    close?(ws: ServerWebSocket, code: number, reason: string): unknown;
    drain?(ws: ServerWebSocket): unknown;
  }

  /** The `:name` segments of a route path, as a union of names. */
  type RouteParamNames<Path extends string> = Path extends `${infer Head}/${infer Tail}`
    ? RouteParamNames<Head> | RouteParamNames<Tail>
    : Path extends `:${infer Name}`
      ? Name
      : never;

  /** `req.params` of a route: `/users/:id` gives `{ id: string }`, a final `*` adds `'*'`. */
  export type RouteParams<Path extends string> = string extends Path
    ? Readonly<Record<string, string>>
    : Readonly<{ [Name in RouteParamNames<Path>]: string } & (Path extends `${string}/*` ? { '*': string } : {})>;

  /** The request a route's handler gets: its `params` typed from the route's path. */
  export interface RouteRequest<Path extends string = string> extends Request {
    readonly params: RouteParams<Path>;
  }

  /** What a route answers with: a handler, or a file. */
  export type RouteTarget<Path extends string = string> = ((req: RouteRequest<Path>) => HandlerResult | Promise<HandlerResult>) | FileResponse;

  /** A route: one target for every method, or one per method in capitals (`{ GET, POST }`; others get 405). */
  export type RouteValue<Path extends string = string> = RouteTarget<Path> | { readonly [method: string]: RouteTarget<Path> };

  /** An object handler: one member per kind of traffic. */
  export interface HandlerObject<Paths extends string = string> {
    /** Routes by path: `/users/:id` (in `req.params.id`), a final `*` (in `req.params['*']`). Tried first. */
    routes?: { readonly [Path in Paths]: RouteValue<Path> };
    /** A folder whose files answer GET and HEAD (relative to the script's folder). Tried after the routes. */
    static?: string;
    /** Everything the routes and the folder do not answer (default: 404). */
    request?: Handler;
    websocket?: WebSocketHooks;
  }

  /** Tuning of permessage-deflate (RFC 7692), given as `perMessageDeflate: { … }`. */
  export interface DeflateOptions {
    /** Messages smaller than this many bytes are sent uncompressed (default 1024). */
    threshold?: number;
    /**
     * Messages larger than this are sent uncompressed (default 1 MiB). Compression runs synchronously
     * on the event loop; this bounds how long one message can hold it.
     */
    maxCompressBytes?: number;
    /** zlib compression level 0–9 (default 6: zlib's own default). */
    level?: number;
    /** zlib memLevel 1–9 (default 8). */
    memLevel?: number;
    /** Largest LZ77 window the server compresses with, 9–15 (default 15). */
    serverMaxWindowBits?: number;
  }

  export interface KrandogServerOptions {
    /** Do not print `Server listening on …` (also KRANDOG_QUIET=1). */
    quiet?: boolean;
    /** Largest request body in bytes; larger gets 413. Default 1 MiB. */
    maxBodySize?: number;
    /** Milliseconds a client has to send the request headers (else 408). Default 20 000. */
    headersTimeout?: number;
    /** Milliseconds a client has to send the whole request, headers and body (else 408). Default 60 000. */
    requestTimeout?: number;
    /** Milliseconds an idle keep-alive connection stays open between requests. Default 5 000. */
    keepAliveTimeout?: number;
    /** Largest request head (request line and headers) in bytes; larger gets 431. Default 16 KiB. */
    maxHeaderSize?: number;
    /** Host for serve() to bind (`listen()` takes it as an argument). Default: all interfaces. */
    host?: string;
    /** Largest WebSocket message in bytes; larger closes with 1009. Default 16 MiB. */
    maxPayload?: number;
    /** Most frames one WebSocket message may span; more closes with 1009. Default 131 072. */
    maxFragments?: number;
    /**
     * Bytes that may wait for a WebSocket peer before `send()` returns -1. A peer that holds back more
     * than this and takes none of it for 2 seconds is closed with 1008. Default 16 MiB.
     */
    backpressureLimit?: number;
    /** Milliseconds without any frame from the peer before a WebSocket is closed (1001). Default 120 000; 0 = never. */
    idleTimeout?: number;
    /** Milliseconds of silence after which the server pings the peer. Default 30 000; 0 = no keepalive pings. */
    pingInterval?: number;
    /** Milliseconds a pinged peer has to send something back before it is dropped. Default 10 000. */
    pongTimeout?: number;
    /** Milliseconds to wait for the peer's close frame before dropping TCP. Default 5 000. */
    closeTimeout?: number;
    /** Subprotocols the server speaks; the first one the client offers from this list is chosen. */
    protocols?: readonly string[];
    /**
     * permessage-deflate (RFC 7692) when the client offers it. Off by default: a compressed message
     * costs the server several times the CPU of a plain one. `true` compresses messages from 1 KiB to
     * 1 MiB, each on its own (no context takeover, so idle connections hold no zlib memory); an
     * object tunes it.
     */
    perMessageDeflate?: boolean | DeflateOptions;
    /**
     * Deliver a WebSocket's next message only once the handler's promise for the previous one settled
     * (resolved or rejected): one message at a time per connection, in order, and the socket is not
     * read meanwhile, so TCP holds a fast sender back. A handler that returns no promise is not waited
     * for. Default false (handlers run as messages arrive, as in Bun and ws).
     */
    sequentialMessages?: boolean;
    /** Browser origins allowed to open WebSockets (others get 403); requests without an Origin header pass. */
    allowOrigins?: readonly string[] | ((origin: string) => boolean);
    /**
     * Where publish goes beyond this process: a `redis://host:port` URL or `{ url, channel }` for Redis
     * pub/sub (a channel `<channel>:<topic>` per topic, held while the process has a subscriber);
     * `cluster: true` when `url` is a node of a Redis Cluster (sharded pub/sub, Redis 7; default:
     * KRANDOG_PUBSUB_CLUSTER=1); `false` for this process only. Default: KRANDOG_PUBSUB, else the cluster primary under
     * `krandog --workers`, else this process only. `timeout`: milliseconds Redis may leave a health
     * check unanswered before it counts as down (default 2 000); `queueLimit`: bytes of messages that
     * may wait for the backplane (default 64 MiB, each message counted with 1 KiB more than its size;
     * past it they reach this process only).
     */
    pubsub?: string | false | { url?: string; cluster?: boolean; channel?: string; timeout?: number; queueLimit?: number };
    /** Most connections (HTTP and WebSocket together) held at once; a request or upgrade past it gets 503. Default 10 000; 0 = no limit. */
    maxConnections?: number;
    /** Milliseconds server.close() (and SIGINT/SIGTERM) waits for responses in progress and WebSocket closes. Default 10 000. */
    shutdownTimeout?: number;
    /** Milliseconds an async `upgrade` hook has to settle; past it the client gets 503. Default 10 000. */
    upgradeTimeout?: number;
    /** Serve HTTPS and wss:// with these TLS options: `{ key, cert }` (or `pfx`) and anything node:tls takes. */
    tls?: import('node:tls').TlsOptions;
    /** With `tls`: speak HTTP/2 too on the same port (ALPN h2, HTTP/1.1 still served) and accept WebSockets over HTTP/2 (RFC 8441). Default true with `tls`; `false` serves HTTP/1.1 only. */
    http2?: boolean;
    /** The handler object's `routes`, given with the options instead (not in both). */
    routes?: HandlerObject['routes'];
    /** The handler object's `static` folder, given with the options instead (not in both). */
    static?: string;
    /** Answer GET/HEAD for this path (e.g. `'/metrics'`) with `server.stats()` in the Prometheus text format (needs `prom-client`). */
    metrics?: string;
  }

  /** What `server.stats()` returns: counts of this server in this process since it started. */
  export interface ServerStats {
    http: {
      /** Open HTTP connections (WebSocket connections not included). */
      connections: number;
      /** Requests received. */
      requests: number;
    };
    websocket: {
      /** Open WebSocket connections. */
      connections: number;
      /** Connections accepted. */
      opened: number;
      /** Messages received. */
      messagesIn: number;
      /** Messages sent: `ws.send` and publish deliveries. */
      messagesOut: number;
      /** Bytes read from / written to WebSocket sockets (handshake and framing included, after compression). */
      bytesIn: number;
      bytesOut: number;
      /** Open connections with more than `backpressureLimit` bytes waiting for the peer. */
      backpressured: number;
      /** Closed connections by close code: `{ '1000': 12, '1006': 1 }`. */
      closes: Record<string, number>;
    };
    pubsub: {
      /** Topics with at least one subscriber in this process. */
      topics: number;
      /** Messages published from this process. */
      publishes: number;
      /** Published messages written to subscribers in this process (from every process). */
      deliveries: number;
      backplane: 'none' | 'cluster' | 'redis';
      connected: boolean;
      /** Published messages that reached this process only (backplane down, or its queue full). */
      dropped: number;
    };
  }

  /** The events of a {@link KrandogServer}, as Node's http.Server emits them. */
  export interface KrandogServerEvents {
    /** The server is bound and accepting connections. */
    listening: [];
    /** close() has finished: the server and every connection are closed. */
    close: [];
    /** listen() failed (EADDRINUSE…) or the server hit an error; with no listener krandog prints it (and exits 1 for listen). */
    error: [error: NodeJS.ErrnoException];
  }

  /** What createServer() and serve() return (krandog's server, not Node's http.Server). */
  export interface KrandogServer extends NodeJS.EventEmitter<KrandogServerEvents> {
    /**
     * The port listened on (the real one after listen(0)); undefined before. Set when listen()
     * returns, unless the host is a name to look up (or under `--workers`): then on `'listening'`.
     */
    readonly port: number | undefined;
    readonly listening: boolean;
    /** Node's `server.address()`: `{ address, family, port }` while listening, else null. */
    address(): import('node:net').AddressInfo | null;
    /** 'https' when created with `tls`, else 'http'. */
    readonly protocol: 'http' | 'https';
    /**
     * Starts listening and prints `Server listening on http://localhost:<port>`; port 0 picks a free
     * one. `callback` runs on `'listening'`; for a host name, `await once(server, 'listening')`.
     */
    listen(port?: number | string, host?: string, callback?: () => void): this;
    listen(port: number | string, callback: () => void): this;
    /** Stops accepting; settles when the server and all its connections are closed. */
    close(options?: { force?: boolean }): Promise<void>;
    /**
     * Sends a message to every WebSocket subscribed to `topic` (in every process, with a backplane),
     * framed once for all. Returns the message's size in bytes, 0 when nobody could get it.
     */
    publish(topic: string, data: string | ArrayBuffer | ArrayBufferView): number;
    /** How many WebSockets of this process are subscribed to `topic`. */
    subscriberCount(topic: string): number;
    /**
     * The pub/sub backplane, whether it is connected, and how many published messages reached this
     * process's subscribers only (backplane down, or its queue full).
     */
    readonly pubsub: { readonly backplane: 'none' | 'cluster' | 'redis'; readonly connected: boolean; readonly dropped: number };
    /** Open connections, requests, WebSocket messages and bytes, closes by code, publishes and deliveries: a new object each call. */
    stats(): ServerStats;
  }

  export function createServer<Paths extends string = string>(handler: Handler | HandlerObject<Paths>, options?: KrandogServerOptions): KrandogServer;
  /** Options first, as Node orders them: `createServer({ tls: { key, cert } }, handler)`. */
  export function createServer<Paths extends string = string>(options: KrandogServerOptions, handler: Handler | HandlerObject<Paths>): KrandogServer;
  /** createServer(handler, options) plus listen(port). */
  export function serve<Paths extends string = string>(port: number | string, handler: Handler | HandlerObject<Paths>, options?: KrandogServerOptions): KrandogServer;
}
