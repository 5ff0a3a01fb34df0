// How a message that spans socket reads is assembled: once, into a buffer of its final size (no
// regrowth copy for a 1 MiB message in 64 KiB reads), unmasked on the way in, and still byte-exact
// at every way of cutting it into reads.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildFrame, OP } from '../../../helpers/frames.ts';
import { binaryMessage, parsePieces } from '../../../helpers/parser-run.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

afterEach(() => vi.restoreAllMocks());

/** `bytes` cut into reads of `size` (the last one shorter). */
function reads(bytes: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) pieces.push(Buffer.from(bytes.subarray(offset, offset + size)));
  return pieces;
}

describe('message assembly across reads', () => {
  it('reserves at most 8 times what arrived, then the final size, for a 1 MiB message in 64 KiB reads', () => {
    const payload = Buffer.alloc(MiB);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    const pieces = reads(buildFrame({ opcode: OP.binary, payload, mask: true }), 64 * KiB);
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const { events } = parsePieces(pieces, { isServer: true, maxPayload: 16 * MiB });
    const largeAllocations = allocUnsafe.mock.calls.map(([size]) => size).filter((size) => size > 4 * KiB);
    // The first read holds the 14-byte frame header too: 8 times its payload bytes, then the exact size.
    expect(largeAllocations).toEqual([8 * (64 * KiB - 14), MiB]);
    expect(events).toEqual([binaryMessage(payload)]);
  });

  it('delivers the same bytes whatever the read size, around the 64 KiB SIMD blocks', () => {
    const payload = Buffer.alloc(200 * KiB + 3);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 9)) & 0xff;
    const frame = buildFrame({ opcode: OP.binary, payload, mask: true });
    for (const size of [1000, 4093, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, 100 * KiB]) {
      expect(parsePieces(reads(frame, size), { isServer: true, maxPayload: MiB }).events, `reads of ${size}`).toEqual([binaryMessage(payload)]);
    }
  });
});
