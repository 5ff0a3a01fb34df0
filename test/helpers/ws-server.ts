// Test harness for the WebSocket server: an in-process krandog server on 127.0.0.1:0, clients from
// the `ws` package (an independent implementation), and a raw-socket client that writes any bytes.
import { once } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { createServer, type HandlerSpec, type Server } from '../../runtime/http/server.ts';
import type { ServerOptions } from '../../runtime/http/options.ts';
import { decodeFrames, type DecodedFrame } from './frames.ts';
import { within } from './within.ts';

export interface InProcessServer {
  server: Server;
  port: number;
  url: string;
}

const running = new Set<Server>();

/** A krandog http server with `handler`, listening on a free loopback port. */
export async function startInProcessServer(handler: unknown, options: ServerOptions = {}): Promise<InProcessServer> {
  const server = createServer(handler as HandlerSpec, { quiet: true, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.add(server);
  return { server, port: server.port!, url: `ws://127.0.0.1:${server.port}` };
}

/** Closes every server started by the current test file (use in afterEach). */
export async function stopServers(): Promise<void> {
  const servers = [...running];
  running.clear();
  await Promise.all(servers.map((server) => server.close({ force: true })));
}

/** Messages each client received and nobody has taken yet (recorded from the start: `open` may send). */
const inboxes = new WeakMap<WebSocket, { messages: ClientMessage[]; wake: (() => void) | undefined }>();

/** A `ws` client, resolved once open; its messages are recorded from the first byte. */
export async function openClient(url: string, protocols?: string | string[], options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const client = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  const inbox: { messages: ClientMessage[]; wake: (() => void) | undefined } = { messages: [], wake: undefined };
  inboxes.set(client, inbox);
  client.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    inbox.messages.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), isBinary });
    inbox.wake?.();
  });
  await within(
    new Promise<void>((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    }),
    10_000,
    `client never opened ${url}`,
  );
  return client;
}

export interface ClientMessage {
  data: Buffer;
  isBinary: boolean;
}

/** The next `count` messages a client from openClient() receives. */
export function nextMessages(client: WebSocket, count: number): Promise<ClientMessage[]> {
  const inbox = inboxes.get(client)!;
  const take = async (): Promise<ClientMessage[]> => {
    while (inbox.messages.length < count) await new Promise<void>((resolve) => (inbox.wake = resolve));
    inbox.wake = undefined;
    return inbox.messages.splice(0, count);
  };
  return within(take(), 20_000, `client did not get ${count} messages in time`);
}

export async function nextMessage(client: WebSocket): Promise<ClientMessage> {
  return (await nextMessages(client, 1))[0];
}

/** The close a `ws` client saw (code and reason), once its TCP connection is gone. */
export function clientClosed(client: WebSocket): Promise<{ code: number; reason: string }> {
  if (client.readyState === WebSocket.CLOSED) throw new Error('client already closed; listen before acting');
  return within(
    new Promise((resolve) => client.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    10_000,
    'client never closed',
  );
}

/** A deferred value a server handler can resolve from inside a callback. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A valid upgrade request's text; `headers` override or (with undefined) remove the defaults. */
export function upgradeRequest(path = '/', headers: Record<string, string | undefined> = {}, requestLine?: string): string {
  const all: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name}: ${value}\r\n`);
  return `${requestLine ?? `GET ${path} HTTP/1.1`}\r\n${lines.join('')}\r\n`;
}

/**
 * A client that writes exactly the bytes it is given and records everything the server sends:
 * the HTTP response head, then WebSocket frames. `ended` resolves when the server sends FIN.
 */
export class RawClient {
  readonly socket: net.Socket;
  readonly ended: Promise<void>;
  readonly closed: Promise<void>;
  #received = Buffer.alloc(0);
  #waiters: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    this.ended = new Promise((resolve) => socket.once('end', resolve));
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  write(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits until `ready(received)` is true for the bytes received so far. */
  async waitFor(ready: (received: Buffer) => boolean, what: string): Promise<Buffer> {
    const wait = async (): Promise<Buffer> => {
      while (!ready(this.#received)) {
        if (this.socket.readableEnded || this.socket.destroyed) {
          if (ready(this.#received)) break;
          throw new Error(`connection ended before ${what}; got ${JSON.stringify(this.#received.toString('latin1').slice(0, 200))}`);
        }
        await new Promise<void>((resolve) => {
          this.#waiters.push(resolve);
          this.socket.once('close', resolve);
        });
      }
      return this.#received;
    };
    return within(wait(), 10_000, `timed out waiting for ${what}`);
  }

  /** The HTTP response head: status and lower-cased headers. */
  async response(): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const bytes = await this.waitFor((received) => received.includes('\r\n\r\n'), 'the response head');
    const end = bytes.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return { status: Number(statusLine.split(' ')[1]), headers, body: bytes.subarray(end + 4).toString() };
  }

  /** Frames received after the response head. */
  frames(): DecodedFrame[] {
    const end = this.#received.indexOf('\r\n\r\n');
    return decodeFrames(this.#received.subarray(end + 4)).frames;
  }

  /** Waits until at least `count` frames arrived after the response head. */
  async waitForFrames(count: number): Promise<DecodedFrame[]> {
    await this.waitFor((received) => {
      const end = received.indexOf('\r\n\r\n');
      return end !== -1 && decodeFrames(received.subarray(end + 4)).frames.length >= count;
    }, `${count} frames`);
    return this.frames();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
