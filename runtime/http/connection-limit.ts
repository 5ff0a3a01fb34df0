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

const kLimit = Symbol('krandog.connectionLimit');
type CountedSocket = Socket & { [kLimit]?: ConnectionLimit };

/** Counts a server's open connections and tells which ones came past the limit. */
export class ConnectionLimit {
  readonly #max: number;
  readonly #refused = new WeakSet<Socket>();
  #open = 0;
  #refusing = 0;

  /**
   * `acceptEvent` is the server event that hands over a connection ready for HTTP: 'connection'
   * for node:http, 'secureConnection' for node:https (after the TLS handshake, which Node's own
   * limit and `handshakeTimeout` bound).
   */
  constructor(server: NetServer, max: number, acceptEvent: 'connection' | 'secureConnection') {
    this.#max = max;
    if (max === Infinity) return;
    server.maxConnections = max + REFUSING_AT_MOST;
    server.on(acceptEvent, (socket: Socket) => this.#onAccept(socket as CountedSocket));
  }

  /** Whether `socket` came past the limit: its request or upgrade gets 503. */
  refuses(socket: Socket): boolean {
    return this.#refusing > 0 && this.#refused.has(socket);
  }

  #onAccept(socket: CountedSocket): void {
    socket[kLimit] = this;
    // `on`, not `once`: 'close' comes once anyway, and `once` wraps the listener in a bound function
    // and a state object per socket (about 150 bytes each of thousands of idle WebSockets).
    socket.on('close', ConnectionLimit.#onSocketClose);
    if (this.#open < this.#max) {
      this.#open++;
    } else {
      this.#refusing++;
      this.#refused.add(socket);
    }
  }

  /** One listener shared by every socket (`this` is the socket): no closure per connection. */
  static #onSocketClose(this: CountedSocket): void {
    const limit = this[kLimit]!;
    if (limit.#refused.delete(this)) limit.#refusing--;
    else limit.#open--;
  }
}
