// The load generator's side of RFC 6455, kept as cheap as possible so that the server under test,
// not the client, is the bottleneck: frames are encoded once and re-sent, replies are counted by
// reading frame headers only (payload bytes are skipped, never copied or decoded).
import { createHash } from 'node:crypto';
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';

/** RFC 6455 §4.2.2: the GUID appended to the key to form Sec-WebSocket-Accept. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Every connection uses this key; the RFC asks clients for a random one, servers cannot tell. */
const HANDSHAKE_KEY = 'a3JhbmRvZy1iZW5jaG1rIQ==';
const EXPECTED_ACCEPT = createHash('sha1').update(HANDSHAKE_KEY + HANDSHAKE_GUID).digest('base64');

/**
 * A fixed masking key. RFC 6455 §5.3 wants an unpredictable key per frame to protect proxies; a
 * load generator on loopback may reuse one, which lets every frame be masked once, up front.
 * Bytes below 0x80 keep masked ASCII text ASCII, so pre-masked text stays valid if re-unmasked.
 */
const FIXED_MASK = Buffer.from([0x1b, 0x5e, 0x27, 0x6c]);

export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 };

/**
 * The permessage-deflate offer (RFC 7692). The client compresses every message on its own, which
 * every server can inflate whatever context it keeps, so it says so (client_no_context_takeover).
 */
const DEFLATE_OFFER = 'permessage-deflate; client_no_context_takeover; client_max_window_bits';

