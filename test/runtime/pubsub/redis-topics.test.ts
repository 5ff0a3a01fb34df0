// Per-topic Redis subscriptions, checked with Redis's own introspection (PUBSUB NUMSUB / CHANNELS):
// a process holds a topic's channel exactly while it has a subscriber of the topic, and 4 processes
// each holding a quarter of 1,000 topics get every message exactly once, in order per publisher.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topicChannel } from '../../../runtime/pubsub/channels.ts';
import { call, killAll, startTrackedKrandog, Subscriber, waitUntilConnected } from '../../helpers/pubsub-processes.ts';
import { channelsOn, connectTo, numsubOn, RedisServer, redisUnavailableReason, sharedRedis, untilNumsubOn } from '../../helpers/redis-server.ts';

const skip = redisUnavailableReason() !== undefined;
afterEach(killAll);

const fixture = 'test/fixtures/pubsub/many-topics-server.js';

async function startServer(prefix: string, url: string): Promise<{ port: number; stderr(): string }> {
  const run = startTrackedKrandog([fixture], { KRANDOG_PUBSUB: url, PUBSUB_CHANNEL: prefix });
  const [match] = await run.waitFor(/Server listening on http:\/\/localhost:(\d+)/g);
  const port = Number(match[1]);
  await waitUntilConnected(port);
  return { port, stderr: run.stderr };
}

describe.skipIf(skip)('per-topic Redis subscriptions', () => {
  let redis: { url: string; stop(): Promise<void> };
  let client: Redis;
  beforeAll(async () => {
    redis = await sharedRedis();
    client = await connectTo(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  /** How many connections subscribe to each channel (PUBSUB NUMSUB). */
  function numsub(channels: string[]): Promise<number[]> {
    return numsubOn(client, channels);
  }

  function untilNumsub(channels: string[], expected: number[] | number): Promise<void> {
    return untilNumsubOn(client, channels, expected);
  }

  const channelsOf = (prefix: string): Promise<string[]> => channelsOn(client, prefix);

  it('holds a topic channel exactly while the process has a subscriber of it', async () => {
    const prefix = `test-${randomUUID()}`;
    const [a, b] = await Promise.all([startServer(prefix, redis.url), startServer(prefix, redis.url)]);
    // Connected, with no subscriber: neither process holds any channel.
    expect(await channelsOf(prefix)).toEqual([]);

    const oddTopic = 'room {1} 100% é\u{1F600}:/x';
    const news = topicChannel(prefix, 'news');
    const odd = topicChannel(prefix, oddTopic);
    expect(odd).toBe(`${prefix}:room%20%7B1%7D%20100%25%20%C3%A9%F0%9F%98%80:/x`);
    const newsOnA = await Subscriber.connect(a.port, 'news');
    await untilNumsub([news], 1);
    // Only a holds 'news': b, which has no subscriber, is not subscribed to it.
    expect(await channelsOf(prefix)).toEqual([news]);

    // b publishes to a topic it does not hold: a gets it through Redis.
    await call(b.port, '/publish?topic=news&tag=b', 'POST');
    await newsOnA.received(1);
    expect(newsOnA.messages).toEqual(['news b 0']);

    // A second subscriber in a adds no subscription; one in b does.
    const moreNewsOnA = await Subscriber.connect(a.port, 'news');
    const oddOnB = await Subscriber.connect(b.port, oddTopic);
    await untilNumsub([news, odd], [1, 1]);
    const newsOnB = await Subscriber.connect(b.port, 'news');
    await untilNumsub([news, odd], [2, 1]);
    await call(a.port, `/publish?topic=${encodeURIComponent(oddTopic)}&tag=a`, 'POST');
    await oddOnB.received(1);
    expect(oddOnB.messages).toEqual([`${oddTopic} a 0`]);

    // The channel goes when the process's last subscriber of the topic goes, not before.
    await newsOnA.close();
    await call(b.port, '/publish?topic=news&tag=b2', 'POST');
    await moreNewsOnA.received(1);
    expect(await numsub([news])).toEqual([2]);
    await moreNewsOnA.close();
    await untilNumsub([news], 1);
    await Promise.all([newsOnB.close(), oddOnB.close()]);
    await untilNumsub([news, odd], 0);
    expect(await channelsOf(prefix)).toEqual([]);
    expect(a.stderr() + b.stderr()).toBe('');
  });
});

describe.skipIf(skip)('4 processes behind a Redis of their own', () => {
  let redis: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    redis = await RedisServer.start();
    client = await connectTo(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.kill();
  });

  /** How many times Redis ran `command` (INFO commandstats). */
  async function calls(command: string): Promise<number> {
    const info = await client.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  }

  it('4 processes × 1,000 topics, each holding a quarter: every message exactly once, in order per publisher', async () => {
    const prefix = `test-${randomUUID()}`;
    const TOPICS = 1_000;
    const PROCESSES = 4;
    const ROUNDS = 2;
    const quarter = TOPICS / PROCESSES;
    const servers = await Promise.all(Array.from({ length: PROCESSES }, () => startServer(prefix, redis.url)));
    expect(await calls('subscribe')).toBe(0);
    const clients = await Promise.all(servers.map((server, k) => Subscriber.connect(server.port, `range:${k * quarter}-${(k + 1) * quarter}`)));
    const channels = Array.from({ length: TOPICS }, (_, t) => topicChannel(prefix, `t${t}`));
    // One SUBSCRIBE per process (batched): each channel held by exactly one process.
    await untilNumsubOn(client, channels, 1);
    expect(await channelsOn(client, prefix)).toHaveLength(TOPICS);
    // Each process joined its 250 topics in one SUBSCRIBE.
    expect(await calls('subscribe')).toBe(PROCESSES);

    // Every process publishes ROUNDS messages to every topic, then an end marker to every topic.
    await Promise.all(servers.map((server, k) => call(server.port, `/publish?from=0&to=${TOPICS}&count=${ROUNDS}&tag=p${k}`, 'POST')));
    await Promise.all(servers.map((server, k) => call(server.port, `/publish?from=0&to=${TOPICS}&count=1&tag=end${k}`, 'POST')));
    const perClient = quarter * PROCESSES * (ROUNDS + 1);
    // Redis keeps each publisher's order: a duplicate would come before that publisher's end
    // marker, and so would show below as a stream out of order or one without its end.
    await Promise.all(clients.map((subscriber) => subscriber.received(perClient)));

    clients.forEach((subscriber, k) => {
      expect(subscriber.messages).toHaveLength(perClient);
      const byStream = new Map<string, string[]>();
      for (const message of subscriber.messages) {
        const [topic, tag, i] = message.split(' ');
        const stream = `${topic} ${tag.replace(/^end/, 'p')}`;
        byStream.set(stream, [...(byStream.get(stream) ?? []), tag.startsWith('end') ? 'end' : i]);
      }
      // One stream per (own topic, publisher), each in order and complete.
      expect(byStream.size).toBe(quarter * PROCESSES);
      for (const [stream, sequence] of byStream) {
        const topic = Number(stream.split(' ')[0].slice(1));
        expect(topic >= k * quarter && topic < (k + 1) * quarter, stream).toBe(true);
        expect(sequence, stream).toEqual(['0', '1', 'end']);
      }
    });
    for (const server of servers) expect(server.stderr()).toBe('');
  }, 60_000);
});
