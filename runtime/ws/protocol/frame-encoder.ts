import { Opcode } from './constants.ts';
import { applyMask, nextMaskKey } from './mask.ts';
import type { MessageCompressor } from './compressor.ts';

// RFC 6455 §5.2 frame layout:
//  0               1               2               3
//  |F|R|R|R| opcode|M| len (7)     | extended len (0, 16 or 64 bits) | masking key (0 or 32) | payload
// Encoding writes header and payload into one buffer: for small frames one allocation and one
// socket write beat two. Large unmasked payloads are sent by reference (see `encodeFrameHeader`).

/** Payloads up to this many bytes are copied behind their header into one buffer. */
export const COPY_PAYLOAD_LIMIT = 16 * 1024;

function headerBytes(payloadBytes: number, masked: boolean): number {
  const lengthBytes = payloadBytes < 126 ? 0 : payloadBytes < 65536 ? 2 : 8;
  return 2 + lengthBytes + (masked ? 4 : 0);
}

/** Writes the header for a payload of `payloadBytes` into `target`; returns where the payload starts. */
function writeHeader(
  target: Uint8Array,
  opcode: number,
  payloadBytes: number,
  fin: boolean,
  rsv1: boolean,
  maskKey: Uint8Array | undefined,
): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = maskKey ? 0x80 : 0;
  let offset: number;
  if (payloadBytes < 126) {
    target[1] = maskBit | payloadBytes;
    offset = 2;
  } else if (payloadBytes < 65536) {
    target[1] = maskBit | 126;
    target[2] = payloadBytes >>> 8;
    target[3] = payloadBytes & 0xff;
    offset = 4;
  } else {
    target[1] = maskBit | 127;
    // Payloads stay far below 2^53; the top 32 bits are written as a plain division.
    const high = Math.floor(payloadBytes / 0x100000000);
    const low = payloadBytes >>> 0;
    target[2] = high >>> 24;
    target[3] = (high >>> 16) & 0xff;
    target[4] = (high >>> 8) & 0xff;
    target[5] = high & 0xff;
    target[6] = low >>> 24;
    target[7] = (low >>> 16) & 0xff;
    target[8] = (low >>> 8) & 0xff;
    target[9] = low & 0xff;
    offset = 10;
  }
  if (maskKey) {
    target[offset] = maskKey[0];
    target[offset + 1] = maskKey[1];
    target[offset + 2] = maskKey[2];
    target[offset + 3] = maskKey[3];
    offset += 4;
  }
  return offset;
}

/** The header alone, for an unmasked payload that is written to the socket after it, uncopied. */
export function encodeFrameHeader(opcode: number, payloadBytes: number, fin: boolean, rsv1: boolean): Buffer {
  const header = Buffer.allocUnsafe(headerBytes(payloadBytes, false));
  writeHeader(header, opcode, payloadBytes, fin, rsv1, undefined);
  return header;
}

/** One complete frame: header plus payload, masked with a fresh key when `masked` (client role). */
export function encodeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean, masked: boolean): Buffer {
  const maskKey = masked ? nextMaskKey() : undefined;
  const frame = Buffer.allocUnsafe(headerBytes(payload.length, masked) + payload.length);
  const start = writeHeader(frame, opcode, payload.length, fin, rsv1, maskKey);
  frame.set(payload, start);
  if (maskKey) applyMask(frame, maskKey, 0, start, frame.length);
  return frame;
}

/** A text frame straight from a string: the UTF-8 is written into the frame, with no temporary buffer. */
export function encodeTextFrame(text: string, masked: boolean): Buffer {
  const maskKey = masked ? nextMaskKey() : undefined;
  // Up to 41 UTF-16 units fit a 7-bit length even at 3 bytes each, so skip measuring short strings.
  const payloadBytes = text.length <= 41 ? -1 : Buffer.byteLength(text);
  if (payloadBytes === -1) {
    const headerSize = masked ? 6 : 2;
    const frame = Buffer.allocUnsafe(headerSize + text.length * 3);
    const written = frame.write(text, headerSize);
    writeHeader(frame, Opcode.Text, written, true, false, maskKey);
    if (maskKey) applyMask(frame, maskKey, 0, headerSize, headerSize + written);
    return frame.subarray(0, headerSize + written);
  }
  const frame = Buffer.allocUnsafe(headerBytes(payloadBytes, masked) + payloadBytes);
  const start = writeHeader(frame, Opcode.Text, payloadBytes, true, false, maskKey);
  frame.write(text, start);
  if (maskKey) applyMask(frame, maskKey, 0, start, frame.length);
  return frame;
}

/** Text to compress is encoded here when it fits: the compressor reads it and keeps nothing. */
const textScratch = Buffer.allocUnsafe(64 * 1024);

/** A text's UTF-8 bytes, in textScratch (valid until the next call) when it fits. */
function textBytes(text: string): Buffer {
  if (text.length * 3 > textScratch.length) return Buffer.from(text);
  return textScratch.subarray(0, textScratch.write(text));
}

/** One message ready to write: a whole frame, or a header and its payload uncopied, written in order. */
export type EncodedMessage = Buffer | [header: Buffer, payload: Uint8Array];

/**
 * One message as one frame, for either role: a client's is `masked`. With a `compressor` (agreed
 * permessage-deflate) a message worth it is compressed, RSV1 set (RFC 7692 §6). An unmasked
 * (server) payload over COPY_PAYLOAD_LIMIT is not copied: it goes by reference behind its header.
 */
export function encodeMessage(data: string | Uint8Array, isText: boolean, masked: boolean, compressor?: MessageCompressor): EncodedMessage {
  const opcode = isText ? Opcode.Text : Opcode.Binary;
  if (compressor !== undefined && compressor.shouldCompress(data.length)) {
    return encodeFrame(opcode, compressor.compress(typeof data === 'string' ? textBytes(data) : data), true, true, masked);
  }
  if (typeof data === 'string') {
    if (isText) return encodeTextFrame(data, masked);
    data = Buffer.from(data);
  }
  if (!masked && data.length > COPY_PAYLOAD_LIMIT) return [encodeFrameHeader(opcode, data.length, true, false), data];
  return encodeFrame(opcode, data, true, false, masked);
}

/** The size in bytes (UTF-8 for text) of `data`, sent as `encoded`: read off the frame when that is cheaper. */
export function messageBytes(data: string | Uint8Array, encoded: EncodedMessage): number {
  if (typeof data !== 'string') return data.length;
  // An uncompressed text frame's header holds the length; otherwise count.
  if (!Array.isArray(encoded) && (encoded[0] & 0x40) === 0) return declaredPayloadBytes(encoded);
  return Buffer.byteLength(data);
}

/** The payload length a frame's header declares (RFC 6455 §5.2). */
function declaredPayloadBytes(frame: Buffer): number {
  const length = frame[1] & 0x7f;
  if (length < 126) return length;
  return length === 126 ? frame.readUInt16BE(2) : frame.readUIntBE(4, 6);
}
