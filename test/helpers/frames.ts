// An independent, deliberately naive WebSocket frame builder and reader for tests: it can set any
// header bit (reserved bits, reserved opcodes, wrong mask bit, non-minimal or lying lengths), so tests
// can build exactly the bytes a hostile peer would send, and read back what krandog put on the wire.

export const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** Default true. */
  fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1, 2 = RSV2, 1 = RSV3), as Autobahn counts them. */
  rsv?: number;
  /** true: a fixed key; a Uint8Array: that key; false/undefined: unmasked. */
  mask?: boolean | Uint8Array;
  /** Force the length encoding (7, 16 or 64 bits) even when a shorter one would do. */
  lengthBits?: 7 | 16 | 64;
  /** Write this length in the header instead of the payload's real length. */
  declaredLength?: number;
}

/** The key used when a FrameSpec says `mask: true`: not all zero, and every byte different. */
export const TEST_MASK_KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

export function toBytes(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}

/** XOR with a 4-byte key, one byte at a time (the reference every faster mask is compared with). */
export function maskNaively(bytes: Uint8Array, key: Uint8Array, keyOffset = 0): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < out.length; i++) out[i] ^= key[(keyOffset + i) % 4];
  return out;
}

/** One frame's bytes, exactly as described. */
export function buildFrame(spec: FrameSpec): Buffer {
  const payload = toBytes(spec.payload);
  const length = spec.declaredLength ?? payload.length;
  const bits = spec.lengthBits ?? (length < 126 ? 7 : length < 65536 ? 16 : 64);
  const key = spec.mask === true ? TEST_MASK_KEY : spec.mask || undefined;
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)];
  const maskBit = key ? 0x80 : 0;
  if (bits === 7) {
    head.push(maskBit | length);
  } else if (bits === 16) {
    head.push(maskBit | 126, (length >> 8) & 0xff, length & 0xff);
  } else {
    head.push(maskBit | 127);
    const big = BigInt(length);
    for (let shift = 56n; shift >= 0n; shift -= 8n) head.push(Number((big >> shift) & 0xffn));
  }
  if (key) head.push(...key);
  return Buffer.concat([Buffer.from(head), key ? maskNaively(payload, key) : payload]);
}

/** Frames for a whole conversation, masked or not (the sender's role decides, RFC 6455 §5.1). */
export function buildFrames(specs: readonly FrameSpec[], masked: boolean): Buffer {
  return Buffer.concat(specs.map((spec) => buildFrame({ ...spec, mask: spec.mask ?? masked })));
}

// Shorthands for the frames tests use most.
export const text = (payload: string | Uint8Array, fin = true): FrameSpec => ({ opcode: OP.text, payload, fin });
export const binary = (payload: Uint8Array | string, fin = true): FrameSpec => ({ opcode: OP.binary, payload, fin });
export const cont = (payload: Uint8Array | string, fin = true): FrameSpec => ({ opcode: OP.cont, payload, fin });
export const ping = (payload: Uint8Array | string = ''): FrameSpec => ({ opcode: OP.ping, payload });
export const pong = (payload: Uint8Array | string = ''): FrameSpec => ({ opcode: OP.pong, payload });
export const close = (code?: number, reason: string | Uint8Array = ''): FrameSpec => ({
  opcode: OP.close,
  payload: closePayload(code, reason),
});

/** A close frame body: 2-byte code then the reason; no code gives an empty body. */
export function closePayload(code?: number, reason: string | Uint8Array = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code);
  return Buffer.concat([head, toBytes(reason)]);
}

/** A frame read back from the wire, unmasked. */
export interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  /** The header's length field size: 7, 16 or 64 bits. */
  lengthBits: 7 | 16 | 64;
  payload: Buffer;
}

/** Reads every complete frame in `bytes`; `rest` is what is left of an incomplete one. */
export function decodeFrames(bytes: Uint8Array): { frames: DecodedFrame[]; rest: Buffer } {
  const frames: DecodedFrame[] = [];
  let offset = 0;
  while (bytes.length - offset >= 2) {
    const first = bytes[offset];
    const second = bytes[offset + 1];
    let position = offset + 2;
    let length = second & 0x7f;
    let lengthBits: 7 | 16 | 64 = 7;
    if (length === 126) {
      if (bytes.length < position + 2) break;
      length = (bytes[position] << 8) | bytes[position + 1];
      position += 2;
      lengthBits = 16;
    } else if (length === 127) {
      if (bytes.length < position + 8) break;
      length = Number(Buffer.from(bytes.subarray(position, position + 8)).readBigUInt64BE());
      position += 8;
      lengthBits = 64;
    }
    const masked = (second & 0x80) !== 0;
    const key = masked ? bytes.subarray(position, position + 4) : undefined;
    if (masked) position += 4;
    if (bytes.length < position + length) break;
    const raw = bytes.subarray(position, position + length);
    frames.push({
      fin: (first & 0x80) !== 0,
      rsv: (first >> 4) & 0x7,
      opcode: first & 0x0f,
      masked,
      lengthBits,
      payload: key ? maskNaively(raw, key) : Buffer.from(raw),
    });
    offset = position + length;
  }
  return { frames, rest: Buffer.from(bytes.subarray(offset)) };
}

/** A close frame's code (1005 for an empty body) and reason, read naively. */
export function readClose(payload: Uint8Array): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1005, reason: '' };
  return { code: (payload[0] << 8) | payload[1], reason: Buffer.from(payload.subarray(2)).toString() };
}
