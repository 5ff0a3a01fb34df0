// What one WebSocket server counts for `server.stats()`. Plain numbers, each bumped where the thing
// happens (an increment per message at most: nothing the benchmark can see); what can be read from
// the sockets themselves (bytes on the wire, backlog) is read only when stats are asked for.

/** The WebSocket part of `server.stats()`. */
export interface WebSocketStats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted since the server started. */
  opened: number;
  /** Messages received from clients. */
  messagesIn: number;
  /** Messages sent to clients: `ws.send` and publish deliveries. */
  messagesOut: number;
  /** Bytes read from and written to the WebSocket sockets (handshake and framing included, after compression). */
  bytesIn: number;
  bytesOut: number;
  /** Open connections with more than `backpressureLimit` bytes waiting for the peer. */
  backpressured: number;
  /** Closed connections by close code (`'1000'`, `'1006'`, …). */
  closes: Record<string, number>;
}

/** The pub/sub part of `server.stats()`. */
export interface PubSubStats {
  /** Topics with at least one subscriber in this process. */
  topics: number;
  /** `server.publish` and `ws.publish` calls that were sent. */
  publishes: number;
  /** Messages written to subscribers in this process (from every publisher, in every process). */
  deliveries: number;
  backplane: 'none' | 'cluster' | 'redis';
  connected: boolean;
  /** Messages that reached only this process's subscribers because the backplane was down or full. */
  dropped: number;
}

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
