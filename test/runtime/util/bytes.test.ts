// runtime/util/bytes.ts: binary data of every kind becomes a view of the same memory, never a copy.
import { describe, expect, it } from 'vitest';
import { isBinaryData, viewBytes } from '../../../runtime/util/bytes.ts';

describe('viewBytes', () => {
  it('returns a Uint8Array (a Buffer too) as it is', () => {
    const buffer = Buffer.from([1, 2, 3]);
    expect(viewBytes(buffer)).toBe(buffer);
  });

  it.each([
    ['an ArrayBuffer', () => new ArrayBuffer(4)],
    ['a SharedArrayBuffer', () => new SharedArrayBuffer(4)],
    ['a typed-array slice', () => new Uint16Array(new ArrayBuffer(8), 2, 2)],
    ['a DataView', () => new DataView(new ArrayBuffer(8), 1, 4)],
  ])('views %s without copying', (_kind, make) => {
    const data = make();
    const bytes = viewBytes(data);
    const memory = ArrayBuffer.isView(data) ? data.buffer : data;
    const offset = ArrayBuffer.isView(data) ? data.byteOffset : 0;
    expect(bytes.byteLength).toBe(data.byteLength);
    bytes[0] = 0xab;
    expect(new Uint8Array(memory)[offset]).toBe(0xab);
  });
});

describe('isBinaryData', () => {
  it('accepts buffers and views, nothing else', () => {
    for (const value of [new ArrayBuffer(1), new SharedArrayBuffer(1), Buffer.alloc(1), new Float32Array(1), new DataView(new ArrayBuffer(1))]) {
      expect(isBinaryData(value)).toBe(true);
    }
    for (const value of ['bytes', [1, 2], { byteLength: 1 }, null, undefined, 1]) expect(isBinaryData(value)).toBe(false);
  });
});
