// The WebSocket constructor's arguments (WebSockets standard §"The WebSocket interface", constructor
// steps), read the way WebIDL converts them, plus krandog's non-standard options object.
import { isToken } from '../../util/http-tokens.ts';

/** The non-standard second argument, as in Bun (and Node's undici): `new WebSocket(url, { protocols, headers })`. */
export interface WebSocketInit {
  protocols?: string | Iterable<string>;
  /** Extra request headers (Authorization, Cookie, Origin, User-Agent...). */
  headers?: HeadersInit;
  /** Milliseconds from the constructor to the server's 101 (DNS, TCP, TLS, response head); 0: no limit. */
  handshakeTimeout?: number;
}

/**
 * How long the opening handshake may take unless `handshakeTimeout` says otherwise: a server that
 * accepts the TCP connection but never answers (or stalls mid-answer) fails the connection then.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
/** The longest delay a Node timer takes (a longer one would fire at once). */
const MAX_TIMEOUT = 2 ** 31 - 1;

/** What the constructor works with once its arguments are read. */
export interface ClientOptions {
  protocols: string[];
  /** Lower-case names, values as given. */
  headers: Array<[name: string, value: string]>;
  /** Milliseconds; 0 for no limit. */
  handshakeTimeout: number;
}

/**
 * Headers the handshake itself is made of: setting them by hand would break it, so they are refused.
 * (`protocols` sets Sec-WebSocket-Protocol.)
 */
const HANDSHAKE_HEADERS = new Set([
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-accept',
]);

/**
 * Reads the second argument: a string or a sequence of strings (the standard's
 * `(DOMString or sequence<DOMString>)`), or an object that is not iterable, which is krandog's
 * `{ protocols, headers }`. Only conversion errors (TypeError) are thrown here; protocol names are
 * checked by `validateProtocols` after the URL, in the standard's order.
 */
export function readClientOptions(value: unknown): ClientOptions {
  if (value === undefined) return { protocols: [], headers: [], handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT };
  if (isObject(value) && !(Symbol.iterator in value)) {
    const init = value as WebSocketInit;
    return {
      protocols: init.protocols === undefined ? [] : readProtocols(init.protocols),
      headers: init.headers === undefined || init.headers === null ? [] : readHeaders(init.headers),
      handshakeTimeout: readHandshakeTimeout(init.handshakeTimeout),
    };
  }
  return { protocols: readProtocols(value), headers: [], handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT };
}

function readHandshakeTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_HANDSHAKE_TIMEOUT;
  if (typeof value !== 'number' || !(value >= 0 && value <= MAX_TIMEOUT)) {
    throw new TypeError(`WebSocket: handshakeTimeout must be a number of milliseconds from 0 (no limit) to ${MAX_TIMEOUT}, got ${String(value)}`);
  }
  return value;
}

function readProtocols(value: unknown): string[] {
  if (isObject(value) && Symbol.iterator in value) return Array.from(value as Iterable<unknown>, toDOMString);
  return [toDOMString(value)];
}

function readHeaders(init: HeadersInit): Array<[string, string]> {
  // Headers checks names and values (TypeError) and lower-cases names; repeated names are joined.
  const headers = [...new Headers(init)];
  for (const [name] of headers) {
    if (HANDSHAKE_HEADERS.has(name)) {
      const hint = name === 'sec-websocket-protocol' ? ' (pass subprotocols as `protocols`)' : '';
      throw new TypeError(`WebSocket: the ${name} header is part of the handshake and cannot be set${hint}`);
    }
  }
  return headers;
}

/**
 * Parses the URL (constructor steps 1–6): http: and https: become ws: and wss:, anything else but
 * ws: and wss: is refused, and so is a fragment. Relative URLs fail: a script has no base URL.
 */
export function parseWebSocketUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DOMException(`WebSocket: invalid URL ${JSON.stringify(input)}`, 'SyntaxError');
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new DOMException(`WebSocket: the URL's scheme must be ws, wss, http or https, not ${url.protocol.slice(0, -1)}`, 'SyntaxError');
  }
  // A fragment, even an empty one ("ws://host/#"): the serialized URL keeps the '#'.
  if (url.href.includes('#')) {
    throw new DOMException('WebSocket: the URL must not have a fragment', 'SyntaxError');
  }
  return url;
}

/**
 * Constructor step 4: every subprotocol must be a token (RFC 6455 §4.1, RFC 7230 §3.2.6) and none
 * may appear twice (names compare exactly: they are case-sensitive).
 */
export function validateProtocols(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    // RFC 6455 §4.1: a subprotocol name is an HTTP token.
    if (!isToken(protocol)) {
      throw new DOMException(`WebSocket: invalid subprotocol name ${JSON.stringify(protocol)}`, 'SyntaxError');
    }
    if (seen.has(protocol)) {
      throw new DOMException(`WebSocket: subprotocol ${JSON.stringify(protocol)} is listed twice`, 'SyntaxError');
    }
    seen.add(protocol);
  }
}

/** WebIDL DOMString: any value but a Symbol (TypeError) becomes a string. */
function toDOMString(value: unknown): string {
  return `${value as string}`;
}

function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