/** The upgrade request for `path` on `host:port`, offering permessage-deflate when `deflate`. */
export function handshakeRequest(host, port, path, { deflate = false } = {}) {
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\nSec-WebSocket-Version: 13\r\n` +
      (deflate ? `Sec-WebSocket-Extensions: ${DEFLATE_OFFER}\r\n` : '') +
      '\r\n',
    'latin1',
  );
}

/**
 * Checks a complete response head (up to the blank line). Returns null when it is a valid 101
 * (that agreed to permessage-deflate, when `deflate`), else a one-line reason.
 */
export function checkHandshakeResponse(head, { deflate = false } = {}) {
  const lines = head.split('\r\n');
  if (!/^HTTP\/1\.1 101\b/.test(lines[0])) return `expected 101, got "${lines[0]}"`;
  const accept = lines.find((line) => /^sec-websocket-accept:/i.test(line));
  if (!accept || accept.slice(accept.indexOf(':') + 1).trim() !== EXPECTED_ACCEPT) return 'wrong Sec-WebSocket-Accept';
  if (deflate && !lines.some((line) => /^sec-websocket-extensions:\s*permessage-deflate\b/i.test(line))) {
    return 'the server does not agree to permessage-deflate';
  }
  return null;
}

/** A message's permessage-deflate payload: raw DEFLATE, sync-flushed, without the 00 00 ff ff tail. */
export function compressPayload(payload) {
  const output = deflateRawSync(payload, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  return output.subarray(0, output.length - 4);
}

const WORDS = 'the quick brown fox jumps over lazy dog hello room user message typing online away see you soon thanks good idea what about tomorrow'.split(' ');

/** Chat-like text of exactly `bytes` ASCII bytes, different for each `seed`: JSON keys, then varied words. */
export function chatText(bytes, seed) {
  let state = (seed * 2654435761 + 1) >>> 0;
  const head = JSON.stringify({ type: 'message', room: 'general', user: { id: 1000 + (seed % 50), name: `user${seed % 50}` }, text: '' }).slice(0, -2);
  const words = [head];
  let length = head.length;
  while (length < bytes) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = WORDS[state % WORDS.length];
    words.push(word);
    length += word.length + 1;
  }
  return Buffer.from(words.join(' ').slice(0, bytes - 2) + '"}', 'latin1');
}

/** One client frame (FIN set), masked with the fixed key; `compressed` sets RSV1 (permessage-deflate). */
export function encodeClientFrame(opcode, payload, { compressed = false } = {}) {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerBytes = 2 + lengthBytes + 4;
  const frame = Buffer.allocUnsafe(headerBytes + length);
  frame[0] = 0x80 | (compressed ? 0x40 : 0) | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  FIXED_MASK.copy(frame, headerBytes - 4);
  for (let i = 0; i < length; i++) frame[headerBytes + i] = payload[i] ^ FIXED_MASK[i & 3];
  return frame;
}

/** `count` copies of `frame` back to back, so that n frames can be written as one subarray. */
export function repeatFrame(frame, count) {
  const burst = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(burst, i * frame.length);
  return burst;
}

/**
 * Counts the server's data messages in a byte stream by their headers. Payloads are skipped; only
 * control payloads (at most 125 bytes) are collected, so that a ping can be answered.
 */
export class ReplyCounter {
  /** Messages whose length differed from `expectedBytes`: a wrong echo must not count as speed. */
  wrongLength = 0;
  /** Messages that came compressed (RSV1 on their first frame: permessage-deflate). */
  compressed = 0;
  #expectedBytes;
  #onControl;
  #header = Buffer.allocUnsafe(14);
  #headerFilled = 0;
  #skip = 0;
  #messageBytes = 0;
  #fin = false;
  #control = null;
  #controlOpcode = 0;
  #controlFilled = 0;

  /**
   * @param {number} expectedBytes payload length of every message (-1: any)
   * @param {(opcode: number, payload: Buffer) => void} onControl ping, pong and close frames
   */
  constructor(expectedBytes, onControl) {
    this.#expectedBytes = expectedBytes;
    this.#onControl = onControl;
  }

  /** Feeds a chunk; returns how many complete data messages it finished. */
  push(chunk) {
    let messages = 0;
    let offset = 0;
    const end = chunk.length;
    while (offset < end) {
      if (this.#skip > 0) {
        const take = Math.min(this.#skip, end - offset);
        if (this.#control !== null) {
          chunk.copy(this.#control, this.#controlFilled, offset, offset + take);
          this.#controlFilled += take;
        }
        this.#skip -= take;
        offset += take;
        if (this.#skip === 0) messages += this.#endFrame();
        continue;
      }
      // Fast path: a whole header in this chunk (the common case for small frames).
      let source = chunk;
      let at = offset;
      if (this.#headerFilled === 0 && end - offset >= 2 && end - offset >= headerSize(chunk[offset + 1])) {
        offset += headerSize(chunk[offset + 1]);
      } else {
        const header = this.#header;
        while (this.#headerFilled < 2 && offset < end) header[this.#headerFilled++] = chunk[offset++];
        if (this.#headerFilled < 2) break;
        const size = headerSize(header[1]);
        while (this.#headerFilled < size && offset < end) header[this.#headerFilled++] = chunk[offset++];
        if (this.#headerFilled < size) break;
        this.#headerFilled = 0;
        source = header;
        at = 0;
      }
      messages += this.#startFrame(source, at);
    }
    return messages;
  }

  #startFrame(source, at) {
    const first = source[at];
    const opcode = first & 0x0f;
    let length = source[at + 1] & 0x7f;
    if (length === 126) length = source.readUInt16BE(at + 2);
    else if (length === 127) length = source.readUInt32BE(at + 2) * 0x100000000 + source.readUInt32BE(at + 6);
    this.#fin = (first & 0x80) !== 0;
    if (opcode >= Opcode.Close) {
      this.#controlOpcode = opcode;
      this.#control = Buffer.allocUnsafe(length);
      this.#controlFilled = 0;
    } else {
      this.#control = null;
      if (opcode !== Opcode.Continuation && (first & 0x40) !== 0) this.compressed++;
      this.#messageBytes += length;
    }
    this.#skip = length;
    return length === 0 ? this.#endFrame() : 0;
  }

  #endFrame() {
    if (this.#control !== null) {
      const payload = this.#control;
      this.#control = null;
      this.#onControl(this.#controlOpcode, payload);
      return 0;
    }
    if (!this.#fin) return 0;
    if (this.#expectedBytes >= 0 && this.#messageBytes !== this.#expectedBytes) this.wrongLength++;
    this.#messageBytes = 0;
    return 1;
  }
}

/** Header length implied by the second header byte (server frames are unmasked, but allow it). */
function headerSize(second) {
  const length = second & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
}
