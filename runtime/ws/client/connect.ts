// The opening handshake's I/O for the client: one GET with the Upgrade headers over node:http or
// node:https (TLS verified with Node's trust store, which includes NODE_EXTRA_CA_CERTS), handed back
// as the upgraded socket. node:http parses the response; handshake.ts judges it.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { checkUpgradeHeaders, HandshakeError } from './handshake.ts';

export interface HandshakeCallbacks {
  /** The server answered 101: the response (still to be validated), its socket and any bytes after it. */
  onUpgrade(response: IncomingMessage, socket: Socket, head: Buffer): void;
  /** No 101 came: connection refused, DNS, TLS or certificate failure, another status, early close, timeout. */
  onFailure(error: Error): void;
}

/**
 * Sends the handshake request for `url` (ws: or wss:) and reports the outcome exactly once.
 * Without a 101 within `timeoutMs` (0: no limit) the attempt fails and its socket is destroyed.
 * Returns a function that abandons the attempt (no callback follows). Throws synchronously only for
 * header values node:http refuses.
 */
export function sendHandshakeRequest(url: URL, headers: Record<string, string>, timeoutMs: number, callbacks: HandshakeCallbacks): () => void {
  const secure = url.protocol === 'wss:';
  const request = (secure ? https : http).request({
    // An IPv6 literal comes bracketed in URLs, not in connect(); node:http re-brackets it for Host.
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: url.pathname + url.search,
    method: 'GET',
    headers,
    // Credentials in the URL become Basic authentication, as node:http, ws and Bun do.
    auth: url.username === '' && url.password === '' ? undefined : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
    // A socket of its own: an upgraded connection never goes back to a pool.
    agent: false,
  });
  let settled = false;
  // One deadline for the whole handshake, not an idle timer: a server that trickles its answer a
  // byte at a time is cut off too. Not unref'd, though the socket keeps the process alive anyway.
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          if (!settle()) return;
          request.destroy();
          callbacks.onFailure(new HandshakeError('KRANDOG_WS_HANDSHAKE_TIMEOUT', `no answer to the opening handshake within ${timeoutMs} ms`));
        }, timeoutMs)
      : undefined;
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    return true;
  };
  request.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
    if (settle()) callbacks.onUpgrade(response, socket, head);
    else socket.destroy();
  });
  request.on('response', (response: IncomingMessage) => {
    // Any other status, redirects included: browsers do not follow redirects for WebSockets.
    response.resume();
    request.destroy();
    if (settle()) callbacks.onFailure(responseError(response));
  });
  request.on('error', (error: Error) => {
    if (settle()) callbacks.onFailure(error);
  });
  request.end();
  return () => {
    if (settle()) request.destroy();
  };
}

/** Why a response that node:http did not treat as an upgrade is refused. */
function responseError(response: IncomingMessage): Error {
  if (response.statusCode === 101) {
    // node:http upgrades a 101 only when it carries Upgrade and Connection: say which is missing.
    try {
      checkUpgradeHeaders(response.headers);
    } catch (error) {
      return error as Error;
    }
  }
  return new HandshakeError('KRANDOG_WS_HANDSHAKE_STATUS', `server answered ${response.statusCode} instead of 101 Switching Protocols`);
}
