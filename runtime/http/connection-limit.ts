// `maxConnections`: how many connections one server holds at once, HTTP and WebSocket together.
//
// A connection past the limit is still accepted, so that its client learns why: its first request
// or upgrade is answered 503 with `Connection: close` (HTTP/1.1 has no way to refuse before the
// request), and it is closed. Those refused connections are bounded too: with REFUSING_AT_MOST of
// them open, Node's own `server.maxConnections` closes further connections at accept, unanswered,
// so a flood costs no more descriptors than the limit plus that many.
import type { Server as NetServer, Socket } from 'node:net';

/** Connections past the limit that may be waiting for their 503 at one time. */
export const REFUSING_AT_MOST = 128;

/** Counts a server's open connections and tells which ones came past the limit. */
export class ConnectionLimit {
  readonly #max: number;
  readonly #refused = new WeakSet<Socket>();
  #open = 0;
  #refusing = 0;
  /**
   * One 'close' listener for all of this server's sockets (`this` is the socket): no closure and no
   * property per socket (a property past a socket's own would grow every idle WebSocket's object).
   * `on`, not `once`: 'close' comes once anyway, and `once` wraps the listener per socket.
   */
  readonly #onSocketClose: (this: Socket) => void;

  /**
   * `acceptEvent` is the server event that hands over a connection ready for HTTP: 'connection'
   * for node:http, 'secureConnection' for node:https (after the TLS handshake, which Node's own
   * limit and `handshakeTimeout` bound).
   */
  constructor(server: NetServer, max: number, acceptEvent: 'connection' | 'secureConnection') {
    this.#max = max;
    const limit = this;
    this.#onSocketClose = function (this: Socket) {
      if (limit.#refused.delete(this)) limit.#refusing--;
      else limit.#open--;
    };
    if (max === Infinity) return;
    server.maxConnections = max + REFUSING_AT_MOST;
    server.on(acceptEvent, (socket: Socket) => this.#onAccept(socket));
  }

  /** Whether `socket` came past the limit: its request or upgrade gets 503. */
  refuses(socket: Socket): boolean {
    return this.#refusing > 0 && this.#refused.has(socket);
  }

  #onAccept(socket: Socket): void {
    socket.on('close', this.#onSocketClose);
    if (this.#open < this.#max) {
      this.#open++;
    } else {
      this.#refusing++;
      this.#refused.add(socket);
    }
  }
}
