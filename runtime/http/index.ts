// krandog's `http` module: what `import http from 'http'` (or 'node:http') gives a user's script.
// The server is krandog's (handler returns the response); the client side is Node's own, re-exported
// so scripts that call http.request()/http.get() keep working.
import { Agent, get, METHODS, request, STATUS_CODES } from 'node:http';
import { createServer, serve, Server } from './server.ts';
import { file } from './static/file-response.ts';

export { createServer, file, serve, Server };
export type { CloseOptions, HandlerSpec, NodeRequestListener } from './server.ts';
export type { ServerOptions } from './options.ts';
export type { RequestHandler } from './dispatch.ts';
export type { ResponseObject } from './response.ts';
export type { FileOptions, FileResponse } from './static/file-response.ts';
export type { RouteValue } from './routes.ts';
export type { HeadersInit, HeaderValue } from './response-headers.ts';
// Request parsing helpers stay internal: scripts get only what types/http.d.ts declares.
export type { Query, Target } from '../util/request-target.ts';
export { Agent, get, METHODS, request, STATUS_CODES };

export default { createServer, file, serve, Server, Agent, get, request, METHODS, STATUS_CODES };
