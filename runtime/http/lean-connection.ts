// The lean HTTP/1.1 path: one connection read with Node's own llhttp parser (the one node:http
// uses, so its strictness and limits stay), without node:http's per-request IncomingMessage,
// ServerResponse and streams. It serves requests without a body, one at a time (pipelined ones
// wait in order), and writes a simple result as one write (lean-response.ts).
//
// Whatever it does not cover goes to node:http: at a request that has a body, an Expect or an
// Upgrade header (WebSocket handshakes), at a parse error (node:http answers 400/431 itself) or on
// a connection past maxConnections, the connection is handed over, with the bytes of that request,
// and node:http serves it from there on. A result that is not simple gets a real ServerResponse.
// The parser sits in the server's own connection list, so node:http's headersTimeout,
// requestTimeout, closeIdleConnections() and closeAllConnections() apply to lean connections too.
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionLimit } from './connection-limit.ts';
import type { LeanExchange, RequestDispatcher } from './dispatch.ts';
import { simpleResponse, utcDate } from './lean-response.ts';
import { available, connectionsOf, headersOf, HTTPParser, methods, nodeConnectionListener, type HttpParser } from './node-internals.ts';

/** What the lean connections of one server share. */
export interface LeanHost {
  readonly server: Server;
  readonly dispatcher: RequestDispatcher;
  readonly limit: ConnectionLimit;
  readonly maxHeaderSize: number;
  readonly keepAliveTimeout: number;
  /** The ServerResponse class node:http is configured with (closing-aware). */
  readonly ResponseClass: new (req: IncomingMessage) => ServerResponse;
  isClosing(): boolean;
}

/** The request fields HttpRequest and ServerResponse read: a stand-in for IncomingMessage. */
interface LeanIncoming {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  socket: Socket;
  httpVersionMajor: number;
  httpVersionMinor: number;
}

/** The socket's libuv stream handle, as node:http's parser consumes it. */
interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading: boolean;
  readonly bytesRead: number;
  readStart(): number;
  readStop(): number;
}

type NodeResponse = ServerResponse & { _keepAliveTimeout: number; _last: boolean; _closed: boolean };

// Returned from the headers-complete callback, it makes llhttp stop after this message (as for an
// upgrade) without reading a body: execute() then says where the request ended.
const STOP_AFTER_MESSAGE = 2;
// Node's margin over the advertised keep-alive timeout (HTTP_SERVER_KEEP_ALIVE_TIMEOUT_BUFFER).
const KEEP_ALIVE_MARGIN_MS = 1000;
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
const EMPTY = Buffer.alloc(0);
// Bytes a client may send ahead while a response is pending before reading stops until it is sent.
const BACKLOG_LIMIT = 64 * 1024;
// OutgoingMessage's flag for "a write returned false", looked up on the first response that drains.
let kNeedDrain: symbol | undefined;

/** Serves `socket` on the lean path (node:http's 'connection' listener, for the lean server). */
export class LeanConnection implements LeanExchange {
  readonly #host: LeanHost;
  readonly #socket: Socket;
  readonly #parser: HttpParser;
  readonly #keepAliveLines: string;
  /** The handle the parser reads from itself (reads then skip the socket's stream); else 'data' events. */
  readonly #handle: StreamHandle | undefined;
  /** handle.bytesRead when the last read was parsed: the length of a read is the difference. */
  #bytesSeen = 0;
  /** What closeIdleConnections() reads on `socket._httpMessage` while a response is pending. */
  finished = false;
  /** The bytes of the request head read so far, kept for a hand-over. */
  #partial: Buffer | undefined;
  /** Bytes that arrived while a response was pending. */
  #backlog: Buffer | undefined;
  #parsing = false;
  #busy = false;
  #ended = false;
  #keepAliveArmed = false;
  #handedOver = false;
  // The request being parsed or answered.
  #complete = false;
  #flushedHeaders: string[] = [];
  #flushedUrl = '';
  #rawHeaders: string[] = [];
  #method = '';
  #url = '';
  #versionMajor = 1;
  #versionMinor = 1;
  #keepAlive = false;
  #incoming: LeanIncoming | undefined;
  #response: NodeResponse | undefined;

