// Streaming a response body from an async iterable or a ReadableStream, with backpressure: the next
// chunk is pulled only once the socket has room, so memory stays flat whatever the body's size.
import type { ServerResponse } from 'node:http';
import { logRequestError } from './errors.ts';

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
    next: () => iterator.next(),
    cancel: async () => iterator.return?.(),
  };
}

/** Releases a body that will not be sent (HEAD, 204, 304, or a failed response). */
export function discardStreamBody(body: StreamBody): void {
  const cancelled = body instanceof ReadableStream ? body.cancel() : body[Symbol.asyncIterator]().return?.();
  cancelled?.catch(() => {});
}

/**
 * Writes every chunk of `body` to `res` (whose head is already written), then ends it. A failing
 * source is logged and the connection destroyed, so the client sees a truncated response.
 */
export async function pipeStreamBody(res: ServerResponse, body: StreamBody, method: string, url: string): Promise<void> {
  const source = chunkSourceOf(body);
  let finished = false;
  const onClose = (): void => {
    // The client left (or the response ended): stop the source, even mid-pull.
    if (!finished) source.cancel().catch(() => {});
    finished = true;
  };
  // An async handler may resolve after its client left: 'close' has then already fired.
  if (res.destroyed) return onClose();
  res.once('close', onClose);
  try {
    let step = source.next();
    // The head leaves with the first chunk (one write) if that chunk is ready at once; otherwise
    // now, as a stream may wait long for its first chunk (server-sent events).
    if (!(await settlesBeforeIO(step))) res.flushHeaders();
    for (;;) {
      const { done, value } = await step;
      if (done || finished) break;
      const chunk = toChunk(value);
      if (chunk.length > 0 && !res.write(chunk)) await drainOrClose(res);
      if (finished) break;
      step = source.next();
    }
    if (!finished) {
      finished = true;
      res.end();
    }
  } catch (error) {
    if (!finished) {
      finished = true;
      logRequestError('response body stream failed', method, url, error);
      res.destroy();
      source.cancel().catch(() => {});
    }
  } finally {
    res.off('close', onClose);
  }
}

function toChunk(value: unknown): string | Uint8Array {
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`a streamed body chunk must be a string or bytes, got ${value === null ? 'null' : typeof value}`);
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
