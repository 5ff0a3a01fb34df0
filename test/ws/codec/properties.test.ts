// Property tests of the codec (fast-check). Runs are short by default; raise them for a long
// campaign with FC_NUM_RUNS (e.g. FC_NUM_RUNS=1000000 npx vitest run test/ws/codec/properties).
// A failure prints fast-check's seed and path; FC_SEED=<seed> replays it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { Utf8StreamValidator } from '../../../runtime/ws/protocol/utf8.ts';
import { buildFrame, OP, type FrameSpec } from '../../helpers/frames.ts';
import { parsePieces, RecordingParser, type ParserEvent } from '../../helpers/parser-run.ts';

const DEFAULT_NUM_RUNS = 150;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? DEFAULT_NUM_RUNS);
/** A long campaign gets no per-test timeout; the default run keeps vitest's. */
const TIMEOUT = NUM_RUNS > DEFAULT_NUM_RUNS ? 7 * 24 * 3600_000 : undefined;
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = (scale = 1) => ({ numRuns: Math.max(1, Math.round(NUM_RUNS * scale)), seed: SEED });

/** `bytes` cut into pieces whose sizes cycle through `sizes`, each piece a copy. */
function chop(bytes: Uint8Array, sizes: readonly number[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    pieces.push(Buffer.from(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  return pieces;
}

const chunkSizes = fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 40 });

// ---------------------------------------------------------------------------------------------
// Valid conversations

interface Message {
  isText: boolean;
  bytes: Buffer;
}

const smallText = fc.string({ unit: 'binary', maxLength: 150 }).map((text): Message => ({ isText: true, bytes: Buffer.from(text) }));
const smallBinary = fc.uint8Array({ maxLength: 200 }).map((bytes): Message => ({ isText: false, bytes: Buffer.from(bytes) }));
// Now and then a message past the 7- and 16-bit length encodings.
const largeMessage = fc
  .record({ isText: fc.boolean(), length: fc.integer({ min: 126, max: 70_000 }), fill: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) })
  .map(({ isText, length, fill }): Message => {
    const text = fill.repeat(Math.ceil(length / fill.length));
    return { isText, bytes: isText ? Buffer.from(text) : Buffer.alloc(length, fill) };
  });
const message = fc.oneof({ weight: 6, arbitrary: smallText }, { weight: 6, arbitrary: smallBinary }, { weight: 1, arbitrary: largeMessage });

/** A message with its fragment cuts (byte offsets, duplicates allowed: empty fragments) and pings between fragments. */
const fragmentedMessage = fc.record({
  message,
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  pings: fc.array(fc.option(fc.uint8Array({ maxLength: 125 }), { nil: undefined, freq: 3 }), { maxLength: 7 }),
  pongFirst: fc.option(fc.uint8Array({ maxLength: 125 }), { nil: undefined, freq: 4 }),
});

type FragmentedMessage = typeof fragmentedMessage extends fc.Arbitrary<infer T> ? T : never;

/** Frames for the conversation and the events a parser must report for it, in order. */
function conversation(items: ReadonlyArray<FragmentedMessage>) {
  const specs: FrameSpec[] = [];
  const events: ParserEvent[] = [];
  for (const { message: { isText, bytes }, cuts, pings, pongFirst } of items) {
    if (pongFirst !== undefined) {
      specs.push({ opcode: OP.pong, payload: pongFirst });
      events.push({ control: OP.pong, payload: Buffer.from(pongFirst).toString('hex') });
    }
    const offsets = [0, ...cuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
    for (let i = 0; i + 1 < offsets.length; i++) {
      const last = i + 2 === offsets.length;
      specs.push({ opcode: i === 0 ? (isText ? OP.text : OP.binary) : OP.cont, payload: bytes.subarray(offsets[i], offsets[i + 1]), fin: last });
      const ping = pings[i];
      if (!last && ping !== undefined) {
        specs.push({ opcode: OP.ping, payload: ping });
        events.push({ control: OP.ping, payload: Buffer.from(ping).toString('hex') });
      }
    }
    events.push(isText ? { text: bytes.toString() } : { binary: bytes.toString('hex') });
  }
  return { specs, events };
}

describe('properties: valid conversations', () => {
  it('any valid message sequence (random fragmentation, interleaved pings and pongs) survives any chunking unchanged', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fragmentedMessage, { minLength: 1, maxLength: 8 }), chunkSizes, (isServer, items, sizes) => {
        const { specs, events } = conversation(items);
        const bytes = Buffer.concat(specs.map((spec) => buildFrame({ ...spec, mask: isServer })));
        expect(parsePieces([Buffer.from(bytes)], { isServer }).events).toEqual(events);
        expect(parsePieces(chop(bytes, sizes), { isServer }).events).toEqual(events);
      }),
      params(),
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// Hostile input

/** Bytes that matter to a UTF-8 decoder: boundaries of every lead and continuation range. */
const edgeByte = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xee, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xfe, 0xff);
const nearlyUtf8 = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 3 }).map((s) => [...Buffer.from(s)]) }, { weight: 1, arbitrary: edgeByte.map((b) => [b]) }), { maxLength: 40 })
  .map((parts) => Uint8Array.from(parts.flat()));

