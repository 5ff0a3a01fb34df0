import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';
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

// One zlib stream per configuration is kept and reset between messages (zlib-engine.ts): nothing
// of one message, connection or failure may leak into the next.
describe('PerMessageDeflate with kept zlib streams', () => {
  const inflateAlone = (compressed: Buffer) =>
    inflateRawSync(Buffer.concat([compressed, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: constants.Z_SYNC_FLUSH });
  // Buffer.equals: vitest's toEqual walks a Buffer byte by byte, far too slowly for these sizes.
  const same = (actual: Buffer, expected: Buffer) => expect(actual.equals(expected)).toBe(true);
  const message = (i: number, size = 4096) => Buffer.from(`{"seq":${i},"text":"${'chat words '.repeat(size / 11)}"}`.slice(0, size));

  it('compresses many messages in a row exactly as a fresh zlib context would', () => {
    const deflate = new PerMessageDeflate('permessage-deflate', 15);
    for (let i = 0; i < 300; i++) {
      const payload = message(i, 1000 + (i % 7) * 900);
      const compressed = deflate.compress(payload);
      same(compressed, deflateRawSync(payload, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, -4));
      same(deflate.decompress(compressed, MiB), payload);
    }
  });

  it('keeps interleaved connections apart, whether they share a configuration or not', () => {
    const connections = [15, 15, 10, 9].map((bits) => new PerMessageDeflate('permessage-deflate', bits));
    for (let i = 0; i < 200; i++) {
      const connection = connections[i % connections.length]!;
      const payload = message(i);
      const compressed = connection.compress(payload);
      // Each message decodes on its own: no history from another connection's message.
      same(inflateAlone(compressed), payload);
      same(connections[(i + 1) % connections.length]!.decompress(compressed, MiB), payload);
    }
  });

  it('still stops a bomb with 1009 after many messages, and inflates the next message', () => {
    const deflate = new PerMessageDeflate('permessage-deflate', 15);
    for (let i = 0; i < 50; i++) deflate.decompress(deflate.compress(message(i)), MiB);
    const bomb = deflate.compress(Buffer.alloc(32 * MiB));
    expect(() => deflate.decompress(bomb, MiB)).toThrow(expect.objectContaining({ closeCode: 1009 }));
    same(deflate.decompress(deflate.compress(message(1)), MiB), message(1));
  });

  it('accepts a message of exactly maxPayload bytes and refuses one byte more (across output slices)', () => {
    const deflate = new PerMessageDeflate('permessage-deflate', 15);
    const maxPayload = 200_001;
    const exact = Buffer.alloc(maxPayload, 'abcdefghij');
    same(deflate.decompress(deflate.compress(exact), maxPayload), exact);
    const over = Buffer.alloc(maxPayload + 1, 'abcdefghij');
    expect(() => deflate.decompress(deflate.compress(over), maxPayload)).toThrow(expect.objectContaining({ closeCode: 1009 }));
    same(deflate.decompress(deflate.compress(exact), maxPayload), exact);
  });

  it('inflates normally after invalid data (1007) broke the shared stream', () => {
    const deflate = new PerMessageDeflate('permessage-deflate', 15);
    const other = new PerMessageDeflate('permessage-deflate', 15);
    expect(() => deflate.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), MiB)).toThrow(
      expect.objectContaining({ closeCode: 1007 }),
    );
    same(other.decompress(other.compress(message(2)), MiB), message(2));
    same(deflate.decompress(deflate.compress(message(3)), MiB), message(3));
  });

  it('follows a peer that takes over its context, on that connection only', async () => {
    const { createDeflateRaw } = await import('node:zlib');
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
    const bystander = new PerMessageDeflate('permessage-deflate', 15);
    // Varied words: little to gain within the message, much from the same message before it.
    const repeated = Buffer.from(Array.from({ length: 500 }, (_, k) => ((k * 2654435761) >>> 0).toString(36)).join(' '));
    const first = await flush(repeated);
    const second = await flush(repeated);
    expect(second.length).toBeLessThan(first.length / 4); // refers back into the first message
    same(client.decompress(first, MiB), repeated);
    same(bystander.decompress(bystander.compress(message(8)), MiB), message(8));
    same(client.decompress(second, MiB), repeated);
    peer.close();
  });
});
