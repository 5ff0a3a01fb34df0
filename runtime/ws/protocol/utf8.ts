import { isUtf8 } from 'node:buffer';
import { CloseCode } from './constants.ts';
import { ProtocolError } from './errors.ts';

/**
 * Validates UTF-8 that arrives in pieces, failing as soon as a byte makes the text invalid
 * (Autobahn 6.4.x: fail fast inside a fragmented message, not at its end).
 *
 * The bytes live in one growing buffer owned by the caller; `validate(buffer, end)` checks what was
 * added since the last call. Complete code points are checked by Node's native `isUtf8`; a code
 * point cut at the end is left for the next call, after checking that it is a valid beginning.
 */
export class Utf8StreamValidator {
  /** Everything before this index is known-valid, complete UTF-8. */
  #validatedUpTo = 0;

  reset(): void {
    this.#validatedUpTo = 0;
  }

  /** False as soon as `buffer[0, end)` can no longer be the beginning of valid UTF-8. */
  validate(buffer: Uint8Array, end: number): boolean {
    const start = this.#validatedUpTo;
    const cut = incompleteTailStart(buffer, start, end);
    if (cut > start && !isUtf8(buffer.subarray(start, cut))) return false;
    if (cut < end && !isValidPrefix(buffer, cut, end)) return false;
    this.#validatedUpTo = cut;
    return true;
  }

  /** True when the bytes validated so far end on a code point boundary (the message can end here). */
  isComplete(end: number): boolean {
    return this.#validatedUpTo === end;
  }
}

/** Where a trailing, not yet complete code point starts in `buffer[start, end)`; `end` if none. */
function incompleteTailStart(buffer: Uint8Array, start: number, end: number): number {
  // A code point is at most 4 bytes: look back at most 3 bytes for its lead byte.
  const limit = Math.max(start, end - 3);
  for (let i = end - 1; i >= limit; i--) {
    const byte = buffer[i];
    if (byte < 0x80) return end; // ASCII: nothing is cut
    if (byte >= 0xc0) return i + sequenceLength(byte) > end ? i : end;
  }
  return end;
}

function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  return 2;
}

/** Whether `buffer[start, end)` (shorter than its sequence) can still become a valid code point. */
function isValidPrefix(buffer: Uint8Array, start: number, end: number): boolean {
  const lead = buffer[start];
  if (lead < 0xc2 || lead > 0xf4) return false; // overlong leads C0/C1 and beyond U+10FFFF
  if (end - start >= 2) {
    const second = buffer[start + 1];
    // RFC 3629 §4: the second byte's range depends on the lead (no overlongs, surrogates, > U+10FFFF).
    let low = 0x80;
    let high = 0xbf;
    if (lead === 0xe0) low = 0xa0;
    else if (lead === 0xed) high = 0x9f;
    else if (lead === 0xf0) low = 0x90;
    else if (lead === 0xf4) high = 0x8f;
    if (second < low || second > high) return false;
  }
  if (end - start >= 3 && (buffer[start + 2] & 0xc0) !== 0x80) return false;
  return true;
}

/** Whole-message check for the common case of a message that arrived in one piece. */
export { isUtf8 as isValidUtf8 };

/** The error for text that is not UTF-8 (RFC 6455 §8.1: fail with 1007). */
export function invalidUtf8(): ProtocolError {
  return new ProtocolError('KRANDOG_WS_INVALID_UTF8', 'text message is not valid UTF-8', CloseCode.InvalidPayload);
}
