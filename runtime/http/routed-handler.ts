// The request handler of a handler object with `routes` and/or `static`: the route table first,
// then the static folder (GET and HEAD), then `request`, then 404. Every handler's result may be
// http.file(…), made here into an ordinary `{ status, headers, body }` result (withFileResults),
// so what the dispatcher sends is the same for every kind of handler.
import { describeValue } from '../util/describe-value.ts';
import type { RequestHandler } from './dispatch.ts';
import type { HttpRequest } from './request.ts';
import type { ResponseObject } from './response.ts';
import { RouteTable } from './routes.ts';
import { answerWithFile, FileResponse } from './static/file-response.ts';
import { StaticFolder } from './static/folder.ts';
import { isThenable } from '../util/thenable.ts';

/** The members of a handler object read here. */
export interface RoutedHandlerSpec {
  routes?: unknown;
  static?: unknown;
  request?: RequestHandler;
}

const NOT_FOUND: ResponseObject = { status: 404, body: 'Not Found' };

/** Whether a handler object has a member this module answers for. */
export function hasRoutesOrStatic(handler: object): boolean {
  return (handler as RoutedHandlerSpec).routes !== undefined || (handler as RoutedHandlerSpec).static !== undefined;
}

/**
 * The handler with `routes` and `static` given among the options (`createServer({ static }, fn)`,
 * Node's argument order) moved into it, so they are read in one place. Both places at once throw.
 */
export function withRoutingOptions(handler: unknown, options: RoutedHandlerSpec | undefined): unknown {
  if (options === null || typeof options !== 'object' || !hasRoutesOrStatic(options)) return handler;
  const { routes, static: folder } = options;
  if (typeof handler === 'function') {
    if (handler.length >= 2) throw new TypeError('http.createServer: routes and static need a handler that returns its response, not a (req, res) listener');
    return { routes, static: folder, request: handler };
  }
  if (typeof handler === 'object' && handler !== null && !hasRoutesOrStatic(handler)) return { ...handler, routes, static: folder };
  throw new TypeError('http.createServer: give routes and static in the handler object or in the options, not both');
}

/** One handler for routes, static folder and fallback; checks the table and folder now, so mistakes throw at createServer. */
export function routedHandler(spec: RoutedHandlerSpec): RequestHandler {
  const table = spec.routes === undefined ? undefined : new RouteTable(spec.routes);
  if (spec.static !== undefined && (typeof spec.static !== 'string' || spec.static === '')) {
    throw new TypeError(`http.createServer: static must be a folder path (a string), got ${describeValue(spec.static)}`);
  }
  const folder = spec.static === undefined ? undefined : new StaticFolder(spec.static);
  const fallback = spec.request ?? (() => NOT_FOUND);
  const afterRoutes = folder === undefined ? fallback : (request: HttpRequest) => folder.answer(request) ?? fallback(request);
  return withFileResults((request: HttpRequest) => {
    const match = table?.match(request.method, request.pathname);
    if (match === undefined) return afterRoutes(request);
    request.params = match.params;
    const { target } = match;
    return typeof target === 'function' ? target(request) : target;
  });
}

/** `handler`, with an http.file(…) result (or a promise of one) turned into the file's response. */
export function withFileResults(handler: RequestHandler): RequestHandler {
  return (request) => {
    const result = handler(request);
    if (result instanceof FileResponse) return answerWithFile(result, request);
    if (isThenable(result)) return Promise.resolve(result).then((value) => (value instanceof FileResponse ? answerWithFile(value, request) : value));
    return result;
  };
}
