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
    // A known length gets one buffer filled in place; a chunked body is joined once at the end.
    const whole = announcedLength > 0 ? Buffer.allocUnsafe(announcedLength) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;

    const onData = (chunk: Buffer): void => {
      if (received + chunk.length > maxBytes || (whole !== undefined && received + chunk.length > whole.length)) {
        finish(TOO_LARGE);
        return;
      }
      if (whole !== undefined) chunk.copy(whole, received);
      else chunks.push(chunk);
      received += chunk.length;
    };
    const onEnd = (): void => {
      if (whole !== undefined) finish(received === whole.length ? whole : whole.subarray(0, received));
      else finish(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    };
    const onClose = (): void => finish(undefined);
    const finish = (result: Buffer | typeof TOO_LARGE | undefined): void => {
      incoming.off('data', onData).off('end', onEnd).off('close', onClose);
      resolve(result);
    };

    incoming.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}
