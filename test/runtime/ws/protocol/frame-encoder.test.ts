// The frame encoder and masking (RFC 6455 §5.2-5.3): header bytes at every length boundary,
// masking that round-trips, encodeTextFrame's short-string shortcut, and the word-at-a-time
// applyMask against a plain byte loop at every alignment.
import { describe, it, expect } from 'vitest';
import { encodeFrame, encodeFrameHeader, encodeMessage, encodeTextFrame } from '../../../../runtime/ws/protocol/frame-encoder.ts';
import { PerMessageDeflate } from '../../../../runtime/ws/extensions/permessage-deflate.ts';
import { applyMask, nextMaskKey } from '../../../../runtime/ws/protocol/mask.ts';
import { createRng } from '../../../helpers/chunks.ts';
import { buildFrame, decodeFrames, maskNaively, OP } from '../../../helpers/frames.ts';
import { parsePieces, binaryMessage, textMessage } from '../../../helpers/parser-run.ts';
import { RawPeer, settle } from '../../../helpers/ws-peer.ts';

const LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 70000];

/** The length field a minimal encoder must write (RFC 6455 §5.2), as header bytes after byte 0. */
function expectedLengthField(length: number, masked: boolean): number[] {
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) return [maskBit | length];
  if (length < 65536) return [maskBit | 126, length >> 8, length & 0xff];
  return [maskBit | 127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff];
}

describe('encodeFrame and encodeFrameHeader', () => {
  for (const length of LENGTHS) {
    it(`writes the minimal length encoding for ${length} payload bytes, unmasked and masked`, () => {
      const payload = Buffer.alloc(length, 0x5a);
      const plain = encodeFrame(OP.binary, payload, true, false, false);
      expect([...plain.subarray(0, 1 + expectedLengthField(length, false).length)]).toEqual([0x82, ...expectedLengthField(length, false)]);
      expect(plain.equals(buildFrame({ opcode: OP.binary, payload }))).toBe(true);

      const header = encodeFrameHeader(OP.binary, length, true, false);
      expect(Buffer.concat([header, payload]).equals(plain)).toBe(true);

      const masked = encodeFrame(OP.binary, payload, true, false, true);
      const field = expectedLengthField(length, true);
      expect([...masked.subarray(0, 1 + field.length)]).toEqual([0x82, ...field]);
      const { frames, rest } = decodeFrames(masked);
      expect(rest.length).toBe(0);
      expect(frames).toHaveLength(1);
      expect(frames[0]).toMatchObject({ fin: true, rsv: 0, opcode: OP.binary, masked: true });
      expect(frames[0].payload.equals(payload)).toBe(true);
    });
  }

  it('sets FIN, RSV1 and the opcode as asked', () => {
    expect(encodeFrame(OP.cont, Buffer.alloc(0), false, false, false)[0]).toBe(0x00);
    expect(encodeFrame(OP.text, Buffer.alloc(0), false, true, false)[0]).toBe(0x41);
    expect(encodeFrame(OP.ping, Buffer.alloc(0), true, false, false)[0]).toBe(0x89);
    expect(encodeFrameHeader(OP.binary, 3, false, true)[0]).toBe(0x42);
  });

  it('round-trips masked frames through the parser (server role) and through a naive unmask', () => {
    const rng = createRng(42);
    for (const length of LENGTHS) {
      const payload = Buffer.from(Array.from({ length }, () => Math.floor(rng() * 256)));
      const frame = encodeFrame(OP.binary, payload, true, false, true);
      expect(decodeFrames(frame).frames[0].payload.equals(payload), `naive unmask, ${length} bytes`).toBe(true);
      expect(parsePieces([frame], { isServer: true }).events, `parser, ${length} bytes`).toEqual([binaryMessage(payload)]);
    }
  });

  it('uses a different masking key for each frame', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100; i++) {
      keys.add(encodeFrame(OP.text, Buffer.from('x'), true, false, true).subarray(2, 6).toString('hex'));
    }
    // 100 draws of 32 random bits: a repeat is possible but would be a one-in-ten-million event.
    expect(keys.size).toBe(100);
  });
});

describe('encodeTextFrame', () => {
  // Classes of UTF-16 input: 1-, 2-, 3- and 4-byte UTF-8, lone surrogates (written as U+FFFD) and a mix.
  const units: Array<[string, string]> = [
    ['ASCII', 'a'],
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte (surrogate pairs)', '😀'],
    ['lone surrogates', '\ud800'],
    ['mixed', 'aé€😀'],
  ];
  for (const [name, unit] of units) {
    it(`matches a reference frame for ${name} strings of 0 to 130 UTF-16 units (around the 41-unit shortcut)`, () => {
      for (let count = 0; count <= 130; count++) {
        const text = unit.repeat(Math.ceil(count / unit.length)).slice(0, count);
        const payload = Buffer.from(text);
        const plain = encodeTextFrame(text, false);
        expect(plain.equals(buildFrame({ opcode: OP.text, payload })), `${count} units, unmasked`).toBe(true);
        const masked = encodeTextFrame(text, true);
        const { frames, rest } = decodeFrames(masked);
        expect(rest.length, `${count} units, masked`).toBe(0);
        expect(frames[0].masked && frames[0].payload.equals(payload), `${count} units, masked`).toBe(true);
        expect(frames[0].lengthBits, `${count} units, masked`).toBe(payload.length < 126 ? 7 : 16);
      }
    });
  }

  it('switches to the 16-bit length exactly at 126 bytes of 3-byte characters (41 and 42 units)', () => {
    expect(encodeTextFrame('€'.repeat(41), false)[1]).toBe(123);
    expect([...encodeTextFrame('€'.repeat(42), false).subarray(1, 4)]).toEqual([126, 0, 126]);
  });

  it('reads back through the parser for long text', () => {
    const text = 'κόσμε 😀 '.repeat(10_000);
    expect(parsePieces([encodeTextFrame(text, true)], { isServer: true }).events).toEqual([textMessage(text)]);
  });
});

