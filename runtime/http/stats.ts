// The shape of `server.stats()`: HTTP, WebSocket and pub/sub counts of one server in this process.
import type { PubSubStats, WebSocketStats } from '../ws/server/stats.ts';

export type { PubSubStats, WebSocketStats };

export interface HttpStats {
  /** Open HTTP connections, WebSocket connections not included. */
  connections: number;
  /** Requests received since the server started. */
  requests: number;
}

export interface ServerStats {
  http: HttpStats;
  websocket: WebSocketStats;
  pubsub: PubSubStats;
}
