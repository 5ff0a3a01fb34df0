// encodeMessage: the one message encoder of both roles.
import { describe, expect, it } from 'vitest';
import { COPY_PAYLOAD_LIMIT, encodeMessage, messageBytes } from '../../../../runtime/ws/protocol/frame-encoder.ts';
import { PerMessageDeflate } from '../../../../runtime/ws/extensions/permessage-deflate.ts';
import { decodeFrames, OP } from '../../../helpers/frames.ts';

const frameOf = (encoded: Buffer | [Buffer, Uint8Array]) => {
  const bytes = Array.isArray(encoded) ? Buffer.concat(encoded) : encoded;
  const { frames, rest } = decodeFrames(bytes);
  expect(rest.length).toBe(0);
  expect(frames).toHaveLength(1);
  return frames[0];
};

describe('encodeMessage', () => {
  it('masks a client message and leaves a server message unmasked', () => {
    expect(frameOf(encodeMessage('héllo', true, true))).toMatchObject({ opcode: OP.text, masked: true, fin: true, rsv: 0, payload: Buffer.from('héllo') });
    expect(frameOf(encodeMessage('héllo', true, false))).toMatchObject({ opcode: OP.text, masked: false, payload: Buffer.from('héllo') });
  });

  it('sends a large server payload by reference behind its header; a client copies it to mask it', () => {
    const payload = Buffer.alloc(COPY_PAYLOAD_LIMIT + 1, 7);
    const server = encodeMessage(payload, false, false);
    expect(Array.isArray(server)).toBe(true);
    expect((server as [Buffer, Uint8Array])[1]).toBe(payload);
    expect(frameOf(server)).toMatchObject({ opcode: OP.binary, masked: false, payload });
    const client = encodeMessage(payload, false, true);
    expect(Array.isArray(client)).toBe(false);
    expect(frameOf(client)).toMatchObject({ masked: true, payload });
  });

  it('compresses through the compressor when the message is worth it, with RSV1; a string as binary when not text', () => {
    const deflate = new PerMessageDeflate('permessage-deflate', 15, { threshold: 100 });
    const text = 'squeeze '.repeat(100);
    const compressed = frameOf(encodeMessage(text, true, false, deflate));
    expect(compressed.rsv).toBe(4);
    expect(deflate.decompress(compressed.payload, 1 << 20).toString()).toBe(text);
    expect(frameOf(encodeMessage('short', true, false, deflate)).rsv).toBe(0);
    expect(frameOf(encodeMessage('as bytes', false, true))).toMatchObject({ opcode: OP.binary, payload: Buffer.from('as bytes') });
  });

  it('reports the message size in bytes, UTF-8 for text, compressed or not', () => {
    const deflate = new PerMessageDeflate('permessage-deflate', 15, { threshold: 0 });
    const text = 'é'.repeat(70_000);
    expect(messageBytes(text, encodeMessage(text, true, false))).toBe(140_000);
    expect(messageBytes(text, encodeMessage(text, true, false, deflate))).toBe(140_000);
    expect(messageBytes(Buffer.alloc(5), encodeMessage(Buffer.alloc(5), false, true))).toBe(5);
  });
});