  constructor(host: LeanHost, socket: Socket) {
    this.#host = host;
    this.#socket = socket;
    const keepAliveSeconds = Math.floor(host.keepAliveTimeout / 1000);
    this.#keepAliveLines = 'Connection: keep-alive\r\n' + (host.keepAliveTimeout > 0 ? `Keep-Alive: timeout=${keepAliveSeconds}\r\n` : '');
    const parser = new HTTPParser();
    parser.initialize(HTTPParser.REQUEST, {}, host.maxHeaderSize, HTTPParser.kLenientNone, connectionsOf(host.server));
    parser.socket = socket;
    parser[HTTPParser.kOnHeaders] = this.#onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = this.#onHeadersComplete;
    parser[HTTPParser.kOnMessageComplete] = this.#onMessageComplete;
    this.#parser = parser;
    const handle = (socket as Socket & { _handle?: StreamHandle | null })._handle ?? undefined;
    if (handle?.isStreamBase === true && handle._consumed !== true) {
      handle._consumed = true;
      parser.consume(handle);
      parser[HTTPParser.kOnExecute] = this.#onExecute;
      this.#handle = handle;
      this.#bytesSeen = handle.bytesRead;
    }
    // Still listened to when consumed: it keeps the stream flowing, so that 'end' comes.
    socket.on('data', this.#onData).on('error', this.#onError).on('end', this.#onEnd).on('close', this.#onClose).on('timeout', this.#onTimeout);
    socket.on('drain', this.#onDrain);
  }

  // llhttp hands over headers in batches of 32 when there are more (and a long URL in pieces).
  readonly #onHeaders = (headers: string[], url: string): void => {
    for (const item of headers) this.#flushedHeaders.push(item);
    this.#flushedUrl += url;
  };

  readonly #onHeadersComplete = (
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _statusCode: unknown,
    _statusMessage: unknown,
    _upgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    this.#versionMajor = major;
    this.#versionMinor = minor;
    this.#method = methods[method]!;
    if (headers === undefined) {
      headers = this.#flushedHeaders;
      this.#flushedHeaders = [];
    }
    if (!url) {
      url = this.#flushedUrl;
      this.#flushedUrl = '';
    }
    this.#rawHeaders = headers;
    this.#url = url;
    this.#keepAlive = shouldKeepAlive;
    return STOP_AFTER_MESSAGE;
  };

