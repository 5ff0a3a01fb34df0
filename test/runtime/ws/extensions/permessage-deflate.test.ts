import { deflateRawSync, constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PerMessageDeflate } from '../../../../runtime/ws/extensions/permessage-deflate.ts';
import { ProtocolError } from '../../../../runtime/ws/protocol/errors.ts';
import { FanoutMessage } from '../../../../runtime/pubsub/fanout.ts';

const MiB = 1024 * 1024;

describe('PerMessageDeflate', () => {
  const deflate = new PerMessageDeflate('permessage-deflate', 15);

  it('round-trips payloads and strips the 00 00 ff ff tail (RFC 7692 §7.2.1)', () => {
    for (const payload of [Buffer.alloc(0), Buffer.from('hello'), Buffer.from(JSON.stringify({ a: 'x'.repeat(5000) }))]) {
      const compressed = deflate.compress(payload);
      expect(compressed.subarray(-4)).not.toEqual(Buffer.from([0, 0, 0xff, 0xff]));
      expect(deflate.decompress(compressed, MiB)).toEqual(payload);
    }
  });

  it('inflates what a peer with context takeover compresses one message at a time', () => {
    const peer = deflateRawSync(Buffer.from('peer message'), { finishFlush: constants.Z_SYNC_FLUSH });
    expect(deflate.decompress(peer.subarray(0, -4), MiB).toString()).toBe('peer message');
  });

  it('compresses with a 9-bit window when the peer asked for 8', () => {
    const small = new PerMessageDeflate('permessage-deflate', 8);
    const payload = Buffer.from('abcdefgh'.repeat(1000));
    expect(small.decompress(small.compress(payload), MiB)).toEqual(payload);
  });

  it('stops a compression bomb at maxPayload with 1009', () => {
    const bomb = deflate.compress(Buffer.alloc(64 * MiB));
    expect(bomb.length).toBeLessThan(128 * 1024);
    let error: unknown;
    try {
      deflate.decompress(bomb, 16 * MiB);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).closeCode).toBe(1009);
  });

  it('reports garbage as invalid payload (1007)', () => {
    expect(() => deflate.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), MiB)).toThrow(
      expect.objectContaining({ closeCode: 1007 }),
    );
  });

  it('compresses a message for many connections once (FanoutMessage, the one encode-once cache)', () => {
    const message = new FanoutMessage('broadcast '.repeat(200), true);
    expect(message.encodedFor(deflate)).toBe(message.encodedFor(deflate));
    expect(message.encodedFor(undefined)).not.toBe(message.encodedFor(deflate));
  });
});
