// Two krandog processes behind one Redis: every subscriber, on either process, gets every message
// exactly once, each publisher's messages in order (and the subscribers of one process all in one
// order); binary messages survive; a Redis restart loses nothing published after the reconnect; and
// a Redis that stops answering holds up nothing in the publishing process.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, killAll, queuedBytes, startTopicServer, Subscriber, waitUntilConnected, type Received } from '../../helpers/pubsub-processes.ts';
import { RedisServer, redisUnavailableReason, sharedRedis, untilSubscribed } from '../../helpers/redis-server.ts';
import { DEFAULT_CHANNEL } from '../../../runtime/pubsub/backplane.ts';
import { topicChannel } from '../../../runtime/pubsub/channels.ts';

const skip = redisUnavailableReason() !== undefined;
afterEach(killAll);

/** The messages of one publisher (`<prefix>:<i>`, text or binary) in the order received. */
function fromPublisher(messages: Received[], prefix: string): number[] {
  const pattern = new RegExp(`^(?:bin:00ff:)?${prefix}:(\\d+)$`);
  return messages.flatMap((message) => {
    const match = pattern.exec(message);
    return match ? [Number(match[1])] : [];
  });
}

const upTo = (count: number): number[] => Array.from({ length: count }, (_, i) => i);

describe.skipIf(skip)('two processes behind one Redis', () => {
  let redis: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(() => redis?.stop());

  it('deliver every message to every subscriber exactly once, in order per publisher', async () => {
    const env = { KRANDOG_PUBSUB: redis.url, PUBSUB_CHANNEL: `test-${randomUUID()}` };
    const [a, b] = await Promise.all([startTopicServer(env), startTopicServer(env)]);
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    expect(await call(a.port, '/status')).toMatchObject({ pubsub: { backplane: 'redis', connected: true } });

    const listeners = await Promise.all([a.port, a.port, a.port, b.port, b.port, b.port].map((port) => Subscriber.connect(port)));
    const [talkerA, talkerB] = await Promise.all([Subscriber.connect(a.port), Subscriber.connect(b.port)]);
    expect(new Set(listeners.map((listener) => listener.pid))).toEqual(new Set([talkerA.pid, talkerB.pid]));
    // Both processes hold the topic's channel before anyone publishes.
    await untilSubscribed(redis.url, [topicChannel(env.PUBSUB_CHANNEL, 'chat')], 2);

    const PER_TALKER = 300;
    const PER_SERVER = 200;
    for (let i = 0; i < PER_TALKER; i++) {
      talkerA.send(`A:${i}`);
      talkerB.send(i % 2 === 0 ? `B:${i}` : Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.from(`B:${i}`)]));
    }
    await Promise.all([
      call(a.port, `/publish?prefix=SA&count=${PER_SERVER}`, 'POST'),
      call(b.port, `/publish?prefix=SB&count=${PER_SERVER}&binary=1`, 'POST'),
    ]);
    // Each publisher's last message marks the end of its stream: duplicates would come before it.
    const total = 2 * PER_TALKER + 2 * PER_SERVER;
    await Promise.all(listeners.map((listener) => listener.received(total)));
    await Promise.all([talkerA.received(total - PER_TALKER), talkerB.received(total - PER_TALKER)]);

    for (const listener of listeners) {
      expect(listener.messages).toHaveLength(total);
      for (const prefix of ['A', 'B', 'SA', 'SB']) {
        expect(fromPublisher(listener.messages, prefix)).toEqual(upTo(prefix.startsWith('S') ? PER_SERVER : PER_TALKER));
      }
      // Within one process every subscriber sees one order (across processes, only each publisher's).
      expect(listener.messages).toEqual(listeners.find((first) => first.pid === listener.pid)!.messages);
    }
    expect(fromPublisher(listeners[0].messages, 'SB').length).toBe(PER_SERVER);
    expect(listeners[0].messages.filter((message) => message.startsWith('bin:00ff:')).length).toBe(PER_TALKER / 2 + PER_SERVER);
    // ws.publish reaches everyone but the sender.
    expect(fromPublisher(talkerA.messages, 'A')).toEqual([]);
    expect(fromPublisher(talkerA.messages, 'B')).toEqual(upTo(PER_TALKER));
    expect(fromPublisher(talkerB.messages, 'B')).toEqual([]);
    expect(fromPublisher(talkerB.messages, 'A')).toEqual(upTo(PER_TALKER));
    expect(a.stderr() + b.stderr()).toBe('');
  });

  it('server.publish reaches subscribers of that topic only, on both processes', async () => {
    const env = { KRANDOG_PUBSUB: redis.url, PUBSUB_CHANNEL: `test-${randomUUID()}` };
    const [a, b] = await Promise.all([startTopicServer(env), startTopicServer(env)]);
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    const [newsA, newsB, sportB] = await Promise.all([
      Subscriber.connect(a.port, 'news'),
      Subscriber.connect(b.port, 'news'),
      Subscriber.connect(b.port, 'sport'),
    ]);
    await untilSubscribed(redis.url, [topicChannel(env.PUBSUB_CHANNEL, 'news'), topicChannel(env.PUBSUB_CHANNEL, 'sport')], [2, 1]);
    await call(a.port, '/publish?topic=sport&prefix=goal&count=1', 'POST');
    await call(a.port, '/publish?topic=news&prefix=headline&count=1', 'POST');
    await Promise.all([newsA.received(1), newsB.received(1), sportB.received(1)]);
    expect([newsA.messages, newsB.messages, sportB.messages]).toEqual([['headline:0'], ['headline:0'], ['goal:0']]);
  });
});

