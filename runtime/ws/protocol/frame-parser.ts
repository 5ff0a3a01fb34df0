import { CloseCode, MAX_CONTROL_PAYLOAD, Opcode } from './constants.ts';
import { applyMask } from './mask.ts';
import { MessageAssembler } from './message-assembler.ts';
import { ProtocolError } from './errors.ts';

/** What the parser reports; called synchronously from `push`. */
export interface FrameParserEvents {
  /**
   * A complete data message's payload, to decode (see decodeMessage): still compressed when
   * `isCompressed` (RSV1 under permessage-deflate); `isCheckedText` when it is text the assembler
   * already checked as UTF-8 while it arrived. Text bytes may be reused once the call returns.
   */
  onMessage(payload: Buffer, isText: boolean, isCompressed: boolean, isCheckedText: boolean): void;
  /** A ping, pong or close frame; `payload` is at most 125 bytes and the caller's to keep. */
  onControl(opcode: number, payload: Buffer): void;
  /** The peer broke the protocol: the parser has stopped and ignores all further bytes. */
  onError(error: ProtocolError): void;
}

export interface FrameParserOptions {
  /** Server role: the peer's frames must be masked. Client role: they must not be (RFC 6455 §5.1). */
  isServer: boolean;
  /** Largest message in bytes (after reassembly); beyond it the connection fails with 1009. */
  maxPayload: number;
  /** Most frames one message may span. */
  maxFragments: number;
}

const enum State {
  Header,
  Payload,
  Stopped,
}

/** Header bytes: 2, plus 2 or 8 of extended length, plus 4 of masking key. */
const MAX_HEADER_BYTES = 14;

/** `#messageOpcode` between messages: 0 is Continuation, never the opcode a message starts with. */
const NO_MESSAGE = Opcode.Continuation;

/**
 * RFC 6455 §5 receiver: bytes in, messages and control frames out. No I/O, no timers.
 *
 * Built for many frames per read without copying: a frame that arrives whole in one chunk is
 * unmasked in place and handed on as a view of that chunk. Only frames split across reads are
 * copied (see MessageAssembler), and only a header split across reads uses the small scratch buffer.
 */
export class FrameParser {
  /** RSV1 means "compressed" once permessage-deflate has been negotiated (RFC 7692 §6). */
  allowRsv1 = false;
  /**
   * Set (by an event handler, or between reads) to stop `push` after the current frame step: the
   * events of the frame being read have fired, nothing after them is read (see `push`).
   */
  paused = false;

  readonly #events: FrameParserEvents;
  readonly #isServer: boolean;
  readonly #maxPayload: number;
  readonly #maxFragments: number;
  // Allocated on first need: most connections only ever see whole frames in whole reads, and an
  // idle connection should cost as little memory as possible.
  #assembler: MessageAssembler | null = null;
  #header: Buffer | null = null;

  #state = State.Header;
  #headerFilled = 0;

  // The frame being read.
  #fin = false;
  #opcode: number = Opcode.Continuation;
  #rsv1 = false;
  #mask: Buffer | null = null;
  #payloadBytes = 0;
  #payloadReceived = 0;

  /** Opcode of the fragmented message in progress, NO_MESSAGE when none. */
  #messageOpcode: number = NO_MESSAGE;
  #control: Buffer | null = null;

  constructor(options: FrameParserOptions, events: FrameParserEvents) {
    this.#events = events;
    this.#isServer = options.isServer;
    this.#maxPayload = options.maxPayload;
    this.#maxFragments = options.maxFragments;
  }

  #messageAssembler(): MessageAssembler {
    return (this.#assembler ??= new MessageAssembler(this.#maxPayload, this.#maxFragments));
  }

  /** Whether the parser stopped (after a close frame or a protocol error). */
  get isStopped(): boolean {
    return this.#state === State.Stopped;
  }

  /** Ignore everything from now on (the connection is closing). */
  stop(): void {
    this.#state = State.Stopped;
  }

