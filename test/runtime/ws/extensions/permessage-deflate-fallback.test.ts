// Where a Node lacks the zlib internals that kept streams use (zlib-engine.ts `isSupported`), the
// extension falls back to one-shot zlib calls: the same results, bounds and close codes.
import { constants, createDeflateRaw } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../../../runtime/ws/extensions/zlib-engine.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  isSupported: false,
}));

const { PerMessageDeflate } = await import('../../../../runtime/ws/extensions/permessage-deflate.ts');
const MiB = 1024 * 1024;

describe('PerMessageDeflate without kept zlib streams', () => {
  const deflate = new PerMessageDeflate('permessage-deflate', 15);

  it('runs with the internals reported missing', async () => {
    expect((await import('../../../../runtime/ws/extensions/zlib-engine.ts')).isSupported).toBe(false);
  });

  it('round-trips messages, stops a bomb with 1009 and garbage with 1007', () => {
    const payload = Buffer.from('fallback message '.repeat(300));
    expect(deflate.decompress(deflate.compress(payload), MiB).equals(payload)).toBe(true);
    expect(() => deflate.decompress(deflate.compress(Buffer.alloc(8 * MiB)), MiB)).toThrow(expect.objectContaining({ closeCode: 1009 }));
    expect(() => deflate.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff]), MiB)).toThrow(expect.objectContaining({ closeCode: 1007 }));
  });

  it('follows a peer that takes over its context', async () => {
    const peer = createDeflateRaw();
    const flush = (payload: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        const onData = (chunk: Buffer) => chunks.push(chunk);
        peer.on('data', onData);
        peer.write(payload);
        peer.flush(constants.Z_SYNC_FLUSH, () => {
          peer.off('data', onData);
          resolve(Buffer.concat(chunks).subarray(0, -4));
        });
      });
    const client = new PerMessageDeflate('permessage-deflate', 15, {}, 15);
    const text = Buffer.from(Array.from({ length: 500 }, (_, k) => ((k * 2654435761) >>> 0).toString(36)).join(' '));
    const first = await flush(text);
    const second = await flush(text);
    expect(client.decompress(first, MiB).equals(text)).toBe(true);
    expect(client.decompress(second, MiB).equals(text)).toBe(true);
    peer.close();
  });
});
