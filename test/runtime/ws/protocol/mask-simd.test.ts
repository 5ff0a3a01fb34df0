// Masking through WebAssembly SIMD (simd-mask.ts) against a naive byte loop: every length 0..300
// (called directly: applyMask only takes it from 2 KiB; it works in 64-byte steps), lengths around its 64 KiB
// blocks, every mask offset, misaligned views and views into Node's shared Buffer pool; and
// copyMasked, which copies and unmasks in one pass, leaving every byte outside its target alone.
import { describe, expect, it } from 'vitest';
import { applyMask, applyWordMask, copyMasked } from '../../../../runtime/ws/protocol/mask.ts';
import { hasSimdMask, simdMaskInto } from '../../../../runtime/ws/protocol/simd-mask.ts';
import { createRng } from '../../../helpers/chunks.ts';
import { maskNaively } from '../../../helpers/frames.ts';

const KEY = Uint8Array.of(0x01, 0x80, 0x7f, 0xff);
const BLOCK = 64 * 1024;

function randomBytes(length: number, seed: number): Buffer {
  const rng = createRng(seed);
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(rng() * 256);
  return bytes;
}

/** A copy of `source` in a view that starts `alignment` bytes into a larger ArrayBuffer. */
function misalignedCopy(source: Uint8Array, alignment: number): Uint8Array {
  const backing = new Uint8Array(source.length + alignment + 16);
  const view = backing.subarray(alignment, alignment + source.length);
  view.set(source);
  return view;
}

describe('WebAssembly SIMD masking', () => {
  it('is available on the Node versions krandog supports (so the tests below exercise it)', () => {
    expect(hasSimdMask()).toBe(true);
  });

  it('agrees with a byte loop for every length 0..300, mask offset 0..7 and view alignment 0..15', () => {
    const source = randomBytes(300, 1);
    for (let length = 0; length <= 300; length++) {
      for (let maskOffset = 0; maskOffset < 8; maskOffset++) {
        const expected = maskNaively(source.subarray(0, length), KEY, maskOffset);
        for (let alignment = 0; alignment < 16; alignment++) {
          const viaApply = misalignedCopy(source.subarray(0, length), alignment);
          applyMask(viaApply, KEY, maskOffset, 0, length);
          const viaSimd = misalignedCopy(source.subarray(0, length), alignment);
          simdMaskInto(viaSimd, 0, length, viaSimd, 0, KEY, maskOffset);
          if (!expected.equals(viaApply) || !expected.equals(viaSimd)) {
            throw new Error(`mismatch: length ${length}, maskOffset ${maskOffset}, alignment ${alignment}`);
          }
        }
      }
    }
  });

  it('agrees with a byte loop around its 64 KiB blocks and on 1 MiB, from every start within a word', () => {
    const lengths = [BLOCK - 65, BLOCK - 1, BLOCK, BLOCK + 1, BLOCK + 63, 2 * BLOCK - 1, 2 * BLOCK, 2 * BLOCK + 5, 1024 * 1024 + 3];
    const source = randomBytes(lengths.at(-1)! + 8, 2);
    for (const length of lengths) {
      for (let start = 0; start < 4; start++) {
        for (let maskOffset = 0; maskOffset < 4; maskOffset++) {
          const buffer = misalignedCopy(source.subarray(0, start + length), 3);
          applyMask(buffer, KEY, maskOffset, start, start + length);
          const expected = Buffer.concat([source.subarray(0, start), maskNaively(source.subarray(start, start + length), KEY, maskOffset)]);
          if (!expected.equals(buffer)) throw new Error(`mismatch: length ${length}, start ${start}, maskOffset ${maskOffset}`);
        }
      }
    }
  });

  it('agrees with the JavaScript word path on random ranges of views into the shared Buffer pool', () => {
    const rng = createRng(3);
    for (let round = 0; round < 200; round++) {
      // Buffer.from results under 4 KiB share Node's 8 KiB pool, at whatever offset the pool is at.
      const length = 1 + Math.floor(rng() * 4000);
      const pooled = Buffer.from(randomBytes(length, round));
      const reference = Buffer.from(pooled);
      const start = Math.floor(rng() * length);
      const end = start + Math.floor(rng() * (length - start + 1));
      const maskOffset = Math.floor(rng() * 8);
      applyMask(pooled, KEY, maskOffset, start, end);
      applyWordMask(reference, KEY, maskOffset, start, end);
      expect(pooled.equals(reference), `round ${round}: byteOffset ${pooled.byteOffset}, ${start}..${end}`).toBe(true);
    }
  });

  it('round-trips: masking twice restores the bytes', () => {
    const data = randomBytes(300_000, 4);
    const buffer = Buffer.from(data);
    applyMask(buffer, KEY, 1, 7, buffer.length);
    expect(buffer.equals(data)).toBe(false);
    applyMask(buffer, KEY, 1, 7, buffer.length);
    expect(buffer.equals(data)).toBe(true);
  });
});

