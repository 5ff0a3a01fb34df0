// While a server closes, every response whose head is not written yet says `Connection: close`,
// including those of requests that arrived before the close began: keep-alive there would promise
// a connection the server is about to close.
import { ServerResponse } from 'node:http';

const kKeepAlive = Symbol('krandog.keepAlive');

/** A ServerResponse class whose `shouldKeepAlive` is false once `isClosing()` is true. */
export function closingAwareResponse(isClosing: () => boolean) {
  class ClosingAwareResponse extends ServerResponse {}
  // An accessor: Node sets shouldKeepAlive per request and reads it when it writes the head.
  Object.defineProperty(ClosingAwareResponse.prototype, 'shouldKeepAlive', {
    configurable: true,
    get(this: { [kKeepAlive]?: boolean }): boolean {
      return this[kKeepAlive] === true && !isClosing();
    },
    set(this: { [kKeepAlive]?: boolean }, value: boolean) {
      this[kKeepAlive] = value;
    },
  });
  return ClosingAwareResponse;
}
