// What one WebSocket server counts for `server.stats()`. Plain numbers, each bumped where the thing
// happens (an increment per message at most: nothing the benchmark can see); what can be read from
// the sockets themselves (bytes on the wire, backlog) is read only when stats are asked for.
import type { ServerStats } from 'node:http';

// The shapes are the public ones (types/http.d.ts declares and documents them): one source.
/** The WebSocket part of `server.stats()`. */
export type WebSocketStats = ServerStats['websocket'];

/** The pub/sub part of `server.stats()`. */
export type PubSubStats = ServerStats['pubsub'];

/** The running counts; the server turns them into {@link WebSocketStats} when asked. */
export class WebSocketCounters {
  opened = 0;
  messagesIn = 0;
  /** `ws.send` calls that were accepted (deliveries are counted by the topics). */
  sends = 0;
  publishes = 0;
  /** Wire bytes of the connections already closed; open ones are read from their sockets. */
  closedBytesIn = 0;
  closedBytesOut = 0;
  readonly #closes = new Map<number, number>();

  countClose(code: number, bytesIn: number, bytesOut: number): void {
    this.#closes.set(code, (this.#closes.get(code) ?? 0) + 1);
    this.closedBytesIn += bytesIn;
    this.closedBytesOut += bytesOut;
  }

  /** The closes by code, as a plain object with codes in ascending order. */
  closes(): Record<string, number> {
    const closes: Record<string, number> = {};
    for (const code of [...this.#closes.keys()].sort((a, b) => a - b)) closes[code] = this.#closes.get(code)!;
    return closes;
  }
}
