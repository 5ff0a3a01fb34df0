// Socket I/O of the opening handshake: the refusal response, the 101, and the `upgrade` hook's
// answer read into one of the two.
import { STATUS_CODES, validateHeaderName, validateHeaderValue, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { UpgradeVerdict } from './hooks.ts';
import { switchingProtocolsResponse } from './handshake.ts';
import { describeValue } from '../../util/describe-value.ts';

type HeaderRecord = Record<string, string | readonly string[]>;

/** The upgrade hook's answer, checked: accept (with what) or refuse (with what). */
export type UpgradeDecision =
  | { accept: true; protocol: string | undefined; data: unknown; headerLines: string }
  | { accept: false; status: number; body: string; headers: HeaderRecord | undefined };

/**
 * Reads what an `upgrade` hook returned. Throws a TypeError (the server answers 500 and logs it)
 * for a verdict it cannot honour: a subprotocol the client did not offer (the client would fail
 * the connection, RFC 6455 §4.1), a status outside 400–599, or bad headers.
 */
export function decideUpgrade(verdict: UpgradeVerdict, offeredProtocols: readonly string[], defaultProtocol: string | undefined): UpgradeDecision {
  if (verdict === undefined || verdict === null || verdict === true) {
    return { accept: true, protocol: defaultProtocol, data: undefined, headerLines: '' };
  }
  if (verdict === false) return refusal(403, undefined, undefined);
  if (typeof verdict === 'number') return refusal(verdict, undefined, undefined);
  if (typeof verdict !== 'object') throw new TypeError(`upgrade hook returned ${describeValue(verdict)}; expected an object, a status, a boolean or nothing`);
  if ('status' in verdict && verdict.status !== undefined && verdict.status !== 101) {
    return refusal(verdict.status, verdict.body, verdict.headers);
  }
  const accepted = verdict as { protocol?: unknown; data?: unknown; headers?: HeaderRecord };
  let protocol = defaultProtocol;
  if (accepted.protocol !== undefined && accepted.protocol !== null && accepted.protocol !== '') {
    if (typeof accepted.protocol !== 'string' || !offeredProtocols.includes(accepted.protocol)) {
      throw new TypeError(`upgrade hook chose subprotocol ${describeValue(accepted.protocol)}, which the client did not offer`);
    }
    protocol = accepted.protocol;
  }
  return { accept: true, protocol, data: accepted.data, headerLines: formatHeaderLines(accepted.headers) };
}

/** Writes the 101 response; the socket then carries WebSocket frames. */
export function writeSwitchingProtocols(socket: Socket, key: string, protocol: string | undefined, headerLines: string, extensions = ''): void {
  // A timeout inherited from the HTTP server must not end a WebSocket: keepalive.ts handles idleness.
  socket.setTimeout(0);
  socket.write(switchingProtocolsResponse(key, protocol, extensions, headerLines));
}

/** Answers an upgrade request with an HTTP error and closes the socket once the response is out. */
export function rejectUpgrade(socket: Socket, status: number, body: string, headers?: HeaderRecord): void {
  if (socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = body === '' ? (STATUS_CODES[status] ?? 'Error') : body;
  let head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Connection: close\r\n' +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(text)}\r\n`;
  try {
    head += formatHeaderLines(headers);
  } catch {
    // Headers from the script were checked by decideUpgrade; ours are constants.
  }
  socket.end(head + '\r\n' + text);
  // The HTTP server's sockets allow half-open connections: do not wait for the client's FIN.
  socket.once('finish', socket.destroy);
}

/**
 * Calls `then` once the responses to requests pipelined before the upgrade on this connection have
 * been written (at once when there are none), so that the 101 or the refusal follows them instead
 * of landing in the middle of one. Nothing is called if the client leaves first.
 */
export function afterEarlierResponses(socket: Socket, then: () => void): void {
  // Node attaches the response being written to the socket as `_httpMessage` and queues later ones
  // behind it, attaching the next when one finishes (before that one's 'close'). The upgrade
  // request itself has no response object.
  const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (pending === null || pending === undefined) return then();
  pending.once('close', () => {
    if (!socket.destroyed) afterEarlierResponses(socket, then);
  });
}

/** A socket listener for the time between the upgrade event and the connection's own listeners. */
export function destroyOnError(this: Socket): void {
  this.destroy();
}

function refusal(status: unknown, body: unknown, headers: HeaderRecord | undefined): UpgradeDecision {
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    throw new TypeError(`upgrade hook refused with status ${describeValue(status)}; use a status from 400 to 599`);
  }
  if (body !== undefined && typeof body !== 'string') throw new TypeError(`upgrade hook refusal body must be a string, got ${describeValue(body)}`);
  formatHeaderLines(headers); // checked now, so that writing it later cannot fail
  return { accept: false, status, body: body ?? '', headers };
}

/** `Name: value\r\n` lines, checked with Node's rules so a script cannot inject CR/LF. */
function formatHeaderLines(headers: HeaderRecord | undefined): string {
  if (headers === undefined || headers === null) return '';
  if (typeof headers !== 'object') throw new TypeError(`upgrade hook headers must be an object, got ${describeValue(headers)}`);
  let lines = '';
  for (const [name, value] of Object.entries(headers)) {
    validateHeaderName(name);
    for (const item of Array.isArray(value) ? value : [value]) {
      validateHeaderValue(name, item);
      lines += `${name}: ${String(item)}\r\n`;
    }
  }
  return lines;
}