  /**
   * Feeds bytes from the socket. Events fire synchronously; a protocol error stops the parser.
   * Returns how many bytes were read: fewer than the chunk's length only when `paused` was set,
   * and the caller pushes the rest (`chunk.subarray(returned)`) again once it clears `paused`.
   * The parser's state is whole between steps, so it may stop anywhere, even inside a frame.
   */
  push(chunk: Buffer): number {
    const end = chunk.length;
    let offset = 0;
    while (offset < end && !this.paused) {
      if (this.#state === State.Header) {
        offset = this.#readHeader(chunk, offset, end);
      } else if (this.#state === State.Payload) {
        offset = this.#readPayload(chunk, offset, end);
      } else {
        return end;
      }
    }
    return offset;
  }

  /** Reads a header, straight from the chunk when it is all there, else via the scratch buffer. */
  #readHeader(chunk: Buffer, offset: number, end: number): number {
    if (this.#headerFilled === 0 && end - offset >= 2) {
      const size = headerSize(chunk[offset + 1]);
      if (end - offset >= size) {
        this.#startFrame(chunk, offset);
        return offset + size;
      }
    }
    const header = (this.#header ??= Buffer.allocUnsafe(MAX_HEADER_BYTES));
    // Copy the first two bytes, then as many more as the second byte says the header has.
    while (this.#headerFilled < 2 && offset < end) header[this.#headerFilled++] = chunk[offset++];
    if (this.#headerFilled < 2) return offset;
    const size = headerSize(header[1]);
    while (this.#headerFilled < size && offset < end) header[this.#headerFilled++] = chunk[offset++];
    if (this.#headerFilled < size) return offset;
    this.#headerFilled = 0;
    this.#startFrame(header, 0);
    return offset;
  }

  /** Decodes and checks a complete header at `source[offset]`; moves to the payload state. */
  #startFrame(source: Buffer, offset: number): void {
    const first = source[offset];
    const second = source[offset + 1];
    const fin = (first & 0x80) !== 0;
    const rsv1 = (first & 0x40) !== 0;
    const opcode = first & 0x0f;
    const masked = (second & 0x80) !== 0;
    const payloadBytes = declaredPayloadBytes(source, offset);
    // The checks run in this order, so a frame with several faults always reports the same one.
    const error =
      this.#headerBitsError(first, rsv1, masked) ??
      (payloadBytes < 0 ? new ProtocolError('KRANDOG_WS_BAD_LENGTH', 'frame length out of range') : undefined) ??
      this.#opcodeError(opcode, fin, rsv1, payloadBytes) ??
      this.#messageSizeError(opcode, payloadBytes);
    if (error !== undefined) return this.#failWith(error);

    this.#enterPayload(source, offset, fin, opcode, rsv1, payloadBytes);
    const fragmentError = this.#trackMessage(opcode, fin, rsv1);
    if (fragmentError !== undefined) return this.#failWith(fragmentError);
    if (payloadBytes === 0) this.#endFrame(EMPTY, 0, 0);
  }

  /** Reserved bits without an extension that defines them, and the mask bit for this role. */
  #headerBitsError(first: number, rsv1: boolean, masked: boolean): ProtocolError | undefined {
    if ((first & 0x30) !== 0 || (rsv1 && !this.allowRsv1)) {
      return new ProtocolError('KRANDOG_WS_RESERVED_BITS', 'reserved bits set without a negotiated extension');
    }
    if (masked !== this.#isServer) {
      return this.#isServer
        ? new ProtocolError('KRANDOG_WS_UNMASKED_FRAME', 'client frames must be masked')
        : new ProtocolError('KRANDOG_WS_MASKED_FRAME', 'server frames must not be masked');
    }
    return undefined;
  }

  /** What each kind of opcode allows, given the message in progress. */
  #opcodeError(opcode: number, fin: boolean, rsv1: boolean, payloadBytes: number): ProtocolError | undefined {
    if (opcode >= Opcode.Close) {
      if (opcode > Opcode.Pong) return new ProtocolError('KRANDOG_WS_BAD_OPCODE', `reserved opcode ${opcode}`);
      // RFC 6455 §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!fin) return new ProtocolError('KRANDOG_WS_CONTROL_FRAGMENTED', 'fragmented control frame');
      if (payloadBytes > MAX_CONTROL_PAYLOAD) {
        return new ProtocolError('KRANDOG_WS_CONTROL_TOO_LONG', 'control frame payload over 125 bytes');
      }
      // RFC 7692 §6.1: RSV1 is only meaningful on the first frame of a data message.
      if (rsv1) return new ProtocolError('KRANDOG_WS_RESERVED_BITS', 'RSV1 set on a control frame');
    } else if (opcode === Opcode.Continuation) {
      if (this.#messageOpcode === NO_MESSAGE) {
        return new ProtocolError('KRANDOG_WS_UNEXPECTED_CONTINUATION', 'continuation frame without a message to continue');
      }
      if (rsv1) return new ProtocolError('KRANDOG_WS_RESERVED_BITS', 'RSV1 set on a continuation frame');
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.#messageOpcode !== NO_MESSAGE) {
        return new ProtocolError('KRANDOG_WS_EXPECTED_CONTINUATION', 'new message started before the previous one ended');
      }
    } else {
      return new ProtocolError('KRANDOG_WS_BAD_OPCODE', `reserved opcode ${opcode}`);
    }
    return undefined;
  }

