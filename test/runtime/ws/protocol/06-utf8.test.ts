// Autobahn|Testsuite category 6, UTF-8 handling (RFC 6455 §5.6, §8.1): text must be valid UTF-8,
// checked across fragments and across reads; invalid text fails with 1007, and fails fast: as soon
// as the byte that makes it invalid arrives, not when the message ends (6.4.x).
import { describe, it, expect } from 'vitest';
import { checkCase } from '../../../helpers/codec-cases.ts';
import { createRng, seedFor, splitAt, splitEvery, splitRandomly } from '../../../helpers/chunks.ts';
import { buildFrame, cont, readClose, OP, text, type FrameSpec } from '../../../helpers/frames.ts';
import { parsePieces, protocolError, textMessage } from '../../../helpers/parser-run.ts';
import { RawPeer, type Transport } from '../../../helpers/ws-peer.ts';
import { KOSME, UTF8_GROUPS } from '../../../helpers/utf8-vectors.ts';

const INVALID_UTF8 = protocolError(1007, 'KRANDOG_WS_INVALID_UTF8');
const HELLO = 'Hello-µ@ßöäüàá-UTF-8!!';
/** Valid text, then a UTF-16 surrogate (ED A0 80, invalid from the A0 on), then valid text. */
const SURROGATE_IN_MIDDLE = Buffer.concat([KOSME, Buffer.from('eda080', 'hex'), Buffer.from('edited')]);
/** 6.4.x: valid text, then F4 90 80 80 (U+110000, invalid from the 90 on, byte 12), then valid text. */
const PART1 = KOSME;
const PART2 = Buffer.from('f4908080', 'hex');
const PART3 = Buffer.from('edited');
const FAIL_FAST_PAYLOAD = Buffer.concat([PART1, PART2, PART3]);
const FIRST_INVALID_BYTE = 12;

/** Each byte its own fragment (Autobahn's payload_frag_size = 1). */
function oneByteFragments(bytes: Uint8Array): FrameSpec[] {
  return Array.from(bytes, (byte, i) => ({ opcode: i === 0 ? OP.text : OP.cont, payload: Uint8Array.of(byte), fin: i === bytes.length - 1 }));
}

describe('Autobahn 6.1-6.3 valid and invalid text', () => {
  it('6.1.1 accepts an empty text message', async () => {
    await checkCase({ id: '6.1.1', title: '', frames: [text('')], events: [textMessage('')] });
  });

  it('6.1.2 accepts a text message of 3 empty fragments', async () => {
    await checkCase({
      id: '6.1.2',
      title: '',
      frames: [text('', false), cont('', false), cont('')],
      events: [textMessage('')],
    });
  });

  it('6.1.3 accepts empty first and last fragments around a non-empty one', async () => {
    await checkCase({
      id: '6.1.3',
      title: '',
      frames: [text('', false), cont('middle frame payload', false), cont('')],
      events: [textMessage('middle frame payload')],
    });
  });

  it('6.2.1 accepts valid multi-byte UTF-8 in one frame', async () => {
    await checkCase({ id: '6.2.1', title: '', frames: [text(HELLO)], events: [textMessage(HELLO)] });
  });

  it('6.2.2 accepts valid UTF-8 in 2 fragments split on a code point boundary', async () => {
    await checkCase({
      id: '6.2.2',
      title: '',
      frames: [text('Hello-µ@ßöä', false), cont('üàá-UTF-8!!')],
      events: [textMessage(HELLO)],
    });
  });

  it('6.2.3 accepts valid UTF-8 in 1-byte fragments that split code points', async () => {
    await checkCase({ id: '6.2.3', title: '', frames: oneByteFragments(Buffer.from(HELLO)), events: [textMessage(HELLO)] });
  });

  it('6.2.4 accepts κόσμε in 1-byte fragments that split code points', async () => {
    await checkCase({ id: '6.2.4', title: '', frames: oneByteFragments(KOSME), events: [textMessage(KOSME.toString())] });
  });

  it('6.3.1 fails invalid UTF-8 in one frame with 1007', async () => {
    await checkCase({ id: '6.3.1', title: '', frames: [text(SURROGATE_IN_MIDDLE)], events: [INVALID_UTF8] });
  });

  it('6.3.2 fails invalid UTF-8 in 1-byte fragments with 1007', async () => {
    await checkCase({ id: '6.3.2', title: '', frames: oneByteFragments(SURROGATE_IN_MIDDLE), events: [INVALID_UTF8] });
  });
});

/**
 * A 6.4.x case: the message as frames, the pieces Autobahn writes with a pause between them, and
 * how many of those pieces must be enough for the failure (the message is still incomplete then).
 */
interface FailFastCase {
  id: string;
  title: string;
  /** The frames, and the Autobahn chops as payload offsets where the writes pause. */
  frames: FrameSpec[];
  pauses: number[];
}

