// Reading a request body into one Buffer, never past the server's maxBodySize.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** The body length a request announces: 0 when it has none, -1 when it is chunked (unknown). */
export function announcedBodyLength(headers: IncomingHttpHeaders): number {
  // RFC 9112 §6.3: only Transfer-Encoding or Content-Length give a request a body. Node's parser
  // has already rejected malformed or conflicting values with 400.
  if (headers['transfer-encoding'] !== undefined) return -1;
  const contentLength = headers['content-length'];
  return contentLength === undefined ? 0 : Number(contentLength);
}

/** What {@link readBody} settles with when the body passes the limit. */
export const TOO_LARGE = Symbol('request body too large');

/**
 * Collects the body of `incoming`. Settles with the bytes, with {@link TOO_LARGE} as soon as more
 * than `maxBytes` have arrived (the rest is then left unread), or with `undefined` when the client
 * goes away first.
 */
export function readBody(
  incoming: IncomingMessage,
  announcedLength: number,
  maxBytes: number,
): Promise<Buffer | typeof TOO_LARGE | undefined> {
  return new Promise((resolve) => {
    // Every chunk is copied into one buffer: a known length gets it at once; a chunked body grows
    // it by doubling (up to maxBytes), so a body costs at most twice its size however it is cut.
    // Keeping Node's chunks instead costs an object per chunk: ~400 bytes per byte in 1-byte chunks.
    const knownLength = announcedLength > 0;
    let body: Buffer = knownLength ? Buffer.allocUnsafe(announcedLength) : EMPTY;
    let received = 0;

    const onData = (chunk: Buffer): void => {
      const end = received + chunk.length;
      if (end > maxBytes || (knownLength && end > body.length)) {
        finish(TOO_LARGE);
        return;
      }
      if (end > body.length) body = grown(body, received, Math.min(maxBytes, Math.max(end, 2 * body.length)));
      chunk.copy(body, received);
      received = end;
    };
    const onEnd = (): void => finish(received === body.length ? body : body.subarray(0, received));
    const onClose = (): void => finish(undefined);
    const finish = (result: Buffer | typeof TOO_LARGE | undefined): void => {
      incoming.off('data', onData).off('end', onEnd).off('close', onClose);
      resolve(result);
    };

    incoming.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

const EMPTY = Buffer.alloc(0);

/** A buffer of `capacity` bytes starting with the first `used` bytes of `body`. */
function grown(body: Buffer, used: number, capacity: number): Buffer {
  const bigger = Buffer.allocUnsafe(capacity);
  body.copy(bigger, 0, 0, used);
  return bigger;
}
