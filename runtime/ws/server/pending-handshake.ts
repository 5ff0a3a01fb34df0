// The two ways a WebSocket opening is answered: a 101 on an HTTP/1.1 socket (RFC 6455 §4.2.2), or
// a 200 on an HTTP/2 stream (RFC 8441 §5). attach.ts runs the same checks and hooks for both and
// talks to the transport through this interface.
import type { Socket } from 'node:net';
import type { ServerHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { STATUS_CODES } from 'node:http';
import { rejectUpgrade, writeSwitchingProtocols } from './upgrade.ts';
import { socketOfSession } from '../../util/h2-sessions.ts';
import type { ServerWebSocket } from './server-socket.ts';
import type { SocketConnection } from '../transport/socket-transport.ts';
import type { StreamConnection } from '../transport/stream-transport.ts';

type HeaderRecord = Record<string, string | readonly string[]>;

export interface PendingHandshake {
  /** The connection the opening came on (for the connection limit and remoteAddress). */
  readonly socket: Socket;
  /** The client left before the answer. */
  readonly isGone: boolean;
  /** Answers with an HTTP error; the socket (HTTP/1.1) or the stream (HTTP/2) is closed after it. */
  refuse(status: number, body: string, headers?: HeaderRecord): void;
  /** Sends the acceptance; returns what the connection runs on. `headerLines` are `Name: value\r\n` lines. */
  accept(key: string, protocol: string | undefined, headerLines: string, extensions: string | undefined): Socket | ServerHttp2Stream;
  /** After the `open` hook: start reading and let what it sent leave. */
  start(ws: ServerWebSocket): void;
}

/** An HTTP/1.1 upgrade: the socket Node handed over with its 'upgrade' event. */
export class SocketHandshake implements PendingHandshake {
  readonly socket: Socket;
  readonly #head: Buffer;

  constructor(socket: Socket, head: Buffer) {
    this.socket = socket;
    this.#head = head;
  }

  get isGone(): boolean {
    return this.socket.destroyed;
  }

  refuse(status: number, body: string, headers?: HeaderRecord): void {
    rejectUpgrade(this.socket, status, body, headers);
  }

  accept(key: string, protocol: string | undefined, headerLines: string, extensions: string | undefined): Socket {
    // The 101, whatever `open` sends and the answers to frames in `head` leave in one write.
    this.socket.cork();
    writeSwitchingProtocols(this.socket, key, protocol, headerLines, extensions);
    return this.socket;
  }

  start(ws: ServerWebSocket): void {
    // Bytes that came in the same read as the request are the first frames (RFC 6455 §4.2.2 lets
    // a client send frames right after its handshake).
    (ws.connection as SocketConnection).start(this.#head);
    this.socket.uncork();
  }
}

/** An HTTP/2 extended CONNECT (RFC 8441): the stream carries the WebSocket. */
export class StreamHandshake implements PendingHandshake {
  readonly stream: ServerHttp2Stream;

  constructor(stream: ServerHttp2Stream) {
    this.stream = stream;
  }

  get socket(): Socket {
    const session = this.stream.session!;
    return socketOfSession(session) ?? (session.socket as Socket);
  }

  get isGone(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  refuse(status: number, body: string, headers?: HeaderRecord): void {
    const stream = this.stream;
    if (this.isGone) return;
    const text = body === '' ? (STATUS_CODES[status] ?? 'Error') : body;
    const response: OutgoingHttpHeaders = { ...lowerCaseNames(headers), ':status': status, 'content-type': 'text/plain; charset=utf-8' };
    try {
      stream.respond(response);
      stream.end(text);
    } catch {
      stream.destroy();
    }
  }

  accept(_key: string, protocol: string | undefined, headerLines: string, extensions: string | undefined): ServerHttp2Stream {
    // RFC 8441 §5: 200, and no Sec-WebSocket-Accept (there is no key to prove).
    const response: OutgoingHttpHeaders = { ...parseHeaderLines(headerLines), ':status': 200 };
    if (protocol !== undefined) response['sec-websocket-protocol'] = protocol;
    if (extensions !== undefined && extensions !== '') response['sec-websocket-extensions'] = extensions;
    this.stream.respond(response);
    return this.stream;
  }

  start(ws: ServerWebSocket): void {
    (ws.connection as StreamConnection).start();
  }
}

function lowerCaseNames(headers: HeaderRecord | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (headers === undefined || headers === null) return out;
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  return out;
}

/** Lines already checked by decideUpgrade (no CR/LF inside) back into h2 headers (lower-case names). */
function parseHeaderLines(lines: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const line of lines.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    const earlier = out[name];
    out[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return out;
}