const FAIL_FAST_CASES: FailFastCase[] = [
  {
    id: '6.4.1',
    title: 'fails fast on invalid UTF-8 in the second of 3 fragments',
    frames: [text(PART1, false), cont(PART2, false), cont(PART3)],
    pauses: [PART1.length, PART1.length + PART2.length],
  },
  {
    id: '6.4.2',
    title: 'fails fast on a 1-byte second fragment that makes the text invalid',
    frames: [
      text(FAIL_FAST_PAYLOAD.subarray(0, 12), false),
      cont(FAIL_FAST_PAYLOAD.subarray(12, 13), false),
      cont(FAIL_FAST_PAYLOAD.subarray(13)),
    ],
    pauses: [12, 13],
  },
  {
    id: '6.4.3',
    title: 'fails fast on invalid UTF-8 in the second of 3 chops of one frame',
    frames: [text(FAIL_FAST_PAYLOAD)],
    pauses: [PART1.length, PART1.length + PART2.length],
  },
  {
    id: '6.4.4',
    title: 'fails fast on a 1-byte second chop of one frame that makes the text invalid',
    frames: [text(FAIL_FAST_PAYLOAD)],
    pauses: [12, 13],
  },
];

/** Stream offset of message payload byte `index`, given each frame's bytes and spec. */
function streamOffsetOf(frames: readonly Buffer[], specs: readonly FrameSpec[], index: number): number {
  let offset = 0;
  let payloadSeen = 0;
  for (let i = 0; i < frames.length; i++) {
    const payloadBytes = Buffer.byteLength(specs[i].payload as Uint8Array);
    const headerBytes = frames[i].length - payloadBytes;
    if (index < payloadSeen + payloadBytes) return offset + headerBytes + (index - payloadSeen);
    payloadSeen += payloadBytes;
    offset += frames[i].length;
  }
  throw new RangeError('index beyond the message');
}

function failFastWire(testCase: FailFastCase, masked: boolean) {
  const frames = testCase.frames.map((spec) => buildFrame({ ...spec, mask: masked }));
  const bytes = Buffer.concat(frames);
  const badByte = streamOffsetOf(frames, testCase.frames, FIRST_INVALID_BYTE);
  // Autobahn's writes: each pause is after a payload byte; the first write carries the headers before it.
  const cuts = testCase.pauses.map((payloadOffset) => streamOffsetOf(frames, testCase.frames, payloadOffset - 1) + 1);
  return { bytes, badByte, chops: splitAt(bytes, cuts) };
}

describe('Autobahn 6.4 fail fast on invalid UTF-8', () => {
  for (const testCase of FAIL_FAST_CASES) {
    it(`${testCase.id} ${testCase.title}`, async () => {
      for (const isServer of [true, false]) {
        const role = isServer ? 'server' : 'client';
        const { bytes, badByte, chops } = failFastWire(testCase, isServer);

        // Autobahn's own delivery: after the first chop nothing is wrong; the second one fails.
        expect(parsePieces(chops.slice(0, 1), { isServer }).events, `${role}: first chop`).toEqual([]);
        const twoChops = parsePieces(chops.slice(0, 2), { isServer });
        expect(twoChops.events, `${role}: first two chops`).toEqual([INVALID_UTF8]);

        // Byte by byte: the error comes with the very byte that makes the text invalid.
        const byByte = parsePieces(splitEvery(bytes, 1), { isServer });
        expect(byByte.events, `${role}: byte by byte`).toEqual([INVALID_UTF8]);
        expect(byByte.errorAtByte, `${role}: byte by byte, error position`).toBe(badByte + 1);

        // Random chunks: with the chunk that holds that byte.
        const seed = seedFor(`${testCase.id} ${role}`);
        const pieces = splitRandomly(bytes, createRng(seed), 6);
        const result = parsePieces(pieces, { isServer });
        let end = 0;
        const chunkEnd = pieces.map((piece) => (end += piece.length)).find((pieceEnd) => pieceEnd > badByte);
        expect(result.events, `${role}: random chunks (seed ${seed})`).toEqual([INVALID_UTF8]);
        expect(result.errorAtByte, `${role}: random chunks (seed ${seed}), error position`).toBe(chunkEnd);
      }

      // A server Connection sends close 1007 and ends TCP before the rest of the message is sent.
      for (const transport of ['memory', 'tcp'] as Transport[]) {
        const { chops } = failFastWire(testCase, true);
        const peer = await RawPeer.open(transport);
        try {
          peer.write(chops.slice(0, 2));
          const record = await peer.finish();
          const { frames } = peer.received();
          expect(frames.map((frame) => frame.opcode), transport).toEqual([OP.close]);
          expect(readClose(frames[0].payload).code, transport).toBe(1007);
          expect(record, transport).toMatchObject({ code: 1007, wasClean: false });
        } finally {
          await peer.dispose();
        }
      }
    });
  }
});

describe('Autobahn 6.5-6.23 UTF-8 stress vectors (Markus Kuhn) in one text frame', () => {
  for (const group of UTF8_GROUPS) {
    describe(`${group.id} ${group.title}`, () => {
      group.vectors.forEach((vector, index) => {
        const id = `${group.id}.${index + 1}`;
        const verdict = vector.valid ? 'accepts' : 'fails with 1007';
        it(`${id} ${verdict} ${vector.bytes.toString('hex')}`, async () => {
          await checkCase({
            id,
            title: '',
            frames: [text(vector.bytes)],
            events: [vector.valid ? textMessage(vector.bytes.toString()) : INVALID_UTF8],
          });
        });
      });
    });
  }
});
