// The hub without sockets or processes: envelopes, the choice of backplane, local delivery at
// publish time (the own message skipped when the backplane brings it back), messages of other
// processes, drops while the backplane is down or full, and the bounded outbound queue.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CHANNEL, DEFAULT_TIMEOUT, displayUrl, resolveBackplane, type Backplane, type EnvelopeListener } from '../../../runtime/pubsub/backplane.ts';
import { DEFAULT_QUEUE_LIMIT, MESSAGE_OVERHEAD, OutboundQueue } from '../../../runtime/util/outbound-queue.ts';
import { decodeEnvelope, encodeEnvelope, MAX_TOPIC_BYTES, newOrigin } from '../../../runtime/pubsub/envelope.ts';
import { PubSubHub } from '../../../runtime/pubsub/hub.ts';
import { reconnectDelay } from '../../../runtime/pubsub/redis-backplane.ts';
import type { ServerWebSocket } from '../../../runtime/ws/server/server-socket.ts';
import { TopicRegistry } from '../../../runtime/pubsub/topics.ts';
import { decodeFrames } from '../../helpers/frames.ts';

describe('envelopes', () => {
  it('carry origin, sequence, topic, kind and payload both ways, without decoding the payload', () => {
    const origin = newOrigin();
    const text = decodeEnvelope(encodeEnvelope(origin, 2 ** 40 + 7, 'rooms/ü', 'héllo', true))!;
    expect(text.origin.equals(origin)).toBe(true);
    expect([text.sequence, text.topic, text.isText, text.payload.toString()]).toEqual([2 ** 40 + 7, 'rooms/ü', true, 'héllo']);
    const bytes = Uint8Array.from([0, 255, 1]);
    const binary = decodeEnvelope(encodeEnvelope(origin, 1, '', bytes, false))!;
    expect([binary.topic, binary.isText, [...binary.payload]]).toEqual(['', false, [0, 255, 1]]);
  });

  it('refuse an oversized topic, and decode foreign bytes as null', () => {
    expect(() => encodeEnvelope(newOrigin(), 1, 'x'.repeat(MAX_TOPIC_BYTES + 1), '', true)).toThrow(RangeError);
    expect(decodeEnvelope(Buffer.from('hello from another program on the channel'))).toBeNull();
    expect(decodeEnvelope(Buffer.alloc(3))).toBeNull();
    const truncated = encodeEnvelope(newOrigin(), 1, 'topic', 'x', true).subarray(0, 28);
    expect(decodeEnvelope(truncated)).toBeNull();
  });
});

