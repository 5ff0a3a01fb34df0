// HTTP/2 requests as handlers see HTTP/1.1 ones. Node's compat API puts the pseudo-headers
// (`:method`, `:path`, `:authority`, `:scheme`, `:protocol`) into `headers`; they are not headers
// (RFC 9113 §8.3) and a handler that forwards or lists headers must not meet them. `:authority`
// stands for Host (RFC 9113 §8.3.1), so it becomes `host` when the client sent none.
import type { IncomingHttpHeaders } from 'node:http';

/** The headers of an h2 request without its pseudo-headers; `host` from `:authority`. */
export function withoutPseudoHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (name.charCodeAt(0) !== 0x3a /* : */) out[name] = headers[name];
  }
  const authority = headers[':authority'];
  if (out.host === undefined && typeof authority === 'string') out.host = authority;
  return out;
}
