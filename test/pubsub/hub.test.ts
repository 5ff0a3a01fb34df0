// The hub without sockets or processes: envelopes, the choice of backplane, delivery on the way back
// from a backplane (sender skipped, lost messages forgotten), and local delivery while it is down.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHANNEL, displayUrl, resolveBackplane, type Backplane, type EnvelopeListener } from '../../runtime/pubsub/backplane.ts';
import { decodeEnvelope, encodeEnvelope, MAX_TOPIC_BYTES, newOrigin } from '../../runtime/pubsub/envelope.ts';
import { PubSubHub } from '../../runtime/pubsub/hub.ts';
import { reconnectDelay } from '../../runtime/pubsub/redis-backplane.ts';
import type { ServerWebSocket } from '../../runtime/ws/server-socket.ts';
import { TopicRegistry } from '../../runtime/ws/topics.ts';
import { decodeFrames } from '../helpers/frames.ts';

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
  it('takes options.pubsub first, then KRANDOG_PUBSUB, else none', () => {
    expect(resolveBackplane(undefined, noWorker)).toEqual({ kind: 'none' });
    expect(resolveBackplane('redis://a:1', noWorker)).toEqual({ kind: 'redis', url: 'redis://a:1', channel: DEFAULT_CHANNEL });
    expect(resolveBackplane({ url: 'rediss://a:1', channel: 'c' }, noWorker)).toEqual({ kind: 'redis', url: 'rediss://a:1', channel: 'c' });
    expect(resolveBackplane(undefined, { KRANDOG_PUBSUB: 'redis://env:2' })).toEqual({ kind: 'redis', url: 'redis://env:2', channel: DEFAULT_CHANNEL });
    expect(resolveBackplane({ channel: 'mine' }, { KRANDOG_PUBSUB: 'redis://env:2' })).toMatchObject({ url: 'redis://env:2', channel: 'mine' });
    expect(resolveBackplane(false, { KRANDOG_PUBSUB: 'redis://env:2' })).toEqual({ kind: 'none' });
    expect(resolveBackplane(undefined, { KRANDOG_PUBSUB: '' })).toEqual({ kind: 'none' });
  });

  it('uses the cluster primary in a worker of krandog --workers', () => {
    const send = process.send;
    try {
      process.send = () => true;
      expect(resolveBackplane({ channel: 'c' }, { KRANDOG_WORKER: '1' })).toEqual({ kind: 'cluster', channel: 'c' });
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

/** A backplane the test drives: it holds what was published until the test lets it come back. */
class FakeBackplane implements Backplane {
  readonly kind = 'redis';
  connected = true;
  readonly sent: Buffer[] = [];
  readonly #onEnvelope: EnvelopeListener;

  constructor(onEnvelope: EnvelopeListener) {
    this.#onEnvelope = onEnvelope;
  }

  publish(envelope: Buffer): boolean {
    if (!this.connected) return false;
    this.sent.push(envelope);
    return true;
  }

  /** Delivers (and forgets) the sent envelopes at these indexes, in this order. */
  echo(...indexes: number[]): void {
    const envelopes = indexes.map((index) => this.sent[index]);
    for (const envelope of envelopes) this.#onEnvelope(envelope);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function hubWithFakeBackplane(): { hub: PubSubHub; backplane: FakeBackplane; registry: TopicRegistry } {
  const registry = new TopicRegistry(() => undefined);
  let backplane!: FakeBackplane;
  const hub = new PubSubHub(registry, (onEnvelope) => (backplane = new FakeBackplane(onEnvelope)));
  return { hub, backplane, registry };
}

describe('the hub with a backplane', () => {
  it('delivers nothing at publish time, and everything when it comes back, sender skipped', () => {
    const { hub, backplane, registry } = hubWithFakeBackplane();
    const [a, b] = [fakeSocket('a'), fakeSocket('b')];
    registry.subscribe(a, 't');
    registry.subscribe(b, 't');
    expect(hub.publish('t', 'from a', a)).toBe(6);
    expect(hub.publish('t', 'from server', undefined)).toBe(11);
    expect([a.frames, b.frames]).toEqual([[], []]);
    backplane.echo(0, 1);
    expect(messagesOf(a)).toEqual(['from server']);
    expect(messagesOf(b)).toEqual(['from a', 'from server']);
    expect(hub.status).toEqual({ backplane: 'redis', connected: true });
  });

  it('forgets the senders of messages lost on the way, and never skips the wrong socket', () => {
    const { hub, backplane, registry } = hubWithFakeBackplane();
    const [a, b] = [fakeSocket('a'), fakeSocket('b')];
    registry.subscribe(a, 't');
    registry.subscribe(b, 't');
    hub.publish('t', 'lost', a);
    hub.publish('t', 'also lost', b);
    hub.publish('t', 'from b', b);
    hub.publish('t', 'from a', a);
    backplane.echo(2, 3);
    expect(messagesOf(a)).toEqual(['from b']);
    expect(messagesOf(b)).toEqual(['from a']);
  });

  it('delivers messages of other origins to everyone, ignores foreign bytes and text that is not UTF-8', () => {
    const { backplane, registry } = hubWithFakeBackplane();
    const a = fakeSocket('a');
    registry.subscribe(a, 't');
    const other = newOrigin();
    const onEnvelope = (envelope: Buffer): void => {
      backplane.sent.push(envelope);
      backplane.echo(backplane.sent.length - 1);
    };
    onEnvelope(encodeEnvelope(other, 1, 't', 'from elsewhere', true));
    onEnvelope(Buffer.from('not an envelope'));
    onEnvelope(encodeEnvelope(other, 2, 't', Uint8Array.from([0xff, 0xfe]), true));
    onEnvelope(encodeEnvelope(other, 3, 'u', 'other topic', true));
    expect(messagesOf(a)).toEqual(['from elsewhere']);
  });

  it('delivers at once to local subscribers while the backplane is down', () => {
    const { hub, backplane, registry } = hubWithFakeBackplane();
    const [a, b] = [fakeSocket('a'), fakeSocket('b')];
    registry.subscribe(a, 't');
    registry.subscribe(b, 't');
    backplane.connected = false;
    expect(hub.publish('t', 'local only', a)).toBe(10);
    expect(backplane.sent).toEqual([]);
    expect([messagesOf(a), messagesOf(b)]).toEqual([[], ['local only']]);
    expect(hub.publish('nobody', 'x', undefined)).toBe(0);
  });
});
