import { CloseCode, Opcode } from './constants.ts';
import { copyMasked } from './mask.ts';
import { ProtocolError } from './errors.ts';
import { Utf8StreamValidator, invalidUtf8 } from './utf8.ts';

/**
 * Buffer growth: at most this many times the bytes received (bounds what a slow peer can reserve:
 * 10,000 peers that each send 64 KiB of a message and stop hold 5 GiB at 8, 20 GiB at 32). A 1 MiB
 * message in 64 KiB reads costs one regrowth copy of 512 KiB for it.
 */
const GROWTH_FACTOR = 8;
const MIN_CAPACITY = 4096;
/** A message buffer up to this size is kept for the next message once its bytes became a string. */
const REUSE_CAPACITY_LIMIT = 64 * 1024;

/**
 * Joins the payloads of one message's frames into one buffer, unmasking as bytes arrive and
 * checking text as UTF-8 incrementally, so invalid text fails before the message ends.
 *
 * Bytes are copied into one growing buffer rather than kept as a list of chunks, so a flood of tiny
 * fragments or tiny TCP segments costs memory in proportion to its bytes, not to its pieces.
 */
export class MessageAssembler {
  #buffer: Buffer | null = null;
  #length = 0;
  /** Whether the message being assembled is text (else binary). */
  isText = false;
  /** Whether its first frame had RSV1 set (permessage-deflate): the bytes are still compressed. */
  isCompressed = false;
  #fragments = 0;
  readonly #validator = new Utf8StreamValidator();
  readonly #maxPayload: number;
  readonly #maxFragments: number;

  constructor(maxPayload: number, maxFragments: number) {
    this.#maxPayload = maxPayload;
    this.#maxFragments = maxFragments;
  }

  /** Bytes of the message received so far, for the maxPayload check of the next frame. */
  get length(): number {
    return this.#length;
  }

  /** Starts a message (text or binary opcode); `isCompressed` is the first frame's RSV1. */
  begin(opcode: number, isCompressed: boolean): void {
    this.isText = opcode === Opcode.Text;
    this.isCompressed = isCompressed;
    this.#length = 0;
    this.#fragments = 0;
    this.#validator.reset();
  }

  /** Counts a frame of the message; too many is an error (a flood of empty fragments). */
  addFrame(): ProtocolError | undefined {
    if (++this.#fragments > this.#maxFragments) {
      return new ProtocolError(
        'KRANDOG_WS_TOO_MANY_FRAGMENTS',
        `message has more than ${this.#maxFragments} fragments`,
        CloseCode.MessageTooBig,
      );
    }
    return undefined;
  }

  /**
   * Appends `source[start, end)`, unmasking with `mask` from `maskOffset` bytes into the frame.
   * `frameRemainder` is how many bytes of the current frame follow this piece, and `isFinalFrame`
   * whether the message ends with that frame: together they let the buffer end at the exact size.
   */
  append(
    source: Uint8Array,
    start: number,
    end: number,
    mask: Uint8Array | null,
    maskOffset: number,
    frameRemainder: number,
    isFinalFrame: boolean,
  ): ProtocolError | undefined {
    const pieceBytes = end - start;
    const needed = this.#length + pieceBytes;
    if (this.#buffer === null || needed > this.#buffer.length) {
      this.#grow(needed, needed + frameRemainder, isFinalFrame);
    }
    const buffer = this.#buffer!;
    if (mask !== null) copyMasked(source, start, end, buffer, this.#length, mask, maskOffset);
    else buffer.set(source.subarray(start, end), this.#length);
    this.#length = needed;
    if (this.isText && !this.isCompressed && !this.#validator.validate(buffer, needed)) {
      return invalidUtf8();
    }
    return undefined;
  }

  /**
   * Ends the message: its bytes; text that ends inside a code point is an error (1007). Text
   * bytes stay valid until the next message (they become a string at once, see decodeMessage).
   */
  finish(): Buffer | ProtocolError {
    const buffer = this.#buffer;
    const length = this.#length;
    this.#length = 0;
    if (buffer === null) return Buffer.alloc(0);
    if (this.isText && !this.isCompressed) {
      if (!this.#validator.isComplete(length)) return invalidUtf8();
      // The bytes become a string: the buffer can take the next message, unless it grew large.
      if (buffer.length > REUSE_CAPACITY_LIMIT) this.#buffer = null;
      return buffer.subarray(0, length);
    }
    // The bytes now belong to the receiver of the message: the next one starts a new buffer.
    this.#buffer = null;
    return buffer.subarray(0, length);
  }

  /**
   * Grows to at most GROWTH_FACTOR times the bytes received so far: a peer's declared frame length
   * is not trusted to reserve memory before the bytes arrive, yet a large message needs only a step
   * or two of regrowth (one for 1 MiB in 64 KiB reads), and the last step lands on the exact size.
   */
  #grow(needed: number, frameEnd: number, isFinalFrame: boolean): void {
    const limit = isFinalFrame ? frameEnd : Math.max(frameEnd * 2, MIN_CAPACITY);
    const target = Math.max(needed * GROWTH_FACTOR, MIN_CAPACITY);
    const capacity = Math.max(needed, Math.min(limit, target, this.#maxPayload));
    const grown = Buffer.allocUnsafe(capacity);
    if (this.#buffer !== null && this.#length > 0) this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}
