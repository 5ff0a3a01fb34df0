// Which requests node:http hands to the WebSocket server. Once a server has an 'upgrade' listener,
// Node treats every request with `Connection: upgrade` and an `Upgrade` header as an upgrade, so an
// h2c offer (`curl --http2`, Java's HttpClient) would reach the WebSocket handshake and get 400.
// RFC 9110 §7.8 lets a server ignore an offer and answer the request as it is. With this
// IncomingMessage class, only a WebSocket offer (or a CONNECT) is an upgrade for Node: anything
// else goes to the request handler and the connection stays HTTP/1.1, as it would under node:http
// without WebSockets.
import { IncomingMessage } from 'node:http';
import { listsToken } from '../util/http-tokens.ts';

const kOffered = Symbol('krandog.upgradeOffered');

/** Node's IncomingMessage, whose `upgrade` is true only for WebSocket offers and CONNECT. */
export class WebSocketUpgradeMessage extends IncomingMessage {}

// An accessor, not a field: Node sets `upgrade` from its parser before the headers are added and
// reads it back (parserOnIncoming, onParserExecuteCommon) once they are.
Object.defineProperty(WebSocketUpgradeMessage.prototype, 'upgrade', {
  configurable: true,
  get(this: WebSocketUpgradeMessage & { [kOffered]?: unknown }): boolean {
    return this[kOffered] === true && (this.method === 'CONNECT' || offersWebSocket(this.headers.upgrade));
  },
  set(this: { [kOffered]?: unknown }, value: unknown) {
    this[kOffered] = value;
  },
});

/** Whether an `Upgrade` header value lists `websocket` (a comma-separated, case-insensitive list). */
export function offersWebSocket(upgrade: string | undefined): boolean {
  return listsToken(upgrade, 'websocket');
}
