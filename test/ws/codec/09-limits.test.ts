// Autobahn|Testsuite category 9, Limits/Performance, checked for correctness only (no timing):
// messages up to 16 MiB (the default maxPayload must admit them), 4 MiB messages in fragments of
// growing size, 1 MiB in TCP chops, and 1000-message runs. Then krandog's own limits: maxPayload
// and the fragment cap fail with 1009 as soon as a header shows they would be passed.
import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { FrameParser } from '../../../runtime/ws/protocol/frame-parser.ts';
import { DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_PAYLOAD } from '../../../runtime/ws/protocol/constants.ts';
import type { ProtocolError } from '../../../runtime/ws/protocol/errors.ts';
import { checkParser } from '../../helpers/codec-cases.ts';
import { createRng, seedFor, splitEvery, splitRandomly } from '../../helpers/chunks.ts';
import { buildFrame, buildFrames, cont, OP, readClose, type FrameSpec } from '../../helpers/frames.ts';
import { parsePieces, protocolError, textMessage, binaryMessage } from '../../helpers/parser-run.ts';
import { RawPeer, within } from '../../helpers/ws-peer.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** What a large message came out as, compared by length and digest (no giant diffs). */
interface Digest {
  isText: boolean;
  bytes: number;
  sha256: string;
}

