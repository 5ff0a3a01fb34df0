// The request object a handler receives.
import type { IncomingHttpHeaders } from 'node:http';
import { inspect } from 'node:util';
import { withoutPseudoHeaders } from '../util/h2-headers.ts';
import { pathnameOf, parseQuery, searchOf, type Query } from '../util/request-target.ts';
import { displayAddress } from '../util/peer-address.ts';

/** What a request is read from: node:http's IncomingMessage, or the lean path's stand-in for it. */
export interface RequestSource {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string };
  /** 2 for an HTTP/2 request (its headers carry pseudo-headers, removed here). */
  readonly httpVersionMajor?: number;
}

const EMPTY_BODY = Buffer.alloc(0);
const NO_PARAMS: Record<string, string> = Object.freeze(Object.create(null));
const NOT_PARSED = Symbol('not parsed');

/** Whether a Content-Type names JSON: `application/json` or a `+json` suffix (RFC 6839 §3.1). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}

/**
 * An HTTP request as a handler sees it. Cheap fields are set up front; `query`, `body`, `json` and
 * `remoteAddress` are computed on first read and kept, so a handler pays only for what it uses.
 * The body (`bytes`) is already complete when the handler runs, so every field is a plain value.
 */
export class HttpRequest {
  /** Always `'http'`; WebSocket messages reach a function handler with `type: 'websocket'`. */
  readonly type = 'http';
  /** The request method, upper case as sent (`GET`, `POST`, …). */
  readonly method: string;
  /** The request target as sent: path and query string. */
  readonly url: string;
  /** The path part of `url`, without the query string, not percent-decoded. */
  readonly pathname: string;
  /** Request headers with lower-case names, as Node gives them (repeated ones joined by `, `). */
  readonly headers: IncomingHttpHeaders;
  /** The raw request body; empty when there is none. */
  readonly bytes: Buffer;
  /** Path parameters of the matched route (`:id` → `params.id`, `*` → `params['*']`), percent-decoded; none without a route. */
  params: Record<string, string> = NO_PARAMS;
  readonly #incoming: RequestSource;
  #query: Query | undefined;
  #body: string | undefined;
  #json: unknown = NOT_PARSED;

  constructor(incoming: RequestSource, bytes: Buffer = EMPTY_BODY) {
    this.method = incoming.method!;
    this.url = incoming.url!;
    this.pathname = pathnameOf(this.url);
    this.headers = incoming.httpVersionMajor === 2 ? withoutPseudoHeaders(incoming.headers) : incoming.headers;
    this.bytes = bytes;
    this.#incoming = incoming;
  }

  /** Query-string parameters, decoded; repeated keys give arrays. See {@link Query}. */
  get query(): Query {
    return (this.#query ??= parseQuery(searchOf(this.url)));
  }

  /** The request body decoded as UTF-8; '' when there is none. */
  get body(): string {
    return (this.#body ??= this.bytes.length === 0 ? '' : this.bytes.toString('utf8'));
  }

  /** The parsed body when the Content-Type is JSON and the body parses; `undefined` otherwise. */
  get json(): unknown {
    if (this.#json === NOT_PARSED) this.#json = parseJsonBody(this.headers['content-type'], this.body);
    return this.#json;
  }

  /** The client's IP address (an IPv4 client of a dual-stack server shows as IPv4, not `::ffff:…`). */
  get remoteAddress(): string | undefined {
    return displayAddress(this.#incoming.socket.remoteAddress);
  }

  /** The fields as a plain object (for `JSON.stringify(req)`). */
  toJSON(): Record<string, unknown> {
    const { type, method, url, pathname, params, query, headers, body, remoteAddress } = this;
    return { type, method, url, pathname, params, query, headers, body, remoteAddress };
  }

  [inspect.custom](_depth: number, options: object): string {
    return 'HttpRequest ' + inspect({ ...this.toJSON(), bytes: this.bytes, json: this.json }, options);
  }
}

function parseJsonBody(contentType: string | undefined, text: string): unknown {
  if (!isJsonMediaType(contentType)) return undefined;
  try {
    // RFC 8259 §8.1: a parser may ignore a leading byte order mark.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}
