// The load generator's wire helpers, checked against ws's independent codec: frames it sends must be
// valid client frames, and it must count the server's messages right however the bytes are split.
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Receiver, Sender } from 'ws';
// @ts-expect-error: plain .mjs without type declarations
import { chatText, checkHandshakeResponse, compressPayload, encodeClientFrame, handshakeRequest, Opcode, repeatFrame, ReplyCounter } from '../../bench/wire.mjs';

/** A server frame (unmasked) encoded by ws. */
function serverFrame(payload: Buffer, opcode = Opcode.Text, fin = true): Buffer {
  const parts = Sender.frame(payload, { fin, opcode, mask: false, readOnly: false, rsv1: false }) as Buffer[];
  return Buffer.concat(parts);
}

/** Feeds `stream` to a fresh counter in the given chunk sizes; returns messages and controls seen. */
function count(stream: Buffer, expectedBytes: number, chunkSizes: (index: number) => number) {
  const controls: Array<[number, string]> = [];
  const counter = new ReplyCounter(expectedBytes, (opcode: number, payload: Buffer) => controls.push([opcode, payload.toString()]));
  let messages = 0;
  for (let offset = 0, index = 0; offset < stream.length; index++) {
    const size = Math.max(1, chunkSizes(index));
    messages += counter.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return { messages, controls, wrongLength: counter.wrongLength as number };
}

/** Deterministic pseudo-random chunk sizes, so a failure can be reproduced. */
function seededSizes(seed: number, max: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (state % max);
  };
}

describe('encodeClientFrame', () => {
  it.each([0, 1, 125, 126, 65535, 65536, 200_000])('makes a masked frame ws accepts as a client frame (%i bytes)', async (size) => {
    const payload = Buffer.alloc(size, 'k');
    const received = new Promise<[Buffer, boolean]>((resolve, reject) => {
      const receiver = new Receiver({ isServer: true });
      receiver.on('message', (data: Buffer, isBinary: boolean) => resolve([data, isBinary]));
      receiver.on('error', reject);
      receiver.write(encodeClientFrame(Opcode.Text, payload));
    });
    const [data, isBinary] = await received;
    expect(isBinary).toBe(false);
    expect(Buffer.compare(data, payload)).toBe(0);
  });

  it('repeats a frame back to back for batched writes', () => {
    const frame = encodeClientFrame(Opcode.Binary, Buffer.from([1, 2, 3]));
    const burst = repeatFrame(frame, 3);
    expect(burst.length).toBe(frame.length * 3);
    expect(Buffer.compare(burst.subarray(frame.length * 2), frame)).toBe(0);
  });
});

describe('ReplyCounter', () => {
  const sizes = [0, 64, 125, 126, 4096, 65535, 65536, 1024 * 1024];

  it.each(sizes)('counts %i-byte messages whole, byte by byte and in random chunks', (size) => {
    const stream = Buffer.concat(Array.from({ length: 5 }, () => serverFrame(Buffer.alloc(size, 'x'))));
    const pieces = size > 100_000 ? [() => 997] : [() => stream.length, () => 1, seededSizes(size + 1, 300)];
    for (const chunkSize of pieces) {
      expect(count(stream, size, chunkSize)).toEqual({ messages: 5, controls: [], wrongLength: 0 });
    }
  });

  it('reports pings and closes with their payloads and does not count them as messages', () => {
    const stream = Buffer.concat([
      serverFrame(Buffer.from('a')),
      serverFrame(Buffer.from('ping!'), Opcode.Ping),
      serverFrame(Buffer.from('b')),
      serverFrame(Buffer.from([0x03, 0xe8]), Opcode.Close),
    ]);
    for (const chunkSize of [() => stream.length, () => 1, seededSizes(7, 5)]) {
      const result = count(stream, 1, chunkSize);
      expect(result.messages).toBe(2);
      expect(result.controls.map(([opcode]) => opcode)).toEqual([Opcode.Ping, Opcode.Close]);
      expect(result.controls[0][1]).toBe('ping!');
    }
  });

  it('counts a fragmented message once, with its total length', () => {
    const stream = Buffer.concat([
      serverFrame(Buffer.alloc(30, 'x'), Opcode.Text, false),
      serverFrame(Buffer.from('pong'), Opcode.Pong),
      serverFrame(Buffer.alloc(34, 'x'), Opcode.Continuation, true),
    ]);
    expect(count(stream, 64, () => 3)).toMatchObject({ messages: 1, wrongLength: 0 });
  });

  it('counts replies of the wrong length, so a broken echo cannot pass for a fast one', () => {
    const stream = Buffer.concat([serverFrame(Buffer.alloc(64)), serverFrame(Buffer.alloc(63))]);
    expect(count(stream, 64, () => stream.length)).toMatchObject({ messages: 2, wrongLength: 1 });
  });
});

describe('checkHandshakeResponse', () => {
  const request = 'a3JhbmRvZy1iZW5jaG1rIQ==';
  it('accepts a 101 with the right Sec-WebSocket-Accept', async () => {
    const { createHash } = await import('node:crypto');
    const accept = createHash('sha1').update(`${request}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    expect(checkHandshakeResponse(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept}`)).toBeNull();
  });

  it('names what is wrong otherwise', () => {
    expect(checkHandshakeResponse('HTTP/1.1 200 OK\r\nContent-Length: 2')).toMatch(/expected 101/);
    expect(checkHandshakeResponse('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope')).toMatch(/Accept/);
  });
});

describe('permessage-deflate', () => {
  it('offers permessage-deflate only when asked to', () => {
    expect(handshakeRequest('127.0.0.1', 1, '/').toString()).not.toMatch(/Extensions/i);
    expect(handshakeRequest('127.0.0.1', 1, '/', { deflate: true }).toString()).toMatch(/\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; client_max_window_bits\r\n\r\n$/);
  });

  it('fails a handshake whose server did not agree to permessage-deflate', async () => {
    const { createHash } = await import('node:crypto');
    const key = createHash('sha1').update('a3JhbmRvZy1iZW5jaG1rIQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    const head = `HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: ${key}`;
    expect(checkHandshakeResponse(head, { deflate: true })).toMatch(/does not agree to permessage-deflate/);
    expect(checkHandshakeResponse(`${head}\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover`, { deflate: true })).toBeNull();
    expect(checkHandshakeResponse(head)).toBeNull();
  });

  it('compresses chat text that inflates back to itself, in RSV1 frames', () => {
    const text = chatText(4096, 3);
    expect(text.length).toBe(4096);
    expect(text.equals(chatText(4096, 4))).toBe(false);
    expect(() => JSON.parse(text.toString())).not.toThrow();
    const payload = compressPayload(text);
    expect(payload.length).toBeLessThan(text.length / 2);
    const inflated = inflateRawSync(Buffer.concat([payload, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    expect(inflated.equals(text)).toBe(true);
    const frame = encodeClientFrame(Opcode.Text, payload, { compressed: true });
    expect(frame[0]).toBe(0x80 | 0x40 | Opcode.Text); // FIN, RSV1 (compressed), text
  });

  it('counts the replies that came compressed', () => {
    const plain = serverFrame(Buffer.from('plain'));
    const compressed = Buffer.concat(Sender.frame(compressPayload(Buffer.from('squeezed')), { fin: true, opcode: Opcode.Text, mask: false, readOnly: false, rsv1: true }) as Buffer[]);
    const counter = new ReplyCounter(-1, () => {});
    expect(counter.push(Buffer.concat([plain, compressed, compressed]))).toBe(3);
    expect(counter.compressed).toBe(2);
  });
});
