// The server's half of the opening handshake (RFC 6455 §4.2): checking the client's request and
// choosing what to answer. Pure functions over header values; upgrade.ts does the socket I/O.
import type { IncomingHttpHeaders } from 'node:http';
import { acceptKey } from '../protocol/accept-key.ts';
import { isToken, listsToken } from '../../util/http-tokens.ts';

/** The parts of Node's IncomingMessage the checks read (a plain object in unit tests). */
export interface UpgradeRequestHead {
  method?: string;
  httpVersionMajor: number;
  httpVersionMinor: number;
  headers: IncomingHttpHeaders;
}

/** Who may open WebSockets from a browser: a list of origins (`https://example.com`) or a predicate. */
export type AllowOrigins = readonly string[] | ((origin: string) => boolean);

/** A request that passed the checks: what the 101 response needs. */
export interface ValidUpgrade {
  ok: true;
  key: string;
  /** The client's Sec-WebSocket-Protocol values in its order of preference; empty when none. */
  offeredProtocols: string[];
}

/** A request that failed: the status to answer with (the socket is closed after it). */
export interface RejectedUpgrade {
  ok: false;
  status: number;
  message: string;
  /** Extra response headers, e.g. Sec-WebSocket-Version for a 426. */
  headers?: Record<string, string>;
}

// RFC 6455 §4.1: the key is 16 random bytes in base64: 22 characters then `==`. 16 bytes leave the
// last character's low four bits zero, so it can only be A, Q, g or w.
const KEY_PATTERN = /^[+/0-9A-Za-z]{21}[AQgw]==$/;

/**
 * Checks a client's opening handshake (RFC 6455 §4.2.1). Malformed requests get 400; a version
 * other than 13 (or none) gets 426 with `Sec-WebSocket-Version: 13` (§4.4); an `Origin` outside
 * `allowOrigins` gets 403 (§10.2). A request without `Origin` is not from a browser and passes.
 */
export function validateUpgradeRequest(request: UpgradeRequestHead, allowOrigins?: AllowOrigins): ValidUpgrade | RejectedUpgrade {
  const { headers } = request;
  if (request.method !== 'GET') return reject(400, 'WebSocket handshake must use GET');
  if (request.httpVersionMajor < 1 || (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)) {
    return reject(400, 'WebSocket handshake needs HTTP/1.1');
  }
  if (!listsToken(headers.upgrade, 'websocket')) return reject(400, 'Upgrade header must be "websocket"');
  if (!listsToken(headers.connection, 'upgrade')) return reject(400, 'Connection header must contain "Upgrade"');
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY_PATTERN.test(key.trim())) {
    return reject(400, 'Sec-WebSocket-Key must be 16 bytes in base64');
  }
  return checkVersionProtocolsOrigin(headers, allowOrigins, key.trim());
}

/**
 * Checks a WebSocket opening over an HTTP/2 stream (RFC 8441 §4, §5): an extended CONNECT with
 * `:protocol` websocket. There is no Sec-WebSocket-Key (the stream is the proof of intent): `key`
 * is ''. Version, subprotocols and Origin are checked as for HTTP/1.1.
 */
export function validateExtendedConnect(headers: IncomingHttpHeaders, allowOrigins?: AllowOrigins): ValidUpgrade | RejectedUpgrade {
  if (headers[':method'] !== 'CONNECT') return reject(400, 'WebSocket over HTTP/2 must use CONNECT');
  if (headers[':protocol'] !== 'websocket') return reject(400, ':protocol must be "websocket"');
  return checkVersionProtocolsOrigin(headers, allowOrigins, '');
}

/** What both openings check the same way: the version, the subprotocol list and the Origin. */
function checkVersionProtocolsOrigin(headers: IncomingHttpHeaders, allowOrigins: AllowOrigins | undefined, key: string): ValidUpgrade | RejectedUpgrade {
  const version = headers['sec-websocket-version'];
  if (typeof version !== 'string' || version.trim() !== '13') {
    return { ok: false, status: 426, message: 'only WebSocket version 13 is supported', headers: { 'Sec-WebSocket-Version': '13' } };
  }
  const offeredProtocols = parseProtocols(headers['sec-websocket-protocol']);
  if (offeredProtocols === undefined) return reject(400, 'Sec-WebSocket-Protocol must be a list of distinct tokens');
  const origin: unknown = headers.origin;
  // An Origin repeated (RFC 6454 §7.3: at most once) cannot be checked: refuse it like a foreign one.
  if (allowOrigins !== undefined && origin !== undefined && (typeof origin !== 'string' || !isOriginAllowed(origin, allowOrigins))) {
    return reject(403, 'origin not allowed');
  }
  return { ok: true, key, offeredProtocols };
}

/**
 * The subprotocol to answer with: the first one the client offered that the server supports
 * (the client lists them in its order of preference), or undefined for none (no header is sent).
 */
export function selectProtocol(offered: readonly string[], supported: readonly string[] | undefined): string | undefined {
  if (supported === undefined) return undefined;
  for (const protocol of offered) if (supported.includes(protocol)) return protocol;
  return undefined;
}

/** Whether `origin` is allowed; origins compare case-insensitively and without a trailing slash. */
export function isOriginAllowed(origin: string, allowOrigins: AllowOrigins): boolean {
  if (typeof allowOrigins === 'function') return allowOrigins(origin) === true;
  const wanted = normalizeOrigin(origin);
  return allowOrigins.some((allowed) => allowed === '*' || normalizeOrigin(allowed) === wanted);
}

/**
 * The 101 response head (RFC 6455 §4.2.2 step 5). `extensions` is an agreed Sec-WebSocket-Extensions
 * value; `extraHeaderLines` are already formatted `Name: value\r\n` lines (e.g. Set-Cookie).
 */
export function switchingProtocolsResponse(key: string, protocol: string | undefined, extensions = '', extraHeaderLines = ''): string {
  let head =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n`;
  if (protocol !== undefined) head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (extensions !== '') head += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  return head + extraHeaderLines + '\r\n';
}

function reject(status: number, message: string): RejectedUpgrade {
  return { ok: false, status, message };
}

/**
 * The offered subprotocols; undefined when the header is malformed (a name that is not a token, a
 * repeated name, or no name at all: the header is `1#token`). Empty list elements (`a,,b`, a
 * trailing comma) are skipped, as RFC 9110 §5.6.1.2 asks of a recipient. A header sent several
 * times is one list (RFC 9110 §5.3), whether or not Node joined it.
 */
function parseProtocols(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return [];
  const names: string[] = [];
  for (const element of (typeof value === 'string' ? value : value.join(',')).split(',')) {
    const name = element.trim();
    if (name === '') continue;
    if (!isToken(name) || names.includes(name)) return undefined;
    names.push(name);
  }
  return names.length === 0 ? undefined : names;
}

function normalizeOrigin(origin: string): string {
  const lower = origin.trim().toLowerCase();
  return lower.endsWith('/') ? lower.slice(0, -1) : lower;
}
