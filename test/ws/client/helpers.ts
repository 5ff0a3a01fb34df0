// Helpers for the browser-style client's tests: a `ws` package server (an independent peer) on
// 127.0.0.1:0, and recorders that turn a client's events into plain data to compare.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type ServerOptions, type WebSocket as PeerSocket } from 'ws';
import { WebSocket } from '../../../runtime/ws/client/websocket.ts';
import type { CloseEvent, ErrorEvent } from '../../../runtime/ws/client/events.ts';

export { WebSocket };

export interface PeerServer {
  server: WebSocketServer;
  url: string;
  port: number;
  /** Server-side sockets, in the order they connected. */
  sockets: PeerSocket[];
  /** Resolves with the next server-side socket. */
  nextSocket(): Promise<PeerSocket>;
}

const servers = new Set<WebSocketServer>();

/** A `ws` server on a free loopback port (permessage-deflate off: the client offers no extensions). */
export async function startPeer(options: ServerOptions = {}): Promise<PeerServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...options });
  servers.add(server);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const sockets: PeerSocket[] = [];
  const waiting: Array<(socket: PeerSocket) => void> = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    waiting.shift()?.(socket);
  });
  return {
    server,
    port,
    url: `ws://127.0.0.1:${port}`,
    sockets,
    nextSocket: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

/** Closes every server started by the current file (afterEach). */
export async function stopPeers(): Promise<void> {
  const all = [...servers];
  servers.clear();
  await Promise.all(
    all.map((server) => {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
}

/** A client event as plain data, so a whole sequence compares with toEqual. */
export type Recorded =
  | { type: 'open'; readyState: number }
  | { type: 'message'; data: unknown }
  | { type: 'error'; readyState: number }
  | { type: 'close'; code: number; reason: string; wasClean: boolean; readyState: number };

/** Records open/message/error/close (with the readyState seen in each) from the start. */
export function record(ws: WebSocket): Recorded[] {
  const events: Recorded[] = [];
  ws.addEventListener('open', () => events.push({ type: 'open', readyState: ws.readyState }));
  ws.addEventListener('message', (event) => events.push({ type: 'message', data: (event as MessageEvent).data }));
  ws.addEventListener('error', () => events.push({ type: 'error', readyState: ws.readyState }));
  ws.addEventListener('close', (event) => {
    const { code, reason, wasClean } = event as CloseEvent;
    events.push({ type: 'close', code, reason, wasClean, readyState: ws.readyState });
  });
  return events;
}

/** Resolves with the next event of `type`. */
export function next<T extends Event = Event>(ws: WebSocket, type: string): Promise<T> {
  return new Promise((resolve) => ws.addEventListener(type, (event) => resolve(event as T), { once: true }));
}

/** Resolves with the close event (and the error event before it, if any). */
export function closed(ws: WebSocket): Promise<{ close: CloseEvent; error: ErrorEvent | undefined }> {
  let error: ErrorEvent | undefined;
  ws.addEventListener('error', (event) => (error = event as ErrorEvent));
  return new Promise((resolve) => ws.addEventListener('close', (event) => resolve({ close: event as CloseEvent, error })));
}

/** Opens a client and waits for `open` (rejects on error). */
export async function openClient(url: string, protocols?: ConstructorParameters<typeof WebSocket>[1]): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', (event) => reject((event as ErrorEvent).error), { once: true });
  });
  return ws;
}

/** Collects the next `count` messages' data. */
export function messages(ws: WebSocket, count: number): Promise<unknown[]> {
  const received: unknown[] = [];
  return new Promise((resolve) => {
    const listener = (event: Event) => {
      received.push((event as MessageEvent).data);
      if (received.length === count) {
        ws.removeEventListener('message', listener);
        resolve(received);
      }
    };
    ws.addEventListener('message', listener);
  });
}
