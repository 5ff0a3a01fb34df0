// Entry of krandog's type declarations ("types" in package.json; `"types": ["krandog"]`
// in a tsconfig): the globals, the `http` module, and its types for `import type … from 'krandog'`.
// The http module's types augment Node's, so they need @types/node (a peer dependency).
/// <reference types="node" />
/// <reference path="./http.d.ts" />
/// <reference path="./https.d.ts" />
/// <reference path="./globals.d.ts" />
export type {
  FileOptions,
  FileResponse,
  Handler,
  HandlerObject,
  HandlerResult,
  IncomingHeaders,
  KrandogServer,
  KrandogServerEvents,
  KrandogServerOptions,
  Query,
  Request,
  ResponseHeaders,
  ResponseObject,
  RouteParams,
  RouteRequest,
  RouteTarget,
  RouteValue,
  ServerCloseEvent,
  ServerCloseListener,
  ServerWebSocket,
  UpgradeRequest,
  WebSocketHooks,
  WebSocketMessage,
} from 'http';
export type {
  BinaryType,
  WebSocket,
  WebSocketCloseEvent,
  WebSocketCloseEventInit,
  WebSocketErrorEvent,
  WebSocketErrorEventInit,
  WebSocketMessageEvent,
  WebSocketOptions,
  WebSocketReconnectEvent,
  WebSocketReconnectingEvent,
  WebSocketReconnectOptions,
} from './websocket.js';
