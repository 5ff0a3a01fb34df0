import { expect } from 'vitest';
import { chunkings, seedFor, createRng, splitRandomly, type Chunking } from './chunks.ts';
import { buildFrame, buildFrames, close, OP, readClose, type DecodedFrame, type FrameSpec } from './frames.ts';
import { parsePieces, type ParserEvent, type ParserRunOptions } from './parser-run.ts';
import { RawPeer, type CloseRecord, type Transport } from './ws-peer.ts';

/** A frame an echo server puts on the wire, in a form that compares with toEqual. */
export type Reply =
  | { text: string }
  | { binary: string }
  | { pong: string }
  | { close: number | null; reason: unknown };

/**
 * One Autobahn|Testsuite case, as data: the frames the peer sends and what must come of them.
 * The runner checks the sans-I/O parser in both roles with every chunking, then a server
 * Connection that echoes messages, over an in-memory pair and over real loopback TCP.
 */
export interface CodecCase {
  id: string;
  title: string;
  /** Frames as the peer sends them; the runner masks them when the receiver is a server. */
  frames: FrameSpec[];
  /** What the parser reports, in order. */
  events: ParserEvent[];
  /** The echo server's replies when they differ from what `events` imply (close-frame checks). */
  reply?: Reply[];
  /** The Connection's onClose when it differs from what `events` imply. */
  close?: Partial<CloseRecord>;
  parserOptions?: Omit<ParserRunOptions, 'isServer'>;
  /** Skip the Connection half (pure parser cases). */
  parserOnly?: boolean;
}

/** The full check of one case; each `it` calls this. */
export async function checkCase(testCase: CodecCase): Promise<void> {
  checkParser(testCase);
  if (!testCase.parserOnly) await checkConnection(testCase);
}

/** Whole, byte by byte, in random chunks, and one frame per write (Autobahn's "sync" variants). */
function deliveries(specs: readonly FrameSpec[], masked: boolean, name: string): Chunking[] {
  const bytes = buildFrames(specs, masked);
  const frameByFrame = specs.map((spec) => buildFrame({ ...spec, mask: spec.mask ?? masked }));
  return [...chunkings(bytes, name), { name: 'frame by frame', pieces: frameByFrame }];
}

/** The parser, server and client role, with every delivery. */
export function checkParser(testCase: CodecCase): void {
  for (const isServer of [true, false]) {
    const role = isServer ? 'server' : 'client';
    for (const chunking of deliveries(testCase.frames, isServer, `${testCase.id} ${role}`)) {
      const result = parsePieces(chunking.pieces, { isServer, ...testCase.parserOptions });
      expect(result.events, `${testCase.id} parser, ${role} role, ${chunking.name}`).toEqual(testCase.events);
    }
  }
}

/** Whether the events end the conversation (a close frame or a protocol error). */
function endsConversation(events: readonly ParserEvent[]): boolean {
  const last = events.at(-1);
  return last !== undefined && ('error' in last || ('control' in last && last.control === OP.close));
}

/** What an echo server sends back for these events (RFC 6455 §5.5.1-3, §7.1.7). */
export function repliesFor(events: readonly ParserEvent[]): Reply[] {
  const replies: Reply[] = [];
  for (const event of events) {
    if ('text' in event) replies.push({ text: event.text });
    else if ('binary' in event) replies.push({ binary: event.binary });
    else if ('error' in event) replies.push({ close: event.error, reason: expect.any(String) });
    else if (!('control' in event)) throw new Error('compressed messages are not echoed by this runner');
    else if (event.control === OP.ping) replies.push({ pong: event.payload });
    else if (event.control === OP.close) {
      // The status code is echoed, without the reason; an empty close is answered with an empty one.
      const body = Buffer.from(event.payload, 'hex');
      replies.push({ close: body.length === 0 ? null : readClose(body).code, reason: '' });
    }
  }
  if (!endsConversation(events)) replies.push({ close: 1000, reason: '' });
  return replies;
}

/** The Connection's onClose for these events. */
function closeFor(events: readonly ParserEvent[]): Partial<CloseRecord> {
  const last = events.at(-1);
  if (last !== undefined && 'error' in last) return { code: last.error, wasClean: false };
  if (last !== undefined && 'control' in last && last.control === OP.close) {
    return { ...readClose(Buffer.from(last.payload, 'hex')), wasClean: true };
  }
  return { code: 1000, reason: '', wasClean: true };
}

/** Frames from the wire in Reply form; every frame a server sends is final, unmasked, RSV 0. */
export function toReplies(frames: readonly DecodedFrame[]): Reply[] {
  return frames.map((frame) => {
    expect(frame.fin && frame.rsv === 0 && !frame.masked, 'server frames are FIN, RSV 0, unmasked').toBe(true);
    if (frame.opcode === OP.text) return { text: frame.payload.toString() };
    if (frame.opcode === OP.binary) return { binary: frame.payload.toString('hex') };
    if (frame.opcode === OP.pong) return { pong: frame.payload.toString('hex') };
    if (frame.opcode === OP.close) {
      expect(frame.payload.length, 'a close body is empty or has a code').not.toBe(1);
      const { code, reason } = readClose(frame.payload);
      expect(Buffer.byteLength(reason), 'close reasons fit in a control frame').toBeLessThanOrEqual(123);
      return { close: frame.payload.length === 0 ? null : code, reason };
    }
    throw new Error(`unexpected opcode ${frame.opcode} from the server`);
  });
}

/**
 * A server Connection that echoes messages: over an in-memory pair with every chunking, and over
 * loopback TCP whole and in random chunks. It must answer as `repliesFor` says and end TCP itself.
 */
export async function checkConnection(testCase: CodecCase): Promise<void> {
  const specs = endsConversation(testCase.events) ? testCase.frames : [...testCase.frames, close(1000)];
  const bytes = buildFrames(specs, true);
  const expectedReplies = testCase.reply ?? repliesFor(testCase.events);
  const expectedClose = testCase.close ?? closeFor(testCase.events);
  const runs: Array<{ transport: Transport; name: string; pieces: Buffer[] }> = [
    ...deliveries(specs, true, `${testCase.id} connection`).map((c) => ({ transport: 'memory' as const, ...c })),
    { transport: 'tcp', name: 'whole', pieces: [Buffer.from(bytes)] },
  ];
  const seed = seedFor(`${testCase.id} tcp`);
  runs.push({ transport: 'tcp', name: `random chunks (seed ${seed})`, pieces: splitRandomly(bytes, createRng(seed), 64) });

  for (const run of runs) {
    const label = `${testCase.id} connection over ${run.transport}, ${run.name}`;
    const peer = await RawPeer.open(run.transport);
    try {
      peer.write(run.pieces);
      const record = await peer.finish();
      const { frames, rest } = peer.received();
      expect(rest.length, `${label}: trailing bytes`).toBe(0);
      expect(toReplies(frames), label).toEqual(expectedReplies);
      expect(record, label).toMatchObject(expectedClose);
      // A failed connection reports its one error through onError; a clean one reports none.
      expect(peer.connectionErrors.length, `${label}: onError calls`).toBe(record.wasClean ? 0 : 1);
    } finally {
      await peer.dispose();
    }
  }
}
