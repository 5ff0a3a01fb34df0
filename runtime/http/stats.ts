// The shape of `server.stats()`: HTTP, WebSocket and pub/sub counts of one server in this process,
// as types/http.d.ts declares and documents it.
import type { ServerStats } from 'node:http';

export type { ServerStats };
export type { PubSubStats, WebSocketStats } from '../ws/server/stats.ts';
export type HttpStats = ServerStats['http'];
