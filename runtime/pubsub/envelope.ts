// One published message as it travels between processes (through Redis or the cluster primary):
//
//   0        1       2 ........ 17  18 ...... 23  24 .. 25   26 ...          ...
//   version  flags   origin (16 B)  sequence (6 B) topic len  topic (UTF-8)   payload
//
// `origin` names the publishing server instance: it delivered its message to its own subscribers
// at publish time, and skips it when the backplane brings it back. `sequence` counts its messages
// (one publisher's order, for whoever reads the channel). The payload is the message's bytes (UTF-8
// for text): a receiver frames them without decoding.
import { randomBytes } from 'node:crypto';

const VERSION = 1;
const FLAG_TEXT = 0x01;
const ORIGIN_BYTES = 16;
const HEADER_BYTES = 2 + ORIGIN_BYTES + 6 + 2;
/** Topics are at most this many bytes of UTF-8 on the wire. */
export const MAX_TOPIC_BYTES = 0xffff;

export interface Envelope {
  origin: Buffer;
  sequence: number;
  topic: string;
  isText: boolean;
  /** A view into the received buffer, not a copy. */
  payload: Buffer;
}

/** A random origin id for one publishing server. */
export function newOrigin(): Buffer {
  return randomBytes(ORIGIN_BYTES);
}

/** Encodes one message; a string payload is written as UTF-8 straight into the envelope. */
export function encodeEnvelope(origin: Buffer, sequence: number, topic: string, payload: string | Uint8Array, isText: boolean): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  if (topicBytes > MAX_TOPIC_BYTES) throw new RangeError(`publish: topic is longer than ${MAX_TOPIC_BYTES} bytes`);
  const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const envelope = Buffer.allocUnsafe(HEADER_BYTES + topicBytes + payloadBytes);
  envelope[0] = VERSION;
  envelope[1] = isText ? FLAG_TEXT : 0;
  origin.copy(envelope, 2);
  envelope.writeUIntBE(sequence, 2 + ORIGIN_BYTES, 6);
  envelope.writeUInt16BE(topicBytes, 2 + ORIGIN_BYTES + 6);
  envelope.write(topic, HEADER_BYTES);
  const payloadStart = HEADER_BYTES + topicBytes;
  if (typeof payload === 'string') envelope.write(payload, payloadStart);
  else envelope.set(payload, payloadStart);
  return envelope;
}

/** Decodes an envelope; null for bytes that are not one (another program on the same channel). */
export function decodeEnvelope(bytes: Buffer): Envelope | null {
  if (bytes.length < HEADER_BYTES || bytes[0] !== VERSION) return null;
  const topicBytes = bytes.readUInt16BE(2 + ORIGIN_BYTES + 6);
  const payloadStart = HEADER_BYTES + topicBytes;
  if (payloadStart > bytes.length) return null;
  return {
    origin: bytes.subarray(2, 2 + ORIGIN_BYTES),
    sequence: bytes.readUIntBE(2 + ORIGIN_BYTES, 6),
    topic: bytes.toString('utf8', HEADER_BYTES, payloadStart),
    isText: (bytes[1] & FLAG_TEXT) !== 0,
    payload: bytes.subarray(payloadStart),
  };
}
