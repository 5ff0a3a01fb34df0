import zlib from 'node:zlib';

// A raw DEFLATE stream that is used synchronously and kept between messages. Node's one-shot
// deflateRawSync/inflateRawSync build a stream object and a zlib context per call (deflateInit
// allocates and clears ~256 KiB), which costs as much as compressing a 4 KiB message; Node has no
// public synchronous call on a kept stream (its internal _processChunk closes the stream when it
// is done). So this drives the stream's native handle the way that internal code does
// (handle.writeSync, the [availOut, availIn] write state, handle.reset), which Node 20, 22 and 24
// all have; where a Node lacks it, `isSupported` is false and callers use the one-shot calls.

const { Z_SYNC_FLUSH } = zlib.constants;
/** zlib writes into this scratch buffer; each call's output is copied out of it. */
const scratch = Buffer.allocUnsafe(64 * 1024);

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOffset: number, inLength: number, out: Buffer, outOffset: number, outLength: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

interface ZlibInternals {
  _handle?: NativeHandle;
  _writeState?: Uint32Array;
}

/** Whether this Node exposes what RawZlibStream needs (checked once, on a throwaway stream). */
export const isSupported: boolean = (() => {
  const probe = zlib.createInflateRaw() as unknown as ZlibInternals & zlib.InflateRaw;
  const ok = typeof probe._handle?.writeSync === 'function' && typeof probe._handle.reset === 'function' && probe._writeState instanceof Uint32Array;
  probe.close();
  return ok;
})();

/** Thrown by `process` when the output would exceed its limit; the stream was reset. */
export class OutputTooLargeError extends Error {}

/** Thrown by `process` when zlib rejects the data; the stream is closed (make a new one). */
export class ZlibDataError extends Error {}

export class RawZlibStream {
  readonly #stream: zlib.DeflateRaw | zlib.InflateRaw;
  readonly #handle: NativeHandle;
  readonly #state: Uint32Array;
  #error: string | undefined;
  /** Set after a data error: zlib's state is unusable, the owner must make a new stream. */
  broken = false;

  constructor(kind: 'deflate' | 'inflate', options: zlib.ZlibOptions) {
    this.#stream = kind === 'deflate' ? zlib.createDeflateRaw(options) : zlib.createInflateRaw(options);
    const internals = this.#stream as unknown as ZlibInternals;
    this.#handle = internals._handle!;
    this.#state = internals._writeState!;
    // Errors come back through this callback during writeSync; our own handler keeps the stream
    // object from destroying itself and emitting 'error' on a later tick.
    this.#handle.onerror = (message) => {
      this.#error = message;
    };
  }

  /**
   * Feeds `inputs` through the stream with a sync flush and returns all output in one buffer.
   * Past `maxOutput` bytes it stops, resets the stream and throws OutputTooLargeError.
   */
  process(inputs: readonly Uint8Array[], maxOutput = Infinity): Buffer {
    const slices: Buffer[] = [];
    let total = 0;
    for (const input of inputs) {
      let inOffset = 0;
      let inLength = input.length;
      for (;;) {
        this.#handle.writeSync(Z_SYNC_FLUSH, input, inOffset, inLength, scratch, 0, scratch.length);
        if (this.#error !== undefined) {
          const message = this.#error;
          this.close();
          throw new ZlibDataError(message);
        }
        const availOut = this.#state[0]!;
        const availIn = this.#state[1]!;
        const produced = scratch.length - availOut;
        if (produced > 0) {
          total += produced;
          if (total > maxOutput) {
            this.reset();
            throw new OutputTooLargeError(`output over ${maxOutput} bytes`);
          }
          const slice = Buffer.allocUnsafe(produced);
          scratch.copy(slice, 0, 0, produced);
          slices.push(slice);
        }
        // A full scratch buffer means zlib may have more to give for the same input.
        if (availOut !== 0) break;
        inOffset += inLength - availIn;
        inLength = availIn;
      }
    }
    if (slices.length === 1) return slices[0]!;
    return Buffer.concat(slices, total);
  }

  /** Forgets the stream's history: the next message stands alone. */
  reset(): void {
    this.#handle.reset();
  }

  close(): void {
    this.broken = true;
    this.#stream.close();
  }
}
