// The route table of a handler object: `{ '/api/users/:id': handler, '/': http.file('index.html') }`.
// A path is matched segment by segment: a literal beats a `:param`, which beats a final `*`
// (whatever order the table lists them in). A route is a handler, a file, or one of them per
// method (`{ GET, POST }`), where other methods get 405 with an Allow header.
import { describeValue } from '../util/describe-value.ts';
import type { RequestHandler } from './dispatch.ts';
import type { ResponseObject } from './response.ts';
import { FileResponse } from './static/file-response.ts';

/** What a route answers with: a handler to call, or a file to send. */
export type RouteTarget = RequestHandler | FileResponse;

/** A route table's values: one target for every method, or one per method. */
export type RouteValue = RouteTarget | Record<string, RouteTarget>;

/** Path parameters of a matched route; no prototype, so any name is a plain key. */
export type Params = Record<string, string>;

/** A path matched to a route: the target for the request's method (or a 405) and the params. */
export interface RouteMatch {
  target: RouteTarget | ResponseObject;
  params: Params;
}

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'rest' };

interface Route {
  segments: Segment[];
  methods: Map<string, RouteTarget> | RouteTarget;
}

const METHOD = /^[A-Z]+$/;
// Ranks for ordering: lower is more specific.
const RANK = { literal: 0, param: 1, rest: 2 } as const;
const NO_PARAMS: Params = Object.freeze(Object.create(null)) as Params;

export class RouteTable {
  /** Routes without params or `*`, by path: one lookup. */
  readonly #exact = new Map<string, Route>();
  /** The others, most specific first. */
  readonly #patterns: Route[] = [];

  constructor(routes: unknown) {
    if (routes === null || typeof routes !== 'object') throw new TypeError(`http.createServer: routes must be an object { '/path': handler }, got ${describeValue(routes)}`);
    for (const [path, value] of Object.entries(routes)) {
      const route: Route = { segments: parsePath(path), methods: readValue(path, value) };
      if (route.segments.every((segment) => segment.kind === 'literal')) this.#exact.set(path, route);
      else this.#patterns.push(route);
    }
    this.#patterns.sort((a, b) => compareSpecificity(a.segments, b.segments));
  }

  /** The route for a raw (not percent-decoded) request path, or undefined when none matches. */
  match(method: string, pathname: string): RouteMatch | undefined {
    const exact = this.#exact.get(pathname) ?? (pathname.includes('%') ? this.#exact.get(decodePath(pathname)) : undefined);
    if (exact !== undefined) return { target: targetFor(exact, method), params: NO_PARAMS };
    if (this.#patterns.length === 0) return undefined;
    const pieces = pathname.slice(1).split('/');
    for (const route of this.#patterns) {
      const params = matchSegments(route.segments, pieces);
      if (params !== undefined) return { target: targetFor(route, method), params };
    }
    return undefined;
  }
}

function parsePath(path: string): Segment[] {
  if (!path.startsWith('/')) throw new TypeError(`http.createServer: route ${JSON.stringify(path)} must start with /`);
  const pieces = path.slice(1).split('/');
  return pieces.map((piece, index): Segment => {
    if (piece === '*') {
      if (index !== pieces.length - 1) throw new TypeError(`http.createServer: route ${JSON.stringify(path)}: * may only end a route`);
      return { kind: 'rest' };
    }
    if (piece.startsWith(':')) {
      const name = piece.slice(1);
      if (name === '') throw new TypeError(`http.createServer: route ${JSON.stringify(path)}: a parameter needs a name (:id)`);
      return { kind: 'param', name };
    }
    return { kind: 'literal', text: piece };
  });
}

function readValue(path: string, value: unknown): Route['methods'] {
  if (isTarget(value)) return value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`http.createServer: route ${JSON.stringify(path)} must be a handler, http.file(…) or { GET, POST, … }, got ${describeValue(value)}`);
  }
  const methods = new Map<string, RouteTarget>();
  for (const [method, target] of Object.entries(value)) {
    if (!METHOD.test(method)) throw new TypeError(`http.createServer: route ${JSON.stringify(path)}: ${JSON.stringify(method)} is not a method name in capitals (GET, POST, …)`);
    if (!isTarget(target)) throw new TypeError(`http.createServer: route ${JSON.stringify(path)}: ${method} must be a handler or http.file(…), got ${describeValue(target)}`);
    methods.set(method, target);
  }
  return methods;
}

function isTarget(value: unknown): value is RouteTarget {
  return typeof value === 'function' || value instanceof FileResponse;
}

/** A handler answers every method; a file, GET and HEAD; a method table, its methods (HEAD by GET's). */
function targetFor(route: Route, method: string): RouteTarget | ResponseObject {
  const { methods } = route;
  if (typeof methods === 'function') return methods;
  if (methods instanceof FileResponse) return method === 'GET' || method === 'HEAD' ? methods : methodNotAllowed(['GET', 'HEAD']);
  const target = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
  if (target !== undefined) return target;
  const allowed = [...methods.keys()];
  if (methods.has('GET') && !methods.has('HEAD')) allowed.push('HEAD');
  return methodNotAllowed(allowed);
}

/** 405 with the methods the route has (RFC 9110 §15.5.6). */
function methodNotAllowed(allowed: string[]): ResponseObject {
  return { status: 405, headers: { Allow: allowed.join(', ') }, body: 'Method Not Allowed' };
}

function matchSegments(segments: Segment[], pieces: string[]): Params | undefined {
  const last = segments[segments.length - 1];
  const hasRest = last?.kind === 'rest';
  if (hasRest ? pieces.length < segments.length : pieces.length !== segments.length) return undefined;
  const params: Params = Object.create(null);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.kind === 'rest') {
      params['*'] = decode(pieces.slice(i).join('/'));
    } else if (segment.kind === 'param') {
      if (pieces[i] === '') return undefined;
      params[segment.name] = decode(pieces[i]);
    } else if (segment.text !== pieces[i] && segment.text !== decode(pieces[i])) {
      return undefined;
    }
  }
  return params;
}

function compareSpecificity(a: Segment[], b: Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = RANK[a[i].kind] - RANK[b[i].kind];
    if (difference !== 0) return difference;
  }
  // Same kinds as far as both go: the longer one is the more specific (`/a/:b/*` before `/a/*`).
  return b.length - a.length;
}

/** Percent-decodes a path piece; one with a malformed escape is kept as sent. */
function decode(piece: string): string {
  if (!piece.includes('%')) return piece;
  try {
    return decodeURIComponent(piece);
  } catch {
    return piece;
  }
}

/** A path with its escapes decoded but those of reserved characters (`%2F` stays: it is no `/`). */
function decodePath(pathname: string): string {
  try {
    return decodeURI(pathname);
  } catch {
    return pathname;
  }
}
