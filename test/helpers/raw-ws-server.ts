// A hostile WebSocket server over raw TCP for the client's tests: it reads the client's handshake
// request, answers with whatever a test writes (a wrong accept key, an unoffered subprotocol, frames
// no server may send), and records every byte the client puts on the wire.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { decodeFrames, type DecodedFrame } from './frames.ts';

export interface HandshakeRequest {
  /** "GET /path?query HTTP/1.1" */
  requestLine: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
}

/** One client connection to the raw server. */
export class RawServerConnection {
  readonly socket: net.Socket;
  readonly request: HandshakeRequest;
  /** Resolves when the client ended or closed the TCP connection. */
  readonly ended: Promise<void>;
  #received: Buffer;
  #wake: (() => void) | undefined;

  constructor(socket: net.Socket, request: HandshakeRequest, rest: Buffer) {
    this.socket = socket;
    this.request = request;
    this.#received = rest;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
    this.ended = new Promise((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
    });
    socket.on('error', () => {});
  }

  /** Every complete frame the client sent after its request, unmasked, with the mask bit noted. */
  get frames(): DecodedFrame[] {
    return decodeFrames(this.#received).frames;
  }

  /** The raw bytes of the client's frames (to check masking keys). */
  get bytes(): Buffer {
    return this.#received;
  }

  /** Waits until the client has sent `count` frames (or closed the connection). */
  async waitForFrames(count: number): Promise<DecodedFrame[]> {
    let closed = false;
    void this.ended.then(() => {
      closed = true;
      this.#wake?.();
    });
    while (this.frames.length < count && !closed) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
    return this.frames;
  }

  /** The valid 101 answer for this request, with header overrides (undefined drops a header). */
  accept(overrides: Record<string, string | undefined> = {}, statusLine = 'HTTP/1.1 101 Switching Protocols'): void {
    this.socket.write(responseHead(statusLine, { ...acceptHeaders(this.request.headers['sec-websocket-key']), ...overrides }));
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }
}

/** Upgrade, Connection and the correct Sec-WebSocket-Accept for `key`. */
export function acceptHeaders(key: string | undefined): Record<string, string> {
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  return { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Accept': accept };
}

export function responseHead(statusLine: string, headers: Record<string, string | undefined>): string {
  let head = `${statusLine}\r\n`;
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) head += `${name}: ${value}\r\n`;
  return `${head}\r\n`;
}

export interface RawServer {
  port: number;
  url: string;
  /** Resolves with the next connection once its handshake request has arrived. */
  nextConnection(): Promise<RawServerConnection>;
  /** How many TCP connections were accepted. */
  readonly connections: number;
}

/** Each raw server with its sockets, so that stopping it also drops its connections. */
const servers = new Map<net.Server, Set<net.Socket>>();

export async function startRawServer(): Promise<RawServer> {
  const server = net.createServer();
  const sockets = new Set<net.Socket>();
  servers.set(server, sockets);
  const ready: RawServerConnection[] = [];
  const waiting: Array<(connection: RawServerConnection) => void> = [];
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const [requestLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      const connection = new RawServerConnection(socket, { requestLine, headers }, buffered.subarray(end + 4));
      const taker = waiting.shift();
      if (taker) taker(connection);
      else ready.push(connection);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    nextConnection: () => {
      const connection = ready.shift();
      return connection ? Promise.resolve(connection) : new Promise((resolve) => waiting.push(resolve));
    },
    get connections() {
      return connections;
    },
  };
}

/** Closes every raw server of the current file and its connections (afterEach). */
export async function stopRawServers(): Promise<void> {
  const all = [...servers];
  servers.clear();
  await Promise.all(
    all.map(([server, sockets]) => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
}
