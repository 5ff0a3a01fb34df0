// Autobahn|Testsuite category 1, Framing: text (1.1.x) and binary (1.2.x) messages at the payload
// lengths around each length encoding (7-bit up to 125, 16-bit from 126, 64-bit from 65536).
import { describe, it, expect } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { binary, buildFrames, text } from '../../../helpers/frames.ts';
import { parsePieces, binaryMessage, textMessage } from '../../../helpers/parser-run.ts';
import { splitEvery } from '../../../helpers/chunks.ts';

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];

describe('Autobahn 1.1 text messages', () => {
  LENGTHS.forEach((length, index) => {
    it(`1.1.${index + 1} echoes a text message of ${length} bytes`, async () => {
      const payload = '*'.repeat(length);
      await checkCase({ id: `1.1.${index + 1}`, title: '', frames: [text(payload)], events: [textMessage(payload)] });
    });
  });

  it('1.1.8 reassembles a 65536-byte text message sent in 997-byte TCP chops', async () => {
    const payload = '*'.repeat(65536);
    for (const isServer of [true, false]) {
      const pieces = splitEvery(buildFrames([text(payload)], isServer), 997);
      expect(parsePieces(pieces, { isServer }).events).toEqual([textMessage(payload)]);
    }
    await checkCase({ id: '1.1.8', title: '', frames: [text(payload)], events: [textMessage(payload)] });
  });
});

describe('Autobahn 1.2 binary messages', () => {
  LENGTHS.forEach((length, index) => {
    it(`1.2.${index + 1} echoes a binary message of ${length} bytes`, async () => {
      const payload = Buffer.alloc(length, 0xfe);
      await checkCase({ id: `1.2.${index + 1}`, title: '', frames: [binary(payload)], events: [binaryMessage(payload)] });
    });
  });

  it('1.2.8 reassembles a 65536-byte binary message sent in 997-byte TCP chops', async () => {
    const payload = Buffer.alloc(65536, 0xfe);
    for (const isServer of [true, false]) {
      const pieces = splitEvery(buildFrames([binary(payload)], isServer), 997);
      expect(parsePieces(pieces, { isServer }).events).toEqual([binaryMessage(payload)]);
    }
    await checkCase({ id: '1.2.8', title: '', frames: [binary(payload)], events: [binaryMessage(payload)] });
  });
});
