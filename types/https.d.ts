// Types of krandog's `https` module: what `import https from 'https'` (or 'node:https') gives a
// krandog script: the same server as `http`, over TLS (HTTPS and wss://). An augmentation of
// @types/node's `https`, as http.d.ts is of `http`; Node's client API keeps its types.
import type { Handler, HandlerObject, KrandogServer, KrandogServerOptions } from 'http';

declare module 'https' {
  /** The http options, with the TLS options in `tls` or, as Node takes them, at the top level. */
  export type KrandogHttpsServerOptions = KrandogServerOptions & import('node:tls').TlsOptions;

  export function createServer(options: KrandogHttpsServerOptions, handler: Handler | HandlerObject): KrandogServer;
  export function createServer(handler: Handler | HandlerObject, options: KrandogHttpsServerOptions): KrandogServer;
  /** createServer(handler, options) plus listen(port). */
  export function serve(port: number | string, handler: Handler | HandlerObject, options: KrandogHttpsServerOptions): KrandogServer;
}
