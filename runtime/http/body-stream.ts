// Streaming a response body from an async iterable or a ReadableStream, with backpressure: the next
// chunk is pulled only once the socket has room, so memory stays flat whatever the body's size.
// Everything here runs the script's code (its iterators and streams) and so may throw anywhere.
import type { ServerResponse } from 'node:http';
import { describeValue } from '../util/describe-value.ts';
import { logRequestError, sendInternalError } from './errors.ts';
import type { HeaderList } from './response-headers.ts';
import { isBinaryData, viewBytes } from '../util/bytes.ts';

/** A streamed body: a ReadableStream, or any async iterable (async generator, Node Readable, …). */
export type StreamBody = ReadableStream<unknown> | AsyncIterable<unknown>;

/** Whether `body` is streamed rather than sent whole. */
export function isStreamBody(body: object): body is StreamBody {
  return body instanceof ReadableStream || typeof (body as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

/** Pulls chunks one at a time and can be cancelled while a pull is pending. */
interface ChunkSource {
  next(): Promise<IteratorResult<unknown>>;
  cancel(): Promise<unknown>;
}

function chunkSourceOf(body: StreamBody): ChunkSource {
  if (body instanceof ReadableStream) {
    // A reader (rather than the stream's async iterator) can be cancelled during a pending read,
    // so a client that leaves stops the source at once.
    const reader = body.getReader();
    return { next: () => reader.read() as Promise<IteratorResult<unknown>>, cancel: () => reader.cancel() };
  }
  const iterator = body[Symbol.asyncIterator]();
  return {
    // A hand-written iterator may answer with a plain object, or a thenable that throws.
    next: () => Promise.resolve(iterator.next()),
    cancel: async () => iterator.return?.(),
  };
}

/** Releases a body that will not be sent (HEAD, 204, 304, or a failed response). */
export function discardStreamBody(body: StreamBody): void {
  try {
    const cancelled = body instanceof ReadableStream ? body.cancel() : body[Symbol.asyncIterator]().return?.();
    Promise.resolve(cancelled).catch(() => {});
  } catch {
    // The script's iterator failed to stop: nothing more to release.
  }
}

/** The head of a streamed response, written with its first chunk. */
export interface StreamHead {
  status: number;
  reason: string | undefined;
  headers: HeaderList;
  /** The handler's Content-Length, which the body must match; undefined: chunked. */
  length: number | undefined;
}

/** A streamed body whose size is not the Content-Length its handler gave. */
class LengthMismatchError extends Error {}

/**
 * Writes `head`, then every chunk of `body`, to `res`, and ends it. The head waits for the first
 * chunk (at most one turn of the event loop, see below), so a source that fails before it gets a
 * 500; one that fails later is logged and the connection destroyed, so the client sees a truncated
 * response. So does a body longer or shorter than a Content-Length given for it.
 */
export async function pipeStreamBody(res: ServerResponse, head: StreamHead, body: StreamBody, method: string, url: string): Promise<void> {
  let source: ChunkSource | undefined;
  let finished = false;
  let headWritten = false;
  const writeHead = (): void => {
    // HTTP/2 has no reason phrase (RFC 9113 §8.3.2): Node warns when given one.
    if (res.req.httpVersionMajor === 2) res.writeHead(head.status, head.headers);
    else res.writeHead(head.status, head.reason, head.headers);
    headWritten = true;
  };
  const onClose = (): void => {
    // The client left (or the response ended): stop the source, even mid-pull.
    if (!finished) source?.cancel().catch(() => {});
    finished = true;
  };
  // An async handler may resolve after its client left: 'close' has then already fired.
  if (res.destroyed) return discardStreamBody(body);
  res.once('close', onClose);
  let sent = 0;
  try {
    source = chunkSourceOf(body);
    let step = source.next();
    // The head leaves with the first chunk (one write) if that chunk is ready at once; otherwise
    // now, as a stream may wait long for its first chunk (server-sent events).
    if (!(await settlesBeforeIO(step)) && !finished) {
      writeHead();
      res.flushHeaders();
    }
    for (;;) {
      const { done, value } = await step;
      if (done || finished) break;
      const chunk = toChunk(value);
      if (head.length !== undefined) {
        sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
        if (sent > head.length) throw new LengthMismatchError(`the streamed body is longer than its Content-Length (${head.length} bytes)`);
      }
      if (!headWritten) writeHead();
      if (chunk.length > 0 && !res.write(chunk)) await drainOrClose(res);
      if (finished) break;
      step = source.next();
    }
    if (!finished) {
      if (head.length !== undefined && sent !== head.length) {
        throw new LengthMismatchError(`the streamed body ended after ${sent} of the ${head.length} bytes its Content-Length announced`);
      }
      finished = true;
      if (!headWritten) writeHead();
      res.end();
    }
  } catch (error) {
    if (!finished) {
      finished = true;
      if (error instanceof LengthMismatchError) console.error(`krandog: ${error.message}; ${headWritten ? 'the connection was cut' : 'answered 500'} (${method} ${url})`);
      else logRequestError('response body stream failed', method, url, error);
      if (headWritten) res.destroy();
      else sendInternalError(res);
      if (source === undefined) discardStreamBody(body);
      else source.cancel().catch(() => {});
    }
  } finally {
    res.off('close', onClose);
  }
}

function toChunk(value: unknown): string | Uint8Array {
  if (typeof value === 'string') return value;
  if (isBinaryData(value)) return viewBytes(value);
  throw new TypeError(`a streamed body chunk must be a string or bytes, got ${describeValue(value)}`);
}

/** Whether `promise` settles within the current turn of the event loop (before any I/O). */
function settlesBeforeIO(promise: Promise<unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const ready = (): void => resolve(true);
    promise.then(ready, ready);
    setImmediate(resolve, false);
  });
}

/** Resolves when the socket wants more data or the response is gone. */
function drainOrClose(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