  /** A data frame that would take its message over maxPayload is refused before its payload is read. */
  #messageSizeError(opcode: number, payloadBytes: number): ProtocolError | undefined {
    if (opcode >= Opcode.Close) return undefined;
    const messageBytes = opcode === Opcode.Continuation ? this.#messageAssembler().length : 0;
    if (messageBytes + payloadBytes <= this.#maxPayload) return undefined;
    return new ProtocolError('KRANDOG_WS_MESSAGE_TOO_BIG', `message over ${this.#maxPayload} bytes`, CloseCode.MessageTooBig);
  }

  /** Records the checked header of the frame whose payload comes next. */
  #enterPayload(source: Buffer, offset: number, fin: boolean, opcode: number, rsv1: boolean, payloadBytes: number): void {
    this.#fin = fin;
    this.#opcode = opcode;
    this.#rsv1 = rsv1;
    this.#payloadBytes = payloadBytes;
    this.#payloadReceived = 0;
    const second = source[offset + 1];
    if ((second & 0x80) !== 0) {
      // The key (the header's last 4 bytes) is copied: `source` may be the scratch header, reused
      // by the next frame.
      const position = offset + headerSize(second) - 4;
      const mask = (this.#mask ??= Buffer.allocUnsafe(4));
      mask[0] = source[position];
      mask[1] = source[position + 1];
      mask[2] = source[position + 2];
      mask[3] = source[position + 3];
    }
    this.#state = State.Payload;
  }

