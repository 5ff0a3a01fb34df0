// The two handler styles a script may give createServer, as seen by the WebSocket server:
//   a function:  every message calls it with { type: 'websocket', ws, data, pathname, headers, query }
//   an object:   { request(req), websocket: { upgrade, open, message, close, drain } }
import type { IncomingHttpHeaders, UpgradeRequest as PublicUpgradeRequest } from 'node:http';
import type { Query } from '../../util/request-target.ts';
import type { ServerWebSocket } from './server-socket.ts';
import { logUserError } from '../../util/report.ts';

/** What a function handler receives for each WebSocket message. */
export interface WebSocketMessageRequest {
  readonly type: 'websocket';
  readonly ws: ServerWebSocket;
  /** A string for a text message, a Buffer for a binary one. */
  readonly data: string | Buffer;
  readonly pathname: string;
  readonly headers: IncomingHttpHeaders;
  readonly query: Query;
}

/** What the `upgrade` hook receives: the upgrade request, before anything is answered (types/http.d.ts documents it). */
export type UpgradeRequest = PublicUpgradeRequest;

/**
 * What the `upgrade` hook returns: nothing or `true` to accept; an object with `protocol`, `data`
 * and response `headers` to accept with those; `false`, a status number (e.g. 401) or
 * `{ status, body?, headers? }` to refuse.
 */
export type UpgradeVerdict =
  | void
  | undefined
  | boolean
  | number
  | { protocol?: string; data?: unknown; headers?: Record<string, string | readonly string[]> }
  | { status: number; body?: string; headers?: Record<string, string | readonly string[]> };

/** The lifecycle hooks of an object handler's `websocket` member. */
export interface WebSocketHooks {
  upgrade?(req: UpgradeRequest): UpgradeVerdict | Promise<UpgradeVerdict>;
  open?(ws: ServerWebSocket): unknown;
  message?(ws: ServerWebSocket, data: string | Buffer, req: WebSocketMessageRequest): unknown;
  close?(ws: ServerWebSocket, code: number, reason: string): unknown;
  drain?(ws: ServerWebSocket): unknown;
}

/** A handler reduced to what the WebSocket server calls. */
export interface WebSocketHandler {
  /** The seed style: one function for HTTP requests and WebSocket messages. */
  readonly onMessageRequest: ((req: WebSocketMessageRequest) => unknown) | undefined;
  readonly hooks: WebSocketHooks;
}

const HOOK_NAMES = ['upgrade', 'open', 'message', 'close', 'drain'] as const;

/**
 * The WebSocket side of a createServer handler; undefined when the handler takes no WebSockets
 * (an object without a `websocket` member), so upgrade requests reach its `request` as plain HTTP.
 */
export function webSocketHandlerOf(handler: unknown): WebSocketHandler | undefined {
  if (typeof handler === 'function') {
    return { onMessageRequest: handler as (req: WebSocketMessageRequest) => unknown, hooks: {} };
  }
  if (handler === null || typeof handler !== 'object') return undefined;
  const websocket = (handler as { websocket?: unknown }).websocket;
  if (websocket === undefined) return undefined;
  if (websocket === null || typeof websocket !== 'object') {
    throw new TypeError('http.createServer: handler.websocket must be an object of hooks { upgrade, open, message, close, drain }');
  }
  for (const name of HOOK_NAMES) {
    const hook = (websocket as Record<string, unknown>)[name];
    if (hook !== undefined && typeof hook !== 'function') {
      throw new TypeError(`http.createServer: handler.websocket.${name} must be a function`);
    }
  }
  return { onMessageRequest: undefined, hooks: websocket as WebSocketHooks };
}

/** Logs what a script's WebSocket code threw; the connection and the server keep running. */
export function logHandlerError(where: string, error: unknown): void {
  logUserError(`WebSocket ${where} handler failed`, error);
}

// One reporter per hook, made once, so catching a rejected Promise costs no closure per message.
export const reportHandlerError = {
  upgrade: (error: unknown) => logHandlerError('upgrade', error),
  open: (error: unknown) => logHandlerError('open', error),
  message: (error: unknown) => logHandlerError('message', error),
  close: (error: unknown) => logHandlerError('close', error),
  drain: (error: unknown) => logHandlerError('drain', error),
} as const;
