import { randomFillSync } from 'node:crypto';
import { simdMaskInto } from './simd-mask.ts';

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Below this many bytes the fixed cost of the word-wide path outweighs its speed. */
const WORD_PATH_MIN_BYTES = 64;
/**
 * From this many bytes the WebAssembly SIMD path wins despite its two copies (see simd-mask.ts);
 * measured in the frame parser, the word path is as fast up to about 1 KiB.
 */
const SIMD_PATH_MIN_BYTES = 2048;

// A word view over the ArrayBuffer most recently masked. Frames arrive many to a socket read and
// reads are one ArrayBuffer each, so the view is reused for every frame of a read instead of being
// created per frame (which costs more than masking a small payload).
let viewedBuffer: ArrayBufferLike | null = null;
let viewedWords: Int32Array<ArrayBufferLike> = new Int32Array(0);

function wordsOf(arrayBuffer: ArrayBufferLike): Int32Array {
  if (arrayBuffer !== viewedBuffer) {
    viewedWords = new Int32Array(arrayBuffer, 0, arrayBuffer.byteLength >> 2);
    viewedBuffer = arrayBuffer;
  }
  return viewedWords;
}

/**
 * XORs `buffer[start, end)` in place with the 4-byte `mask`, where `maskOffset` is how many payload
 * bytes of the frame came before `start` (payloads may arrive in pieces).
 *
 * Hot path for large binary messages: large ranges go through WebAssembly SIMD; smaller ones (or
 * all, without WebAssembly) four bytes at a time through an Int32Array over the 4-byte-aligned
 * middle of the buffer, with only the unaligned edges byte by byte.
 */
export function applyMask(buffer: Uint8Array, mask: Uint8Array, maskOffset: number, start: number, end: number): void {
  if (end - start >= SIMD_PATH_MIN_BYTES && simdMaskInto(buffer, start, end, buffer, start, mask, maskOffset)) return;
  applyWordMask(buffer, mask, maskOffset, start, end);
}

/**
 * Copies `source[start, end)` into `target` at `targetOffset`, unmasking on the way: one pass over
 * the bytes where a copy then an in-place unmask would be two.
 */
export function copyMasked(source: Uint8Array, start: number, end: number, target: Uint8Array, targetOffset: number, mask: Uint8Array, maskOffset: number): void {
  if (end - start >= SIMD_PATH_MIN_BYTES && simdMaskInto(source, start, end, target, targetOffset, mask, maskOffset)) return;
  target.set(source.subarray(start, end), targetOffset);
  applyWordMask(target, mask, maskOffset, targetOffset, targetOffset + (end - start));
}

/** The JavaScript path of applyMask, exported so tests can compare both paths on any range. */
export function applyWordMask(buffer: Uint8Array, mask: Uint8Array, maskOffset: number, start: number, end: number): void {
  let i = start;
  let m = maskOffset & 3;
  if (end - start >= WORD_PATH_MIN_BYTES) {
    // Walk byte by byte until the absolute address is 4-byte aligned.
    while (((buffer.byteOffset + i) & 3) !== 0) {
      buffer[i++] ^= mask[m];
      m = (m + 1) & 3;
    }
    // The mask as seen from this aligned position, as a word in the machine's byte order.
    const b0 = mask[m], b1 = mask[(m + 1) & 3], b2 = mask[(m + 2) & 3], b3 = mask[(m + 3) & 3];
    const word = IS_LITTLE_ENDIAN ? b0 | (b1 << 8) | (b2 << 16) | (b3 << 24) : (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
    const words = wordsOf(buffer.buffer);
    const firstWord = (buffer.byteOffset + i) >> 2;
    const endWord = firstWord + ((end - i) >> 2);
    let w = firstWord;
    // Unrolled by eight: about twice the speed of the plain loop in V8 on 1 MiB payloads.
    for (const stop = endWord - 7; w < stop; w += 8) {
      words[w] ^= word;
      words[w + 1] ^= word;
      words[w + 2] ^= word;
      words[w + 3] ^= word;
      words[w + 4] ^= word;
      words[w + 5] ^= word;
      words[w + 6] ^= word;
      words[w + 7] ^= word;
    }
    for (; w < endWord; w++) words[w] ^= word;
    i += (endWord - firstWord) << 2;
  }
  while (i < end) {
    buffer[i++] ^= mask[m];
    m = (m + 1) & 3;
  }
}

// Masking keys come from the CSPRNG (RFC 6455 §5.3 asks for unpredictable keys), drawn from a pool
// so that each frame costs a subarray rather than a system call.
const KEY_POOL_BYTES = 8 * 1024;
let keyPool = Buffer.allocUnsafe(0);
let keyPoolOffset = 0;

/** Four fresh random bytes for one client frame. */
export function nextMaskKey(): Buffer {
  if (keyPoolOffset + 4 > keyPool.length) {
    keyPool = randomFillSync(Buffer.allocUnsafe(KEY_POOL_BYTES));
    keyPoolOffset = 0;
  }
  const key = keyPool.subarray(keyPoolOffset, keyPoolOffset + 4);
  keyPoolOffset += 4;
  return key;
}