describe.skipIf(skip)('a Redis restart', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(() => redis?.kill());

  it('is reported once per process, local delivery goes on, and nothing published after the reconnect is lost', async () => {
    const env = { KRANDOG_PUBSUB: redis.url };
    const [a, b] = await Promise.all([startTopicServer(env), startTopicServer(env)]);
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    const [onA, onB] = await Promise.all([Subscriber.connect(a.port), Subscriber.connect(b.port)]);
    await untilSubscribed(redis.url, [topicChannel(DEFAULT_CHANNEL, 'chat')], 2);

    await call(a.port, '/publish?prefix=before&count=50', 'POST');
    await Promise.all([onA.received(50), onB.received(50)]);

    await redis.kill();
    await Promise.all([a, b].map((run) => run.waitFor(/lost the connection to Redis/g, 1, 'stderr')));
    expect(await call(a.port, '/status')).toMatchObject({ pubsub: { backplane: 'redis', connected: false } });
    // During the outage a process's own subscribers still get its messages, one by one.
    for (let i = 0; i < 20; i++) await call(a.port, `/publish?prefix=during&start=${i}&count=1`, 'POST');
    await onA.received(70);
    expect(fromPublisher(onA.messages, 'during')).toEqual(upTo(20));

    await redis.restart();
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    // Connected again means subscribed again: the new Redis knows nothing of the old subscriptions.
    await untilSubscribed(redis.url, [topicChannel(DEFAULT_CHANNEL, 'chat')], 2);
    await Promise.all([a, b].map((run) => run.waitFor(/Redis at \S+ is back/g, 1, 'stderr')));
    await call(a.port, '/publish?prefix=after&count=100', 'POST');
    await call(b.port, '/publish?prefix=afterB&count=100&binary=1', 'POST');
    await Promise.all([onA.received(270), onB.received(250)]);
    for (const subscriber of [onA, onB]) {
      expect(fromPublisher(subscriber.messages, 'after')).toEqual(upTo(100));
      expect(fromPublisher(subscriber.messages, 'afterB')).toEqual(upTo(100));
    }
    // One line for the outage and one for the recovery, not one per message or reconnect attempt.
    for (const run of [a, b]) {
      expect(run.stderr().match(/lost the connection to Redis/g)).toHaveLength(1);
      expect(run.stderr().match(/is back/g)).toHaveLength(1);
      expect(run.stderr().split('\n').filter(Boolean)).toHaveLength(2);
      expect(run.child.exitCode).toBe(null);
    }
  });
});

describe.skipIf(skip)('a Redis that stops answering (SIGSTOP)', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  // kill() lets a paused redis-server go first: nothing is left stopped, whatever the test did.
  afterAll(() => redis?.kill());

  it('holds up no local delivery, is reported down, keeps its queue within queueLimit, and recovers by itself', async () => {
    const QUEUE_LIMIT = 200_000;
    const env = { KRANDOG_PUBSUB: redis.url, PUBSUB_QUEUE_LIMIT: String(QUEUE_LIMIT) };
    const [a, b] = await Promise.all([startTopicServer(env), startTopicServer(env)]);
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    const [onA, onB] = await Promise.all([Subscriber.connect(a.port), Subscriber.connect(b.port)]);
    await untilSubscribed(redis.url, [topicChannel(DEFAULT_CHANNEL, 'chat')], 2);

    redis.pause();
    const COUNT = 20_000;
    expect(await call(a.port, `/publish?prefix=during&count=${COUNT}`, 'POST')).toEqual({ published: COUNT });
    // The local subscriber gets them all, without waiting for Redis.
    await onA.received(COUNT);
    expect(fromPublisher(onA.messages, 'during')).toEqual(upTo(COUNT));

    // Only the first messages that fit in queueLimit wait for Redis; the rest stay in the process.
    const { pubsub } = await call<{ pubsub: { dropped: number } }>(a.port, '/status');
    const queued = COUNT - pubsub.dropped;
    expect(queuedBytes('during', queued)).toBeLessThanOrEqual(QUEUE_LIMIT);
    expect(queuedBytes('during', queued + 1)).toBeGreaterThan(QUEUE_LIMIT);
    await a.waitFor(/Redis at \S+ is not keeping up/g, 1, 'stderr');

    // Unanswered health checks: down, in both processes, and publish stays local.
    await Promise.all([a, b].map((run) => run.waitFor(/Redis at \S+ did not answer within 2000 ms/g, 1, 'stderr')));
    expect(await call(a.port, '/status')).toMatchObject({ pubsub: { backplane: 'redis', connected: false, dropped: COUNT - queued } });
    await call(a.port, '/publish?prefix=down&count=10', 'POST');
    await onA.received(COUNT + 10);
    expect(await call(a.port, '/status')).toMatchObject({ pubsub: { dropped: COUNT - queued + 10 } });

    redis.resume();
    await Promise.all([a, b].map((run) => run.waitFor(/Redis at \S+ is back/g, 1, 'stderr')));
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    await call(a.port, '/publish?prefix=after&count=100', 'POST');
    await call(b.port, '/publish?prefix=afterB&count=100', 'POST');
    await Promise.all([onA.received(COUNT + 10 + 200), onB.received(queued + 200)]);
    // The queued messages went on once Redis answered; those published while it was down did not.
    expect(fromPublisher(onB.messages, 'during')).toEqual(upTo(queued));
    expect(fromPublisher(onB.messages, 'down')).toEqual([]);
    for (const subscriber of [onA, onB]) {
      expect(fromPublisher(subscriber.messages, 'after')).toEqual(upTo(100));
      expect(fromPublisher(subscriber.messages, 'afterB')).toEqual(upTo(100));
    }
    expect(a.stderr().split('\n').filter(Boolean)).toHaveLength(3);
    expect(b.stderr().split('\n').filter(Boolean)).toHaveLength(2);
  });
});