  readonly #onMessageComplete = (): void => {
    this.#complete = true;
  };

  readonly #onData = (data: Buffer): void => {
    if (this.#busy) {
      // In order: parsed once the pending response is written. One pending request at a time
      // keeps this bounded; the socket pauses until then.
      this.#backlog = this.#backlog === undefined ? data : Buffer.concat([this.#backlog, data]);
      this.#stopReading();
      return;
    }
    this.#parse(data);
  };

  /** After the parser has parsed one read from the handle itself (stopping after a whole request). */
  readonly #onExecute = (parsed: number | Error): void => {
    const parser = this.#parser;
    const total = this.#handle!.bytesRead;
    const length = total - this.#bytesSeen;
    this.#bytesSeen = total;
    // Reads that go past the stream do not push the socket's inactivity timer back by themselves.
    if (this.#keepAliveArmed) (this.#socket as Socket & { _unrefTimer(): void })._unrefTimer();
    const complete = this.#complete;
    this.#complete = false;
    if (this.#busy) {
      // The parser is paused (#serve): keep the read for later, and keep reading unless the
      // client sends too much meanwhile, so that a client leaving is still noticed.
      const read = parser.getCurrentBuffer();
      this.#backlog = this.#backlog === undefined ? read : Buffer.concat([this.#backlog, read]);
      if (this.#backlog.length > BACKLOG_LIMIT) this.#stopReading();
      return;
    }
    if (typeof parsed !== 'number' || (!complete && parsed !== length) || (complete && !this.#covers())) {
      return this.#handOver(parser.getCurrentBuffer());
    }
    if (!complete) {
      const read = parser.getCurrentBuffer();
      this.#partial = this.#partial === undefined ? read : Buffer.concat([this.#partial, read]);
      return;
    }
    this.#partial = undefined;
    // Pipelined requests after this one: parsed from JavaScript, as 'data' would give them.
    const rest = parsed < length ? parser.getCurrentBuffer().subarray(parsed) : undefined;
    this.#parsing = true;
    this.#serve();
    this.#parsing = false;
    if (rest === undefined || this.#socket.destroyed) return;
    if (this.#busy) this.#backlog = rest;
    else this.#parse(rest);
  };

  /** Parses and answers every whole request in `data`, one message per execute(). */
  #parse(data: Buffer): void {
    this.#parsing = true;
    let start = 0;
    while (start < data.length && !this.#ended && !this.#socket.destroyed) {
      const chunk = start === 0 ? data : data.subarray(start);
      this.#complete = false;
      const parsed = this.#parser.execute(chunk);
      if (typeof parsed !== 'number') return this.#handOver(chunk);
      if (!this.#complete) {
        // A stop short of the end without a whole message is an error llhttp reports that way.
        if (parsed !== chunk.length) return this.#handOver(chunk);
        this.#partial = this.#partial === undefined ? chunk : Buffer.concat([this.#partial, chunk]);
        break;
      }
      if (!this.#covers()) return this.#handOver(chunk);
      this.#partial = undefined;
      start += parsed;
      this.#serve();
      if (this.#busy) {
        if (start < data.length) this.#backlog = data.subarray(start);
        break;
      }
    }
    this.#parsing = false;
  }

  /** Whether the lean path answers the request just parsed. */
  #covers(): boolean {
    if (this.#versionMajor !== 1 || this.#method === 'CONNECT' || this.#host.limit.refuses(this.#socket)) return false;
    const raw = this.#rawHeaders;
    let hasHost = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') hasHost = true;
          break;
        case 6:
          if (name.toLowerCase() === 'expect') return false;
          break;
        case 7:
          if (name.toLowerCase() === 'upgrade') return false;
          break;
        case 14:
          if (name.toLowerCase() === 'content-length' && raw[i + 1] !== '0') return false;
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') return false;
          break;
      }
    }
    // node:http answers an HTTP/1.1 request without Host with 400 (requireHostHeader).
    return hasHost || this.#versionMinor !== 1;
  }

  #serve(): void {
    const socket = this.#socket;
    const incoming: LeanIncoming = {
      method: this.#method,
      url: this.#url,
      headers: headersOf(this.#rawHeaders),
      socket,
      httpVersionMajor: this.#versionMajor,
      httpVersionMinor: this.#versionMinor,
    };
    this.#incoming = incoming;
    this.#response = undefined;
    this.#busy = true;
    // Pending until answered: the handler itself may close the server (closeIdleConnections()).
    (socket as Socket & { _httpMessage?: unknown })._httpMessage = this;
    this.#host.dispatcher.answerLean(incoming, this);
    // Answered later: parse nothing more until then (pipelined requests wait, in order).
    if (this.#busy && this.#handle !== undefined) this.#parser.pause();
  }

  #stopReading(): void {
    const handle = this.#handle;
    if (handle === undefined) this.#socket.pause();
    else if (handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  #startReading(): void {
    const handle = this.#handle;
    if (handle === undefined) this.#socket.resume();
    else if (!handle.reading && !this.#socket.destroyed) {
      handle.reading = true;
      handle.readStart();
    }
  }

  /** LeanExchange: writes `result` at once if it is simple; false leaves it to nodeResponse(). */
  sendSimple(result: unknown, method: string): boolean {
    const simple = simpleResponse(result, method);
    if (simple === undefined) return false;
    const socket = this.#socket;
    const keepAlive = this.#keepAlive && !this.#host.isClosing();
    const head = simple.head + 'Date: ' + utcDate() + '\r\n' + (keepAlive ? this.#keepAliveLines : 'Connection: close\r\n') + '\r\n';
    if (socket.writable) {
      const { body } = simple;
      // As node:http: a text body goes out in one string with the head, UTF-8 encoded.
      if (body === undefined) socket.write(head, 'latin1');
      else if (typeof body === 'string') socket.write(head + body);
      else {
        socket.cork();
        socket.write(head, 'latin1');
        socket.write(body);
        socket.uncork();
      }
    }
    this.#responseDone(!keepAlive);
    return true;
  }

  /** LeanExchange: a ServerResponse on this socket for the request being answered (one per request). */
  nodeResponse(): ServerResponse {
    if (this.#response !== undefined) return this.#response;
    const socket = this.#socket;
    const res = new this.#host.ResponseClass(this.#incoming as unknown as IncomingMessage) as NodeResponse;
    this.#response = res;
    res._keepAliveTimeout = this.#host.keepAliveTimeout;
    res.shouldKeepAlive = this.#keepAlive;
    if (socket.destroyed) {
      // The client left while the handler ran: as node:http's response after its socket closed.
      res.destroyed = true;
      res._closed = true;
      return res;
    }
    // Takes over from this connection as what closeIdleConnections() sees pending.
    const pending = socket as Socket & { _httpMessage?: unknown };
    if (pending._httpMessage === this) pending._httpMessage = null;
    res.assignSocket(socket);
    res.on('finish', () => {
      res.detachSocket(socket);
      process.nextTick(emitClose, res);
      this.#responseDone(res._last);
    });
    return res;
  }

  #responseDone(close: boolean): void {
    const socket = this.#socket as Socket & { _httpMessage?: unknown };
    this.#busy = false;
    this.#incoming = undefined;
    if (socket._httpMessage === this) socket._httpMessage = null;
    if (close) {
      socket.destroySoon();
      return;
    }
    if (!this.#keepAliveArmed && this.#host.keepAliveTimeout > 0) {
      // Armed once: activity pushes it back, and it only closes the connection when idle (#onTimeout).
      this.#keepAliveArmed = true;
      socket.setTimeout(this.#host.keepAliveTimeout + KEEP_ALIVE_MARGIN_MS);
    }
    if (this.#ended) {
      if (socket.writable) socket.end();
      return;
    }
    if (!this.#parsing) {
      // Answered later than the request came: go on with what arrived meanwhile, then read on.
      const backlog = this.#backlog;
      this.#backlog = undefined;
      if (this.#handle !== undefined) this.#parser.resume();
      if (backlog !== undefined) this.#parse(backlog);
      if (!this.#busy && !this.#handedOver) this.#startReading();
    }
  }

  /** Gives the connection to node:http from the request that starts `chunk` (and #partial) on. */
  #handOver(chunk: Buffer): void {
    this.#parsing = false;
    const socket = this.#socket;
    const bytes = this.#partial === undefined ? chunk : Buffer.concat([this.#partial, chunk]);
    this.#partial = undefined;
    this.#detach();
    if (this.#keepAliveArmed) socket.setTimeout(0);
    nodeConnectionListener.call(this.#host.server, socket);
    socket.unshift(bytes.length === 0 ? EMPTY : bytes);
  }

  #detach(): void {
    this.#handedOver = true;
    this.#socket.off('data', this.#onData).off('error', this.#onError).off('end', this.#onEnd).off('close', this.#onClose).off('timeout', this.#onTimeout);
    this.#socket.off('drain', this.#onDrain);
    if (this.#handle !== undefined) {
      this.#parser.unconsume();
      this.#handle._consumed = false; // node:http consumes it again
    }
    this.#freeParser();
  }

  #freeParser(): void {
    const parser = this.#parser;
    parser.remove();
    // Possibly inside one of its own callbacks: deleted once the stack has unwound (as node:http does).
    setImmediate(() => parser.close());
  }

  // As node:http's socketOnError: a 'clientError' listener decides, else a short answer and destroy.
  readonly #onError = (error: NodeJS.ErrnoException): void => {
    const socket = this.#socket;
    socket.off('error', this.#onError).on('error', noop);
    if (this.#host.server.emit('clientError', error, socket)) return;
    const pending = (socket as Socket & { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
    if (socket.writable && (pending == null || pending._headerSent !== true)) {
      socket.write(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT : BAD_REQUEST);
    }
    socket.destroy(error);
  };

  // As node:http with allowHalfOpen off: an unfinished head is dropped, else the connection ends.
  readonly #onEnd = (): void => {
    this.#ended = true;
    if (this.#partial !== undefined) this.#socket.destroy();
    else if (this.#socket.writable) this.#socket.end();
  };

  readonly #onClose = (): void => {
    if (this.#handle !== undefined) this.#parser.unconsume();
    this.#freeParser();
  };

  // As node:http's socketOnDrain: a ServerResponse waiting to write more hears that it may.
  readonly #onDrain = (): void => {
    const res = this.#response as (NodeResponse & Record<symbol, unknown>) | undefined;
    if (res === undefined || res.finished) return;
    kNeedDrain ??= Object.getOwnPropertySymbols(res).find((symbol) => symbol.description === 'kNeedDrain');
    if (kNeedDrain !== undefined && res[kNeedDrain] === true) {
      res[kNeedDrain] = false;
      res.emit('drain');
    }
  };

  /** The keep-alive timeout (socket inactivity): closes the connection only between requests. */
  readonly #onTimeout = (): void => {
    if (!this.#busy && this.#partial === undefined) this.#socket.destroy();
  };
}

function emitClose(res: NodeResponse): void {
  if (res._closed) return;
  res.destroyed = true;
  res._closed = true;
  res.emit('close');
}

function noop(): void {}

/**
 * Whether a server takes the lean path: only with KRANDOG_HTTP_PATH=lean for now (WebSocket
 * connections handed over from it to node:http were measured slower than node:http's own: until that
 * is found, node:http serves by default), where the internals exist, and unless node:http was asked to
 * be lenient (--insecure-http-parser), which the lean parser is not.
 */
export function leanPathWanted(): boolean {
  const choice = process.env.KRANDOG_HTTP_PATH;
  if (choice !== 'lean' || !available) return false;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return !flags.includes('--insecure-http-parser');
}

/** Makes `host.server` give its connections to the lean path (node:http gets them when handed over). */
export function useLeanPath(host: LeanHost): void {
  host.server.off('connection', nodeConnectionListener);
  host.server.prependListener('connection', (socket: Socket) => void new LeanConnection(host, socket));
}