describe('copyMasked', () => {
  it('writes the unmasked range into the target at any offset and touches nothing else', () => {
    const source = randomBytes(BLOCK + 300, 5);
    const lengths = [0, 1, 63, 64, 300, 2047, 2048, 2049, BLOCK - 1, BLOCK, BLOCK + 17];
    for (const length of lengths) {
      for (let start = 0; start < 4; start++) {
        for (let targetOffset = 0; targetOffset < 5; targetOffset++) {
          for (let maskOffset = 0; maskOffset < 4; maskOffset++) {
            const target = misalignedCopy(Buffer.alloc(length + 10, 0xee), targetOffset & 3);
            copyMasked(source, start, start + length, target, targetOffset, KEY, maskOffset);
            const expected = Buffer.alloc(length + 10, 0xee);
            maskNaively(source.subarray(start, start + length), KEY, maskOffset).copy(expected, targetOffset);
            if (!expected.equals(target)) {
              throw new Error(`mismatch: length ${length}, start ${start}, target ${targetOffset}, maskOffset ${maskOffset}`);
            }
          }
        }
      }
    }
    // The source is read, never written.
    expect(source.equals(randomBytes(BLOCK + 300, 5))).toBe(true);
  });
});

describe('without WebAssembly (node --jitless)', () => {
  it('masks on the JavaScript path, byte-exact', async () => {
    const { buildSync } = await import('esbuild');
    const { execFileSync } = await import('node:child_process');
    const path = await import('node:path');
    const { fileURLToPath } = await import('node:url');
    const maskModule = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../runtime/ws/protocol/mask.ts');
    const script = `
      import { applyMask, copyMasked } from ${JSON.stringify(maskModule)};
      import { hasSimdMask } from ${JSON.stringify(path.join(path.dirname(maskModule), 'simd-mask.ts'))};
      const key = Uint8Array.of(1, 0x80, 0x7f, 0xff);
      const data = Buffer.alloc(70000, 0x5a);
      applyMask(data, key, 1, 3, data.length);
      const copy = Buffer.alloc(data.length);
      copyMasked(data, 0, data.length, copy, 0, key, 0);
      console.log(JSON.stringify({ hasSimd: hasSimdMask(), masked: data.toString('hex'), copied: copy.toString('hex') }));`;
    const bundle = buildSync({ stdin: { contents: script, loader: 'ts', resolveDir: path.dirname(maskModule) }, bundle: true, platform: 'node', format: 'esm', write: false });
    const output = execFileSync(process.execPath, ['--jitless', '--no-warnings', '--input-type=module', '-e', bundle.outputFiles[0].text], { encoding: 'utf8', timeout: 30_000 });
    const result = JSON.parse(output);
    const expected = Buffer.alloc(70000, 0x5a);
    expected.set(maskNaively(expected.subarray(3), KEY, 1), 3);
    expect(result.hasSimd).toBe(false);
    expect(result.masked).toBe(expected.toString('hex'));
    expect(result.copied).toBe(maskNaively(expected, KEY, 0).toString('hex'));
  });
});