const digest = (isText: boolean, data: Uint8Array | string): Digest => {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return { isText, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
};

/** Feeds pieces to a parser with the default limits; returns message digests, or the error. */
function receive(pieces: readonly Buffer[], isServer: boolean): Array<Digest | { error: number }> {
  const out: Array<Digest | { error: number }> = [];
  const parser = new FrameParser(
    { isServer, maxPayload: DEFAULT_MAX_PAYLOAD, maxFragments: DEFAULT_MAX_FRAGMENTS },
    {
      onMessage: (data, isText) => out.push(digest(isText, data)),
      onControl: () => {},
      onError: (error: ProtocolError) => out.push({ error: error.closeCode }),
    },
  );
  for (const piece of pieces) parser.push(piece);
  return out;
}

/** A payload of `bytes` bytes: a repeated printable pattern (Autobahn's "BAsd7&jh23"). */
function payloadOf(bytes: number): Buffer {
  return Buffer.alloc(bytes, 'BAsd7&jh23');
}

/** One message in fragments of `fragmentBytes` (the last may be shorter). */
function fragmented(opcode: number, payload: Buffer, fragmentBytes: number): FrameSpec[] {
  const specs: FrameSpec[] = [];
  for (let offset = 0; offset < payload.length; offset += fragmentBytes) {
    const end = Math.min(payload.length, offset + fragmentBytes);
    specs.push({ opcode: offset === 0 ? opcode : OP.cont, payload: payload.subarray(offset, end), fin: end === payload.length });
  }
  return specs;
}

/** Both roles (or `roles`); whole, random TCP-sized reads, and any extra chop size. */
function expectReceived(id: string, specs: FrameSpec[], expected: Digest[], chopBytes?: number, roles = [true, false]): void {
  for (const isServer of roles) {
    const bytes = buildFrames(specs, isServer);
    const seed = seedFor(`${id} ${isServer}`);
    const deliveries: Array<[string, Buffer[]]> = [
      ['whole', [bytes]],
      [`random reads up to 64 KiB (seed ${seed})`, splitRandomly(bytes, createRng(seed), 64 * KiB)],
    ];
    if (chopBytes !== undefined) deliveries.push([`${chopBytes}-byte chops`, splitEvery(bytes, chopBytes)]);
    for (const [name, pieces] of deliveries) {
      expect(receive(pieces, isServer), `${id}, ${isServer ? 'server' : 'client'} role, ${name}`).toEqual(expected);
    }
  }
}

const SIZES = [64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB, 8 * MiB, 16 * MiB];
const label = (bytes: number) => (bytes >= MiB ? `${bytes / MiB} MiB` : bytes >= KiB ? `${bytes / KiB} KiB` : `${bytes} B`);

describe('Autobahn 9.1 / 9.2 large messages in one frame', () => {
  SIZES.forEach((size, index) => {
    it(`9.1.${index + 1} receives a ${label(size)} text message`, () => {
      const payload = payloadOf(size);
      expectReceived(`9.1.${index + 1}`, [{ opcode: OP.text, payload }], [digest(true, payload)]);
    });
  });
  SIZES.forEach((size, index) => {
    it(`9.2.${index + 1} receives a ${label(size)} binary message`, () => {
      const payload = payloadOf(size);
      expectReceived(`9.2.${index + 1}`, [{ opcode: OP.binary, payload }], [digest(false, payload)]);
    });
  });

  // The default limit admits 16 MiB end to end: a server Connection echoes it over loopback TCP.
  for (const [id, opcode] of [['9.1.6', OP.text], ['9.2.6', OP.binary]] as const) {
    it(`${id} over TCP: a server Connection echoes 16 MiB with the default limits`, async () => {
      const payload = payloadOf(16 * MiB);
      const peer = await RawPeer.open('tcp');
      try {
        peer.write([buildFrame({ opcode, payload, mask: true }), buildFrame({ opcode: OP.close, payload: Uint8Array.of(3, 232), mask: true })]);
        expect(await peer.finish()).toEqual({ code: 1000, reason: '', wasClean: true });
        const { frames, rest } = peer.received();
        expect(rest.length).toBe(0);
        expect(frames.map((f) => [f.opcode, f.lengthBits, f.masked])).toEqual([[opcode, 64, false], [OP.close, 7, false]]);
        expect(digest(opcode === OP.text, frames[0].payload)).toEqual(digest(opcode === OP.text, payload));
      } finally {
        await peer.dispose();
      }
    });
  }
});

const FRAGMENT_SIZES = [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB];

describe('Autobahn 9.3 / 9.4 a 4 MiB message in fragments of growing size', () => {
  for (const [group, opcode] of [['9.3', OP.text], ['9.4', OP.binary]] as const) {
    FRAGMENT_SIZES.forEach((fragmentBytes, index) => {
      const kind = opcode === OP.text ? 'text' : 'binary';
      it(`${group}.${index + 1} reassembles a 4 MiB ${kind} message in ${label(fragmentBytes)} fragments`, () => {
        const payload = payloadOf(4 * MiB);
        // Server role only (masked, the costlier path); 65,536 fragments in both roles would double CI time.
        const specs = fragmented(opcode, payload, fragmentBytes);
        expectReceived(`${group}.${index + 1}`, specs, [digest(opcode === OP.text, payload)], undefined, [true]);
      });
    });
  }
});

describe('Autobahn 9.5 / 9.6 a 1 MiB message in TCP chops', () => {
  for (const [group, opcode] of [['9.5', OP.text], ['9.6', OP.binary]] as const) {
    [64, 128, 256, 512, 1024, 2048].forEach((chopBytes, index) => {
      const kind = opcode === OP.text ? 'text' : 'binary';
      it(`${group}.${index + 1} receives a 1 MiB ${kind} message in ${chopBytes}-byte chops`, () => {
        const payload = payloadOf(MiB);
        expectReceived(`${group}.${index + 1}`, [{ opcode, payload }], [digest(opcode === OP.text, payload)], chopBytes);
      });
    });
  }
});

describe('Autobahn 9.7 / 9.8 1000 messages in a row (order and content; timing is for benchmarks)', () => {
  for (const [group, opcode] of [['9.7', OP.text], ['9.8', OP.binary]] as const) {
    [0, 16, 64, 256, 1024, 4096].forEach((size, index) => {
      const kind = opcode === OP.text ? 'text' : 'binary';
      it(`${group}.${index + 1} receives 1000 ${kind} messages of ${size} bytes in order`, () => {
        // Each message distinct, so a lost, repeated or reordered one shows.
        const payloads = Array.from({ length: 1000 }, (_, n) => Buffer.alloc(size, `${n}:`));
        const specs = payloads.map((payload) => ({ opcode, payload }));
        const expected = payloads.map((payload) => digest(opcode === OP.text, payload));
        expectReceived(`${group}.${index + 1}`, specs, expected);
      });
    });
  }
});

describe('limits: maxPayload and the fragment cap (1009)', () => {
  it('admits a message of exactly maxPayload and fails one byte more at its header', () => {
    const atLimit: FrameSpec[] = [{ opcode: OP.binary, payload: Buffer.alloc(1000, 7) }];
    expect(parsePieces([buildFrames(atLimit, true)], { isServer: true, maxPayload: 1000 }).events).toEqual([
      binaryMessage(Buffer.alloc(1000, 7)),
    ]);
    // Only the header of a 1001-byte frame: the error comes before any payload is buffered.
    const header = buildFrame({ opcode: OP.binary, payload: Buffer.alloc(1001), mask: true }).subarray(0, 8);
    const result = parsePieces([Buffer.from(header)], { isServer: true, maxPayload: 1000 });
    expect(result.events).toEqual([protocolError(1009, 'KRANDOG_WS_MESSAGE_TOO_BIG')]);
  });

  it('fails a header that declares more than the default 16 MiB before the payload arrives', () => {
    const header = buildFrame({ opcode: OP.text, declaredLength: 16 * MiB + 1, mask: true });
    expect(header.length).toBe(14);
    expect(parsePieces([header], { isServer: true }).events).toEqual([protocolError(1009, 'KRANDOG_WS_MESSAGE_TOO_BIG')]);
  });

  it('counts every fragment toward maxPayload and fails at the header of the one that passes it', () => {
    const specs = [...fragmented(OP.text, Buffer.alloc(1000, 'a'), 100)];
    checkParser({ id: 'fragments at the limit', title: '', frames: specs, events: [textMessage('a'.repeat(1000))], parserOptions: { maxPayload: 1000 } });
    const over: FrameSpec[] = [...specs.slice(0, -1).map((s) => s), { ...specs.at(-1)!, fin: false }, cont('b')];
    checkParser({ id: 'fragments over the limit', title: '', frames: over, events: [protocolError(1009, 'KRANDOG_WS_MESSAGE_TOO_BIG')], parserOptions: { maxPayload: 1000 } });
  });

  it('fails the fragment after maxFragments with 1009, empty fragments included', () => {
    const fragments = (count: number): FrameSpec[] =>
      Array.from({ length: count }, (_, i) => ({ opcode: i === 0 ? OP.binary : OP.cont, payload: '', fin: i === count - 1 }));
    checkParser({ id: '100 fragments', title: '', frames: fragments(100), events: [binaryMessage('')], parserOptions: { maxFragments: 100 } });
    checkParser({
      id: '101 fragments',
      title: '',
      frames: fragments(101),
      events: [protocolError(1009, 'KRANDOG_WS_TOO_MANY_FRAGMENTS')],
      parserOptions: { maxFragments: 100 },
    });
  });

  it('a peer that stops reading is closed with 1008 once it holds back more than backpressureLimit', async () => {
    const peer = await RawPeer.open('tcp', { backpressureLimit: MiB, stallTimeoutMs: 200, echo: false });
    try {
      peer.raw.pause();
      const message = Buffer.alloc(MiB, 1);
      const results: number[] = [];
      // One loop's own output is not judged: all of it is accepted, past the limit as backpressure.
      for (let i = 0; i < 64; i++) results.push(peer.connection.send(message));
      expect(new Set(results), 'accepted behind backpressure, never dropped').toEqual(new Set([-1]));
      // The kernel takes a few MiB, then nothing: the peer holds back more than the limit and is closed.
      const record = await within(peer.closed, 5_000, 'the Connection never closed');
      expect(record).toMatchObject({ code: 1008, wasClean: false });
    } finally {
      await peer.dispose();
    }
  });

  it('a server Connection sends close 1009 for a message over maxPayload and ends TCP', async () => {
    for (const transport of ['memory', 'tcp'] as const) {
      const peer = await RawPeer.open(transport, { maxPayload: 100 });
      try {
        peer.write([buildFrame({ opcode: OP.text, payload: 'x'.repeat(101), mask: true })]);
        expect(await peer.finish(), transport).toMatchObject({ code: 1009, wasClean: false });
        const { frames } = peer.received();
        expect(frames.map((f) => [f.opcode, readClose(f.payload).code]), transport).toEqual([[OP.close, 1009]]);
      } finally {
        await peer.dispose();
      }
    }
  });
});