describe('resolveBackplane', () => {
  const noWorker = {};
  const limits = { timeout: DEFAULT_TIMEOUT, queueLimit: DEFAULT_QUEUE_LIMIT };
  it('takes options.pubsub first, then KRANDOG_PUBSUB, else none', () => {
    expect(resolveBackplane(undefined, noWorker)).toEqual({ kind: 'none' });
    expect(resolveBackplane('redis://a:1', noWorker)).toEqual({ kind: 'redis', url: 'redis://a:1', channel: DEFAULT_CHANNEL, cluster: false, ...limits });
    expect(resolveBackplane({ url: 'rediss://a:1', channel: 'c', timeout: 500, queueLimit: 1024 }, noWorker)).toEqual({
      kind: 'redis',
      url: 'rediss://a:1',
      channel: 'c',
      cluster: false,
      timeout: 500,
      queueLimit: 1024,
    });
    expect(resolveBackplane(undefined, { KRANDOG_PUBSUB: 'redis://env:2' })).toEqual({ kind: 'redis', url: 'redis://env:2', channel: DEFAULT_CHANNEL, cluster: false, ...limits });
    // A Redis Cluster: the option, or KRANDOG_PUBSUB_CLUSTER=1 beside KRANDOG_PUBSUB.
    expect(resolveBackplane({ url: 'redis://n:7000', cluster: true }, noWorker)).toMatchObject({ kind: 'redis', url: 'redis://n:7000', cluster: true });
    expect(resolveBackplane(undefined, { KRANDOG_PUBSUB: 'redis://n:7000', KRANDOG_PUBSUB_CLUSTER: '1' })).toMatchObject({ cluster: true });
    expect(resolveBackplane({ cluster: false }, { KRANDOG_PUBSUB: 'redis://n:7000', KRANDOG_PUBSUB_CLUSTER: '1' })).toMatchObject({ cluster: false });
    expect(resolveBackplane({ channel: 'mine' }, { KRANDOG_PUBSUB: 'redis://env:2' })).toMatchObject({ url: 'redis://env:2', channel: 'mine' });
    expect(resolveBackplane(false, { KRANDOG_PUBSUB: 'redis://env:2' })).toEqual({ kind: 'none' });
    expect(resolveBackplane(undefined, { KRANDOG_PUBSUB: '' })).toEqual({ kind: 'none' });
  });

  it('uses the cluster primary in a worker of krandog --workers', () => {
    const send = process.send;
    try {
      process.send = () => true;
      expect(resolveBackplane({ channel: 'c' }, { KRANDOG_WORKER: '1' })).toEqual({ kind: 'cluster', channel: 'c', timeout: DEFAULT_TIMEOUT, queueLimit: DEFAULT_QUEUE_LIMIT });
      expect(resolveBackplane(undefined, { KRANDOG_WORKER: '1', KRANDOG_PUBSUB: 'redis://r:3' })).toMatchObject({ kind: 'redis' });
      process.send = undefined;
      expect(resolveBackplane(undefined, { KRANDOG_WORKER: '1' })).toEqual({ kind: 'none' }); // no IPC channel
    } finally {
      process.send = send;
    }
  });

  it('names the bad value and where it came from', () => {
    expect(() => resolveBackplane('http://x', noWorker)).toThrow('options.pubsub: "http://x" is not a redis:// or rediss:// URL');
    expect(() => resolveBackplane(undefined, { KRANDOG_PUBSUB: 'localhost:6379' })).toThrow(/^KRANDOG_PUBSUB: "localhost:6379" is not a redis/);
    expect(() => resolveBackplane(undefined, { KRANDOG_PUBSUB: 'not a url' })).toThrow(/KRANDOG_PUBSUB: "not a url" is not a URL/);
    expect(() => resolveBackplane(42, noWorker)).toThrow(/options\.pubsub must be/);
    expect(() => resolveBackplane({ channel: '' }, noWorker)).toThrow(/channel must be a non-empty string/);
    expect(() => resolveBackplane({ cluster: 'yes' }, noWorker)).toThrow('options.pubsub.cluster must be true or false');
    expect(() => resolveBackplane({ timeout: 0 }, noWorker)).toThrow('options.pubsub.timeout must be a positive number, got 0');
    expect(() => resolveBackplane({ queueLimit: '1mb' }, noWorker)).toThrow('options.pubsub.queueLimit must be a positive number, got "1mb"');
  });

  it('hides passwords in what it prints', () => {
    expect(displayUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
  });
});

describe('reconnect delays', () => {
  it('grow from 100 ms and stay at 2 s', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(reconnectDelay)).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });
});

/** A socket stand-in that records the frames written to it. */
function fakeSocket(name: string): ServerWebSocket & { name: string; frames: Buffer[] } {
  const frames: Buffer[] = [];
  return {
    name,
    frames,
    connection: {
      extensions: '',
      sendEncoded: (frame: Buffer) => (frames.push(frame), frame.length),
    },
  } as unknown as ServerWebSocket & { name: string; frames: Buffer[] };
}

const messagesOf = (socket: { frames: Buffer[] }): string[] => socket.frames.flatMap((frame) => decodeFrames(frame).frames.map((f) => f.payload.toString()));

/** A backplane the test drives: it keeps what was published, and the test decides what comes back. */
class FakeBackplane implements Backplane {
  readonly kind = 'redis';
  connected = true;
  /** Whether publish() takes a message (false: its queue is full). */
  accepts = true;
  readonly sent: Buffer[] = [];
  readonly #onEnvelope: EnvelopeListener;

  constructor(onEnvelope: EnvelopeListener) {
    this.#onEnvelope = onEnvelope;
  }

  /** The topics the hub said have a subscriber here. */
  readonly held = new Set<string>();

  publish(_topic: string, envelope: Buffer): boolean {
    if (!this.connected || !this.accepts) return false;
    this.sent.push(envelope);
    return true;
  }

  hold(topic: string): void {
    this.held.add(topic);
  }

  release(topic: string): void {
    this.held.delete(topic);
  }