/** Frames with every header field random: mostly plausible, sometimes reserved bits, bad opcodes, the wrong mask bit or a lying length. */
const hostileFrame = fc.record({
  fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rsv: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
  opcode: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(0, 1, 2, 8, 9, 10) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  payload: fc.oneof(nearlyUtf8, fc.uint8Array({ maxLength: 140 }), fc.constant(Uint8Array.of(0x03, 0xe8))),
  flipMask: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  lengthBits: fc.constantFrom(undefined, undefined, undefined, 16 as const, 64 as const),
  lengthDelta: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }),
});

const hostileStream = (isServer: boolean) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.array(hostileFrame, { maxLength: 12 }).map((frames) =>
      Buffer.concat(
        frames.map(({ flipMask, lengthDelta, payload, ...spec }) =>
          buildFrame({ ...spec, payload, mask: isServer !== flipMask, declaredLength: Math.max(0, payload.length + lengthDelta) }),
        ),
      ),
    ),
  );

const ERROR_CODES = new Set([1002, 1007, 1009]);

describe('properties: hostile input', () => {
  it('any byte sequence in any chunks yields messages or exactly one protocol error (1002/1007/1009), never a throw, the same for every chunking', () => {
    const input = fc.boolean().chain((isServer) =>
      fc.record({
        isServer: fc.constant(isServer),
        bytes: hostileStream(isServer),
        sizes: chunkSizes,
        maxPayload: fc.constantFrom(16 * 1024 * 1024, 100, 8),
        maxFragments: fc.constantFrom(128 * 1024, 3),
      }),
    );
    fc.assert(
      fc.property(input, ({ isServer, bytes, sizes, maxPayload, maxFragments }) => {
        const options = { isServer, maxPayload, maxFragments };
        // RecordingParser throws on any event after an error or a close frame.
        const whole = parsePieces([Buffer.from(bytes)], options).events;
        const errors = whole.filter((event) => 'error' in event);
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) {
          expect(whole.at(-1)).toBe(errors[0]);
          expect(ERROR_CODES.has((errors[0] as { error: number }).error)).toBe(true);
        }
        expect(parsePieces(chop(bytes, sizes), options).events).toEqual(whole);
        expect(parsePieces(chop(bytes, [1]), options).events).toEqual(whole);
      }),
      params(2),
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// UTF-8

/** Index of the piece where a streaming fatal TextDecoder first throws; -1 if none; pieces.length if only the final flush does. */
function textDecoderVerdict(pieces: readonly Uint8Array[]): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < pieces.length; i++) {
    try {
      decoder.decode(pieces[i], { stream: true });
    } catch {
      return i;
    }
  }
  try {
    decoder.decode();
  } catch {
    return pieces.length;
  }
  return -1;
}

/** The same verdict from krandog's validator over one growing buffer. */
function validatorVerdict(pieces: readonly Uint8Array[]): number {
  const validator = new Utf8StreamValidator();
  const buffer = Buffer.concat(pieces);
  let end = 0;
  for (let i = 0; i < pieces.length; i++) {
    end += pieces[i].length;
    if (!validator.validate(buffer, end)) return i;
  }
  return validator.isComplete(end) ? -1 : pieces.length;
}

/** UTF-8 with the cases decoders get wrong mixed in: surrogates (ED A0-BF), overlongs, > U+10FFFF. */
const utf8Traps = fc.constantFrom('eda080', 'edbfbf', 'ed9fbf', 'c0af', 'c1bf', 'e080af', 'e09fbf', 'f08fbfbf', 'f4908080', 'f48fbfbf', 'f0908080', 'efbfbf', 'ee8080');
const trickyBytes = fc
  .array(fc.oneof(nearlyUtf8, utf8Traps.map((hex) => Buffer.from(hex, 'hex')), fc.uint8Array({ maxLength: 6 })), { maxLength: 8 })
  .map((parts) => Buffer.concat(parts));

describe('properties: UTF-8', () => {
  it('the streaming validator agrees with TextDecoder({ fatal: true }) on random bytes in random pieces, piece by piece', () => {
    fc.assert(
      fc.property(trickyBytes, chunkSizes.map((sizes) => sizes.map((size) => 1 + (size % 7))), (bytes, sizes) => {
        const pieces = chop(bytes, sizes);
        expect(validatorVerdict(pieces)).toBe(textDecoderVerdict(pieces));
      }),
      params(4),
    );
  }, TIMEOUT);

  it('a text frame fed byte by byte fails at exactly the byte where TextDecoder first fails (fail fast)', () => {
    fc.assert(
      fc.property(fc.boolean(), trickyBytes, (isServer, payload) => {
        const frame = buildFrame({ opcode: OP.text, payload, mask: isServer });
        const headerBytes = frame.length - payload.length;
        const result = parsePieces(chop(frame, [1]), { isServer });
        const failsAt = textDecoderVerdict(chop(payload, [1]));
        if (failsAt === -1) {
          expect(result.events).toEqual([{ text: payload.toString() }]);
        } else {
          expect(result.events).toEqual([{ error: 1007, code: 'KRANDOG_WS_INVALID_UTF8' }]);
          // A text that is only cut short fails when the frame ends; anything else at its bad byte.
          expect(result.errorAtByte).toBe(headerBytes + Math.min(failsAt + 1, payload.length));
        }
      }),
      params(2),
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// Memory

/** V8's collector, exposed at run time, so retained memory can be measured rather than guessed. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** ArrayBuffer bytes still alive after a full collection. */
function retainedBytes(gc: () => void): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

const KiB = 1024;
const MiB = 1024 * KiB;

describe('properties: bounded memory', () => {
  it('a flood of empty fragments is capped (1009 at maxFragments + 1) and costs no buffers below it', () => {
    const gc = collector();
    const emptyContinuation = buildFrame({ opcode: OP.cont, payload: '', fin: false, mask: true });
    const start = buildFrame({ opcode: OP.text, payload: '', fin: false, mask: true });
    const end = buildFrame({ opcode: OP.cont, payload: 'done', mask: true });

    // 100,000 empty fragments (below the default cap of 131,072), one TCP read each.
    const parser = new RecordingParser({ isServer: true });
    parser.push(Buffer.from(start));
    const before = retainedBytes(gc);
    for (let i = 0; i < 100_000; i++) parser.push(Buffer.from(emptyContinuation));
    expect(retainedBytes(gc) - before).toBeLessThan(256 * KiB);
    parser.push(Buffer.from(end));
    expect(parser.events).toEqual([{ text: 'done' }]);

    // Past the default cap: the fragment after the 131,072nd fails with 1009, and the rest is ignored.
    const capped = new RecordingParser({ isServer: true });
    capped.push(Buffer.from(start));
    for (let i = 1; i < 128 * 1024; i++) capped.push(Buffer.from(emptyContinuation));
    expect(capped.events).toEqual([]);
    capped.push(Buffer.from(emptyContinuation));
    expect(capped.events).toEqual([{ error: 1009, code: 'KRANDOG_WS_TOO_MANY_FRAGMENTS' }]);
    for (let i = 0; i < 1000; i++) capped.push(Buffer.from(emptyContinuation));
    expect(capped.events).toHaveLength(1);
  });

  it('a 1 MiB message in 1-byte TCP pieces buffers in proportion to the bytes received, not to the pieces', () => {
    const gc = collector();
    const payload = Buffer.alloc(MiB, 'krandog ');
    const frame = buildFrame({ opcode: OP.binary, payload, mask: true });
    const parser = new RecordingParser({ isServer: true });
    const before = retainedBytes(gc);
    const half = frame.length >> 1;
    for (let i = 0; i < half; i++) parser.push(frame.subarray(i, i + 1));
    // Half a MiB received: a growing buffer holds at most about twice that plus its first step.
    expect(retainedBytes(gc) - before).toBeLessThan(2 * MiB);
    for (let i = half; i < frame.length; i++) parser.push(frame.subarray(i, i + 1));
    expect(parser.events).toEqual([{ binary: payload.toString('hex') }]);
  });

  it('a header that declares 16 MiB reserves no more than 256 KiB before the bytes arrive', () => {
    const gc = collector();
    const parsers: RecordingParser[] = [];
    const header = buildFrame({ opcode: OP.binary, declaredLength: 16 * MiB, mask: true });
    const before = retainedBytes(gc);
    // 20 such connections, each one payload byte in: a parser that trusted the header would hold 320 MiB.
    for (let i = 0; i < 20; i++) {
      const parser = new RecordingParser({ isServer: true });
      parser.push(Buffer.concat([header, Buffer.of(0)]));
      parsers.push(parser);
    }
    expect((retainedBytes(gc) - before) / parsers.length).toBeLessThanOrEqual(260 * KiB);
  });

  it('100,000 one-byte fragments buffer in proportion to their bytes', () => {
    const gc = collector();
    const parser = new RecordingParser({ isServer: true });
    const before = retainedBytes(gc);
    parser.push(Buffer.from(buildFrame({ opcode: OP.binary, payload: 'a', fin: false, mask: true })));
    for (let i = 1; i < 100_000; i++) parser.push(Buffer.from(buildFrame({ opcode: OP.cont, payload: 'a', fin: false, mask: true })));
    expect(retainedBytes(gc) - before).toBeLessThan(512 * KiB);
    parser.push(Buffer.from(buildFrame({ opcode: OP.cont, payload: '', mask: true })));
    expect(parser.events).toEqual([{ binary: Buffer.alloc(100_000, 'a').toString('hex') }]);
  });
});
