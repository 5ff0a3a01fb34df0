// krandog's `https` module: what `import https from 'https'` (or 'node:https') gives a user's script.
// The same server as `http` (handler returns the response, WebSockets as wss://) over node:https.
// TLS options go in `options.tls`, or at the top level as Node's https.createServer takes them:
//   https.createServer({ key, cert }, handler)   https.createServer(handler, { tls: { key, cert } })
// The client side is Node's own, re-exported so https.request()/https.get() keep working.
import { Agent, get, globalAgent, request } from 'node:https';
import { orderArguments, Server, type HandlerSpec } from '../http/server.ts';
import type { ServerOptions, ServerTlsOptions } from '../http/options.ts';

/** Options of `https.createServer`: the http options, with TLS in `tls` or (Node's way) at the top level. */
export type HttpsServerOptions = ServerOptions & ServerTlsOptions;

/** `https.createServer(options, handler)` or `(handler, options)`: an HTTPS (and wss://) server. */
export function createServer(options: HttpsServerOptions, handler: HandlerSpec): Server;
export function createServer(handler: HandlerSpec, options: HttpsServerOptions): Server;
export function createServer(first: HandlerSpec | HttpsServerOptions, second: HandlerSpec | HttpsServerOptions): Server {
  const [handler, options] = orderArguments(first, second);
  return new Server(handler, withTls(options, 'https.createServer'));
}

/** `serve(port, handler, options)` over HTTPS. */
export function serve(port: number | string, handler: HandlerSpec, options: HttpsServerOptions): Server {
  const resolved = withTls(options, 'https.serve');
  return new Server(handler, resolved).listen(port, resolved.host);
}

function withTls(options: HttpsServerOptions | undefined, caller: string): ServerOptions {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new TypeError(`${caller}: options with a key and cert are required, e.g. { key, cert } or { tls: { key, cert } }`);
  }
  // Node's style: the TLS options sit beside the others (node:tls ignores keys it does not know).
  return options.tls === undefined ? { ...options, tls: options } : options;
}

export { Server, Agent, get, globalAgent, request };
export type { HandlerSpec, ServerOptions, ServerTlsOptions };

export default { createServer, serve, Server, Agent, get, globalAgent, request };
