// The client's half of the opening handshake (RFC 6455 §4.1): the request's headers and the checks
// on the server's answer. Pure functions over header values; connect.ts does the I/O.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseExtensions, type ExtensionOffer } from '../extensions/extension-header.ts';
import { acceptKey } from '../protocol/accept-key.ts';
import { listsToken } from '../../util/http-tokens.ts';

/** Why the server's answer was refused; `code` is stable for scripts and tests. */
export type HandshakeErrorCode =
  | 'KRANDOG_WS_HANDSHAKE_STATUS'
  | 'KRANDOG_WS_HANDSHAKE_UPGRADE'
  | 'KRANDOG_WS_HANDSHAKE_ACCEPT'
  | 'KRANDOG_WS_HANDSHAKE_PROTOCOL'
  | 'KRANDOG_WS_HANDSHAKE_EXTENSION'
  /** No answer (or no complete one) within handshakeTimeout. */
  | 'KRANDOG_WS_HANDSHAKE_TIMEOUT';

/** The server's answer to the opening handshake was not a valid WebSocket acceptance. */
export class HandshakeError extends Error {
  readonly code: HandshakeErrorCode;

  constructor(code: HandshakeErrorCode, message: string) {
    super(message);
    this.name = 'HandshakeError';
    this.code = code;
  }
}

/** What the client asks for; `extensionOffers` are Sec-WebSocket-Extensions elements (none yet). */
export interface HandshakeOffer {
  key: string;
  protocols: readonly string[];
  extensionOffers: readonly string[];
}

/** What the server agreed to; `extensions` is the parsed answer, for the offering extension to read. */
export interface AgreedHandshake {
  /** The chosen subprotocol, '' for none. */
  protocol: string;
  /** The Sec-WebSocket-Extensions answer as sent, '' for none (what `ws.extensions` reports). */
  extensionsHeader: string;
  extensions: ExtensionOffer[];
}

/** A fresh Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 §4.1, item 7). */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

/** The request headers that make the handshake (Host is added by node:http). */
export function handshakeHeaders(offer: HandshakeOffer): Record<string, string> {
  const headers: Record<string, string> = {
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': offer.key,
    'Sec-WebSocket-Version': '13',
  };
  if (offer.protocols.length > 0) headers['Sec-WebSocket-Protocol'] = offer.protocols.join(', ');
  if (offer.extensionOffers.length > 0) headers['Sec-WebSocket-Extensions'] = offer.extensionOffers.join(', ');
  return headers;
}

/**
 * Checks the server's answer (RFC 6455 §4.1, "the client MUST validate the server's response") and
 * returns what was agreed; throws a HandshakeError on the first problem. Redirects are failures
 * like any other status but 101: browsers do not follow them for WebSockets.
 */
export function validateHandshakeResponse(statusCode: number | undefined, headers: IncomingHttpHeaders, offer: HandshakeOffer): AgreedHandshake {
  if (statusCode !== 101) {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_STATUS', `server answered ${statusCode} instead of 101 Switching Protocols`);
  }
  checkUpgradeHeaders(headers);
  // Node joins repeated headers with ", ", so two Accept headers cannot match either.
  if (headers['sec-websocket-accept'] !== acceptKey(offer.key)) {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_ACCEPT', 'Sec-WebSocket-Accept does not match the key sent');
  }
  return {
    protocol: agreedProtocol(headers['sec-websocket-protocol'], offer.protocols),
    ...agreedExtensions(headers['sec-websocket-extensions'], offer.extensionOffers),
  };
}

/** RFC 6455 §4.1 items 2 and 3: `Upgrade: websocket` and a `Connection` list with `Upgrade`. */
export function checkUpgradeHeaders(headers: IncomingHttpHeaders): void {
  if (headers.upgrade?.trim().toLowerCase() !== 'websocket') {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_UPGRADE', 'response lacks "Upgrade: websocket"');
  }
  if (!listsToken(headers.connection, 'upgrade')) {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_UPGRADE', 'response lacks "Connection: Upgrade"');
  }
}

/**
 * RFC 6455 §4.1 item 6: a subprotocol the client did not offer fails. The WebSockets standard adds
 * ("establish a WebSocket connection") that offering some and getting none back fails too, as in
 * browsers (RFC 6455 alone would allow it).
 */
function agreedProtocol(answer: string | undefined, offered: readonly string[]): string {
  if (answer === undefined || answer === '') {
    if (offered.length > 0) {
      throw new HandshakeError('KRANDOG_WS_HANDSHAKE_PROTOCOL', `server chose none of the subprotocols offered (${offered.join(', ')})`);
    }
    return '';
  }
  if (!offered.includes(answer)) {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_PROTOCOL', `server chose subprotocol ${JSON.stringify(answer)}, which was not offered`);
  }
  return answer;
}

/** RFC 6455 §4.1 item 5 and §9.1: only offered extensions, each at most once. */
function agreedExtensions(answer: string | undefined, offers: readonly string[]): Pick<AgreedHandshake, 'extensionsHeader' | 'extensions'> {
  if (answer === undefined || answer.trim() === '') return { extensionsHeader: '', extensions: [] };
  let extensions: ExtensionOffer[];
  try {
    extensions = parseExtensions(answer);
  } catch (error) {
    throw new HandshakeError('KRANDOG_WS_HANDSHAKE_EXTENSION', `malformed Sec-WebSocket-Extensions: ${(error as Error).message}`);
  }
  const offeredNames = new Set(offers.map((offer) => offer.split(';')[0].trim()));
  const seen = new Set<string>();
  for (const { name } of extensions) {
    if (!offeredNames.has(name)) {
      throw new HandshakeError('KRANDOG_WS_HANDSHAKE_EXTENSION', `server accepted extension ${JSON.stringify(name)}, which was not offered`);
    }
    if (seen.has(name)) throw new HandshakeError('KRANDOG_WS_HANDSHAKE_EXTENSION', `server accepted extension ${JSON.stringify(name)} twice`);
    seen.add(name);
  }
  return { extensionsHeader: answer, extensions };
}