  /** Starts a fragmented message at its first frame and counts each of its frames. */
  #trackMessage(opcode: number, fin: boolean, rsv1: boolean): ProtocolError | undefined {
    if (opcode >= Opcode.Close) {
      this.#control = null;
      return undefined;
    }
    if (opcode !== Opcode.Continuation && !fin) {
      this.#messageOpcode = opcode;
      this.#messageAssembler().begin(opcode, rsv1);
    }
    if (opcode === Opcode.Continuation || !fin) return this.#messageAssembler().addFrame();
    return undefined;
  }

  #readPayload(chunk: Buffer, offset: number, end: number): number {
    const remaining = this.#payloadBytes - this.#payloadReceived;
    const available = end - offset;
    const take = available < remaining ? available : remaining;
    if (this.#opcode >= Opcode.Close) return this.#readControlPayload(chunk, offset, take);

    // Fast path: a whole unfragmented message in this chunk is unmasked in place, not copied.
    if (this.#payloadReceived === 0 && take === remaining && this.#fin && this.#opcode !== Opcode.Continuation) {
      const stop = offset + take;
      if (this.#mask !== null && this.#isServer) applyMask(chunk, this.#mask, 0, offset, stop);
      this.#endFrame(chunk, offset, stop);
      return stop;
    }
    if (this.#messageOpcode === NO_MESSAGE) {
      // An unfragmented message split across reads: assemble it like a one-fragment message.
      this.#messageOpcode = this.#opcode;
      this.#messageAssembler().begin(this.#opcode, this.#rsv1);
    }
    const error = this.#assembler!.append(
      chunk,
      offset,
      offset + take,
      this.#isServer ? this.#mask : null,
      this.#payloadReceived,
      remaining - take,
      this.#fin,
    );
    if (error) {
      this.#failWith(error);
      return end;
    }
    this.#payloadReceived += take;
    if (take === remaining) this.#endFrame(EMPTY, 0, 0);
    return offset + take;
  }

  #readControlPayload(chunk: Buffer, offset: number, take: number): number {
    const stop = offset + take;
    if (this.#payloadReceived === 0 && take === this.#payloadBytes) {
      if (this.#isServer) applyMask(chunk, this.#mask!, 0, offset, stop);
      this.#endFrame(chunk, offset, stop);
      return stop;
    }
    const control = (this.#control ??= Buffer.allocUnsafe(this.#payloadBytes));
    chunk.copy(control, this.#payloadReceived, offset, stop);
    if (this.#isServer) applyMask(control, this.#mask!, this.#payloadReceived, this.#payloadReceived, this.#payloadReceived + take);
    this.#payloadReceived += take;
    if (this.#payloadReceived === this.#payloadBytes) this.#endFrame(control, 0, control.length);
    return stop;
  }

  /**
   * A frame is complete. `source[start, end)` is its payload when it arrived whole (or is a
   * control frame); data frames assembled by the MessageAssembler pass an empty range.
   */
  #endFrame(source: Buffer, start: number, end: number): void {
    this.#state = State.Header;
    const opcode = this.#opcode;
    if (opcode >= Opcode.Close) {
      // Control payloads are copied out of the socket chunk so the receiver may keep them.
      if (opcode === Opcode.Close) this.#state = State.Stopped;
      this.#events.onControl(opcode, Buffer.from(source.subarray(start, end)));
      return;
    }
    if (!this.#fin) return;
    if (this.#messageOpcode === NO_MESSAGE) {
      // Hot path: one whole frame, decoded without the assembler.
      return this.#events.onMessage(source.subarray(start, end), opcode === Opcode.Text, this.#rsv1, false);
    }
    this.#messageOpcode = NO_MESSAGE;
    const assembler = this.#assembler!;
    const data = assembler.finish();
    if (data instanceof ProtocolError) this.#failWith(data);
    else this.#events.onMessage(data, assembler.isText, assembler.isCompressed, assembler.isText && !assembler.isCompressed);
  }

  #failWith(error: ProtocolError): void {
    this.#state = State.Stopped;
    this.#events.onError(error);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The payload length of the complete header at `source[offset]`, or -1 when it is out of range:
 * RFC 6455 §5.2 wants the top bit of a 64-bit length 0, and beyond 2^53 cannot be a real length.
 */
function declaredPayloadBytes(source: Buffer, offset: number): number {
  const length = source[offset + 1] & 0x7f;
  if (length < 126) return length;
  if (length === 126) return (source[offset + 2] << 8) | source[offset + 3];
  const high = source.readUInt32BE(offset + 2);
  if (high > 0x1fffff) return -1;
  return high * 0x100000000 + source.readUInt32BE(offset + 6);
}

/** Header length implied by the second header byte (mask bit and 7-bit length). */
function headerSize(second: number): number {
  const length = second & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}
