// The pieces of per-topic subscriptions: a channel name per topic, one per topic string; the set of
// held channels, whose changes go out batched per turn of the event loop and all again on a new
// connection; and the registry that reports a topic's first and last local subscriber.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { topicChannel } from '../../../runtime/pubsub/channels.ts';
import { clusterSlot } from '../../../runtime/pubsub/cluster-slot.ts';
import { WatchedTopicRegistry } from '../../../runtime/pubsub/hub.ts';
import { TopicSubscriptions, type SubscriptionCommands } from '../../../runtime/pubsub/subscriptions.ts';
import type { Subscriber } from '../../../runtime/pubsub/topics.ts';

describe('topicChannel', () => {
  it('keeps common topics readable and escapes the rest, one channel per topic string', () => {
    expect(topicChannel('app', 'room:42/chat-en_GB.v1')).toBe('app:room:42/chat-en_GB.v1');
    expect(topicChannel('app', 'a b{c}%')).toBe('app:a%20b%7Bc%7D%25');
    expect(topicChannel('app', 'é')).toBe('app:%C3%A9');
    expect(topicChannel('app', '')).toBe('app:');
    // Lone surrogates (which UTF-8 turns into U+FFFD) keep channels of their own.
    const topics = ['\uD800', '\uDC00', '\uFFFD', '%uD800', '%C3%A9', 'é', '\u{1F600}'];
    const channels = topics.map((topic) => topicChannel('app', topic));
    expect(new Set(channels).size).toBe(topics.length);
    for (const channel of channels) expect(channel).toMatch(/^[\x21-\x7e]+$/);
  });
});

describe('clusterSlot', () => {
  it('is the Redis Cluster hash slot, hash tags included', () => {
    // Values from CLUSTER KEYSLOT (and the CRC16/XMODEM check value 0x31C3 for 123456789).
    expect(clusterSlot('123456789')).toBe(0x31c3);
    expect(clusterSlot('foo')).toBe(12182);
    expect(clusterSlot('a{b}c')).toBe(clusterSlot('b'));
    expect(clusterSlot('a{b}c')).toBe(3300);
    expect(clusterSlot('{}x')).toBe(10595);
    expect(clusterSlot('krandog:pubsub:t1')).toBe(6560);
  });
});

/** Commands that record what would go to Redis. */
function recorder(): SubscriptionCommands & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    subscribe: async (channels) => log.push(`SUBSCRIBE ${channels.join(' ')}`),
    unsubscribe: async (channels) => log.push(`UNSUBSCRIBE ${channels.join(' ')}`),
  };
}

describe('TopicSubscriptions', () => {
  it('sends the changes of one turn in one command each, and nothing for a topic left and joined again', async () => {
    const subscriptions = new TopicSubscriptions('p', (error) => expect.unreachable(error.message));
    const commands = recorder();
    await subscriptions.attach(commands);
    expect(commands.log).toEqual([]);
    for (let t = 0; t < 3; t++) subscriptions.hold(`t${t}`);
    expect(commands.log).toEqual([]);
    await nextTurn();
    expect(commands.log).toEqual(['SUBSCRIBE p:t0 p:t1 p:t2']);
    subscriptions.release('t0');
    subscriptions.release('t1');
    subscriptions.hold('t1');
    subscriptions.hold('t3');
    await nextTurn();
    expect(commands.log.slice(1)).toEqual(['UNSUBSCRIBE p:t0', 'SUBSCRIBE p:t3']);
    expect(subscriptions.topicOf('p:t1')).toBe('t1');
    expect(subscriptions.topicOf('p:t0')).toBeUndefined();
  });

  it('subscribes a new connection to every held topic; nothing is sent while detached', async () => {
    const subscriptions = new TopicSubscriptions('p', () => {});
    subscriptions.hold('a');
    subscriptions.hold('b');
    const first = recorder();
    await subscriptions.attach(first);
    expect(first.log).toEqual(['SUBSCRIBE p:a p:b']);
    subscriptions.detach();
    subscriptions.release('a');
    subscriptions.hold('c');
    await nextTurn();
    expect(first.log).toHaveLength(1);
    const second = recorder();
    await subscriptions.attach(second);
    expect(second.log).toEqual(['SUBSCRIBE p:b p:c']);
  });

  it('splits a huge batch into commands of at most 1,000 channels', async () => {
    const subscriptions = new TopicSubscriptions('p', () => {});
    for (let t = 0; t < 2_500; t++) subscriptions.hold(`t${t}`);
    const commands = recorder();
    await subscriptions.attach(commands);
    expect(commands.log.map((line) => line.split(' ').length - 1)).toEqual([1_000, 1_000, 500]);
  });
});

describe('WatchedTopicRegistry', () => {
  it("reports a topic's first subscriber and its last one, however it leaves", () => {
    const events: string[] = [];
    const registry = new WatchedTopicRegistry(() => undefined, (topic, held) => events.push(`${held ? '+' : '-'}${topic}`));
    const [a, b] = [{}, {}] as unknown as Subscriber[];
    registry.subscribe(a, 'x');
    registry.subscribe(b, 'x');
    registry.subscribe(a, 'x');
    registry.subscribe(a, 'y');
    expect(events).toEqual(['+x', '+y']);
    registry.unsubscribe(a, 'x');
    registry.unsubscribe(a, 'x');
    expect(events).toEqual(['+x', '+y']);
    registry.removeSocket(a);
    expect(events).toEqual(['+x', '+y', '-y']);
    registry.unsubscribe(b, 'x');
    expect(events).toEqual(['+x', '+y', '-y', '-x']);
  });
});
