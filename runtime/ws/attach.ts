// The seam between krandog's http server and its WebSocket server (issue 4).
// runtime/http/server.ts calls attachWebSockets() once per server and awaits closeAll() in close().
// Until the WebSocket server lands this attaches nothing: with no 'upgrade' listener, Node answers
// an upgrade request as an ordinary request.
import type { Server } from 'node:http';

/** WebSocket options accepted by `http.createServer(handler, options)`. */
export interface WebSocketServerOptions {}

/** What attaching returns to the http server. */
export interface WebSocketAttachment {
  /** Closes every open WebSocket of the server; settles when they are closed. */
  closeAll(): Promise<void>;
}

/** Makes `server` answer WebSocket upgrades with `handler` (a function or `{ request, websocket }`). */
export function attachWebSockets(_server: Server, _handler: unknown, _options: unknown): WebSocketAttachment {
  return { closeAll: async () => {} };
}