  /** Hands an envelope to the hub as if it came from the backplane. */
  arrive(envelope: Buffer): void {
    this.#onEnvelope(envelope);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function hubWithFakeBackplane(): { hub: PubSubHub; backplane: FakeBackplane; registry: TopicRegistry; a: FakeSocket; b: FakeSocket } {
  const registry = new TopicRegistry(() => undefined);
  let backplane!: FakeBackplane;
  const hub = new PubSubHub(registry, (onEnvelope) => (backplane = new FakeBackplane(onEnvelope)));
  const [a, b] = [fakeSocket('a'), fakeSocket('b')];
  registry.subscribe(a, 't');
  registry.subscribe(b, 't');
  return { hub, backplane, registry, a, b };
}

type FakeSocket = ReturnType<typeof fakeSocket>;

describe('the hub with a backplane', () => {
  it('delivers to local subscribers at publish time (sender skipped), and skips its own messages when they come back', () => {
    const { hub, backplane, a, b } = hubWithFakeBackplane();
    expect(hub.publish('t', 'from a', a)).toBe(6);
    expect(hub.publish('t', 'from server', undefined)).toBe(11);
    expect(messagesOf(a)).toEqual(['from server']);
    expect(messagesOf(b)).toEqual(['from a', 'from server']);
    expect(backplane.sent.map((envelope) => decodeEnvelope(envelope)!.payload.toString())).toEqual(['from a', 'from server']);
    for (const envelope of backplane.sent) backplane.arrive(envelope);
    expect([messagesOf(a), messagesOf(b)]).toEqual([['from server'], ['from a', 'from server']]);
    expect(hub.status).toEqual({ backplane: 'redis', connected: true, dropped: 0 });
  });

  it('delivers messages of other origins to everyone, ignores foreign bytes and text that is not UTF-8', () => {
    const { backplane, a, b } = hubWithFakeBackplane();
    const other = newOrigin();
    backplane.arrive(encodeEnvelope(other, 1, 't', 'from elsewhere', true));
    backplane.arrive(Buffer.from('not an envelope'));
    backplane.arrive(encodeEnvelope(other, 2, 't', Uint8Array.from([0xff, 0xfe]), true));
    backplane.arrive(encodeEnvelope(other, 3, 'u', 'other topic', true));
    expect([messagesOf(a), messagesOf(b)]).toEqual([['from elsewhere'], ['from elsewhere']]);
  });

  it('delivers at once to local subscribers while the backplane is down or full, and counts those messages as dropped', () => {
    const { hub, backplane, a, b } = hubWithFakeBackplane();
    backplane.connected = false;
    expect(hub.publish('t', 'local only', a)).toBe(10);
    expect(hub.publish('nobody', 'x', undefined)).toBe(0);
    backplane.connected = true;
    backplane.accepts = false;
    expect(hub.publish('t', 'queue full', undefined)).toBe(10);
    expect(backplane.sent).toEqual([]);
    expect([messagesOf(a), messagesOf(b)]).toEqual([['queue full'], ['local only', 'queue full']]);
    expect(hub.status).toEqual({ backplane: 'redis', connected: true, dropped: 3 });
    backplane.accepts = true;
    expect(hub.publish('nobody', 'x', undefined)).toBe(1); // no subscriber here, but gone to the others
  });

  it('refuses a topic too long for the envelope before anyone gets the message', () => {
    const { hub, a } = hubWithFakeBackplane();
    expect(() => hub.publish('x'.repeat(MAX_TOPIC_BYTES + 1), 'm', undefined)).toThrow(RangeError);
    expect(a.frames).toEqual([]);
  });
});

describe('the outbound queue', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes messages up to its limit in bytes, bookkeeping included (a bigger one when empty), and says so once per episode', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => (lines.push(String(line)), true));
    const limit = 100 + 2 * MESSAGE_OVERHEAD;
    const queue = new OutboundQueue(limit, 'Redis at redis://r');
    expect([queue.take(60), queue.take(40), queue.take(0)]).toEqual([true, true, false]);
    expect(queue.take(0)).toBe(false);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^krandog: pub/sub: Redis at redis://r is not keeping up \\(${limit} bytes`))]);
    queue.done(60);
    expect(queue.take(60)).toBe(true);
    queue.done(40);
    queue.done(60);
    expect(queue.take(10 * limit)).toBe(true);
    expect(queue.take(1)).toBe(false);
    expect(lines).toHaveLength(2);
  });

  it('resolves empty() when the last message is done, or when the time is up', async () => {
    vi.useFakeTimers();
    try {
      const queue = new OutboundQueue(10 * MESSAGE_OVERHEAD, 'x');
      let emptied = false;
      await queue.empty(1_000); // nothing waits: at once
      queue.take(10);
      queue.take(10);
      void queue.empty(1_000).then(() => (emptied = true));
      queue.done(10);
      await vi.advanceTimersByTimeAsync(0);
      expect(emptied).toBe(false);
      queue.done(10);
      await vi.advanceTimersByTimeAsync(0);
      expect(emptied).toBe(true);

      let gaveUp = false;
      queue.take(10);
      void queue.empty(1_000).then(() => (gaveUp = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(gaveUp).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(gaveUp).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