describe('applyMask', () => {
  const KEY = Uint8Array.of(0x01, 0x80, 0x7f, 0xff);

  it('agrees with a byte loop at every buffer alignment, range and mask offset', () => {
    const rng = createRng(7);
    const source = Buffer.from(Array.from({ length: 64 }, () => Math.floor(rng() * 256)));
    for (let alignment = 0; alignment < 4; alignment++) {
      for (let start = 0; start < 9; start++) {
        for (let end = start; end <= 48; end++) {
          for (let maskOffset = 0; maskOffset < 8; maskOffset++) {
            // A view that starts `alignment` bytes into its ArrayBuffer, so words are misaligned.
            const backing = new Uint8Array(new ArrayBuffer(64 + alignment));
            const buffer = backing.subarray(alignment, alignment + 56);
            buffer.set(source.subarray(0, 56));
            applyMask(buffer, KEY, maskOffset, start, end);

            const expected = Buffer.from(source.subarray(0, 56));
            expected.set(maskNaively(source.subarray(start, end), KEY, maskOffset), start);
            if (!Buffer.from(buffer).equals(expected)) {
              throw new Error(`mismatch: alignment ${alignment}, start ${start}, end ${end}, maskOffset ${maskOffset}`);
            }
          }
        }
      }
    }
  });

  it('agrees with a byte loop on large random buffers, and masking twice restores them', () => {
    const rng = createRng(11);
    for (let round = 0; round < 20; round++) {
      const length = Math.floor(rng() * 100_000);
      const data = Buffer.from(Array.from({ length }, () => Math.floor(rng() * 256)));
      const offset = Math.floor(rng() * 4);
      const start = Math.floor(rng() * Math.min(length, 100));
      const masked = Buffer.from(data);
      applyMask(masked, KEY, offset, start, length);
      expect(masked.subarray(start).equals(maskNaively(data.subarray(start), KEY, offset))).toBe(true);
      expect(masked.subarray(0, start).equals(data.subarray(0, start))).toBe(true);
      applyMask(masked, KEY, offset, start, length);
      expect(masked.equals(data)).toBe(true);
    }
  });
});

describe('nextMaskKey', () => {
  it('keeps every key it handed out intact when its pool refills', () => {
    // 8 KiB pool / 4 bytes = 2048 keys: 5000 draws refill it twice.
    const keys = Array.from({ length: 5000 }, () => nextMaskKey());
    const copies = keys.map((key) => Buffer.from(key));
    for (let i = 0; i < 200; i++) nextMaskKey();
    expect(keys.every((key, i) => key.length === 4 && key.equals(copies[i]))).toBe(true);
    expect(new Set(copies.map((key) => key.toString('hex'))).size).toBeGreaterThan(4990);
  });
});

describe('Connection.send puts well-formed frames on the wire in both roles', () => {
  for (const isServer of [true, false]) {
    it(`${isServer ? 'server' : 'client'} role: text and binary, short and long`, async () => {
      const peer = await RawPeer.open('memory', { isServer });
      try {
        const long = 'ü'.repeat(40_000);
        const bytes = Buffer.alloc(100_000, 9);
        const typed = new Uint8Array([1, 2, 3]);
        peer.connection.send('short');
        peer.connection.send('short'); // a repeated string (the broadcast cache) goes out again
        peer.connection.send(long);
        peer.connection.send(Buffer.from('as text'), true);
        peer.connection.send('as binary', false);
        peer.connection.send(bytes);
        peer.connection.send(typed);
        await settle();
        const { frames, rest } = peer.received();
        expect(rest.length).toBe(0);
        expect(frames.every((f) => f.fin && f.rsv === 0 && f.masked === !isServer)).toBe(true);
        expect(frames.map((f) => [f.opcode, f.opcode === OP.text ? f.payload.toString() : f.payload.toString('hex')])).toEqual([
          [OP.text, 'short'],
          [OP.text, 'short'],
          [OP.text, long],
          [OP.text, 'as text'],
          [OP.binary, Buffer.from('as binary').toString('hex')],
          [OP.binary, bytes.toString('hex')],
          [OP.binary, '010203'],
        ]);
      } finally {
        await peer.dispose();
      }
    });
  }
});

describe('encodeMessage with a compressor', () => {
  // Text is encoded into a reused buffer before compressing when it fits (up to 64 KiB / 3 units),
  // from a fresh Buffer beyond: both must inflate back to the same text, multibyte included.
  it('compresses text of every size class back to the same text, one message after another', () => {
    const compressor = new PerMessageDeflate('permessage-deflate', 15, { threshold: 0 });
    const texts = ['', 'héllo wörld ✓ '.repeat(100), 'x'.repeat(21_845), 'y'.repeat(21_846), '😀 '.repeat(30_000), 'short again'];
    for (const text of texts) {
      const frame = encodeMessage(text, true, false, compressor) as Buffer;
      const [decoded] = decodeFrames(frame).frames;
      expect(decoded!.rsv).toBe(0b100);
      expect(compressor.decompress(Buffer.from(decoded!.payload), 16 * 1024 * 1024).toString()).toBe(text);
    }
  });
});
