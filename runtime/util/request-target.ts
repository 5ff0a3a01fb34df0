// The path and query of an HTTP request target, shared by HTTP requests and WebSocket upgrades.

/**
 * Query-string parameters. Repeated keys give arrays. The object has no prototype, so keys such
 * as `__proto__` or `constructor` are ordinary entries (use `Object.hasOwn`, not `query.hasOwnProperty`).
 */
export type Query = Record<string, string | string[]>;

/** The path and the parsed query of a request target. */
export interface Target {
  pathname: string;
  query: Query;
}

/** Path and query of a request target as sent (`/a/b?x=1`, or `http://host/a/b?x=1` from proxies). */
export function parseTarget(url: string): Target {
  return { pathname: pathnameOf(url), query: parseQuery(searchOf(url)) };
}

/**
 * The path part of a request target, not percent-decoded (as `URL.pathname`).
 * RFC 9112 §3.2: origin-form `/path?query`, absolute-form `http://host/path?query`, or `*`.
 */
export function pathnameOf(url: string): string {
  if (url.charCodeAt(0) !== 0x2f /* / */) url = originFormOf(url);
  const end = endOfPath(url);
  return end === url.length ? url : url.slice(0, end);
}

/** The query string of a request target, without the `?` ('' when there is none). */
export function searchOf(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return '';
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < start) return ''; // a `?` inside the fragment
  return url.slice(start + 1, hash === -1 ? url.length : hash);
}

/** Decodes a query string as a form (`+` is a space, bad escapes kept) into a prototype-free object. */
export function parseQuery(search: string): Query {
  const query: Query = Object.create(null);
  if (search === '') return query;
  for (const [key, value] of new URLSearchParams(search)) {
    const previous = query[key];
    if (previous === undefined) query[key] = value;
    else if (typeof previous === 'string') query[key] = [previous, value];
    else previous.push(value);
  }
  return query;
}

function endOfPath(url: string): number {
  for (let i = 0; i < url.length; i++) {
    const code = url.charCodeAt(i);
    if (code === 0x3f /* ? */ || code === 0x23 /* # */) return i;
  }
  return url.length;
}

/** `http://host:80/a?b` → `/a?b`; `*` and anything without a path stay as they are or become `/`. */
function originFormOf(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const path = url.slice(scheme + 3).search(/[/?#]/);
  if (path === -1) return '/';
  const rest = url.slice(scheme + 3 + path);
  return rest.charCodeAt(0) === 0x2f ? rest : '/' + rest;
}
