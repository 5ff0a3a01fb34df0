// Sharded pub/sub on a Redis Cluster (options.pubsub.cluster / KRANDOG_PUBSUB_CLUSTER=1): 4
// processes behind a 3-master cluster started by the test, 1,000 topics, each process holding a
// quarter. Checked with each node's PUBSUB SHARDNUMSUB / SHARDCHANNELS: every topic's channel is
// held on the shard that owns its slot, by the one process that has subscribers, and the channels
// spread over all three shards; every message arrives exactly once, and each publisher's messages
// to a topic in the order published, from its first publish on.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topicChannel } from '../../../runtime/pubsub/channels.ts';
import { within } from '../../helpers/within.ts';
import { call, killAll, startTrackedKrandog, Subscriber, waitUntilConnected } from '../../helpers/pubsub-processes.ts';
import { clusterUnavailableReason, RedisCluster } from '../../helpers/redis-cluster.ts';

const skip = clusterUnavailableReason() !== undefined;
afterEach(killAll);

describe.skipIf(skip)('a Redis Cluster (sharded pub/sub)', () => {
  let cluster: RedisCluster;
  /** A plain client per node: PUBSUB SHARD* answers for that node's own shard. */
  let nodes: Redis[];
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    nodes = await Promise.all(
      cluster.ports.map(async (port) => {
        const node = new Redis(port, '127.0.0.1', { lazyConnect: true });
        await node.connect();
        return node;
      }),
    );
  }, 60_000);
  afterAll(async () => {
    for (const node of nodes ?? []) node.disconnect();
    await cluster?.kill();
  });

  /** The sharded channels under `prefix` each node holds. */
  const shardChannels = (prefix: string): Promise<string[][]> =>
    Promise.all(nodes.map(async (node) => ((await node.call('PUBSUB', 'SHARDCHANNELS', `${prefix}:*`)) as string[]).sort()));

  /** Subscribers of each channel, over all nodes (a node counts only its own shard's). */
  async function shardNumsub(channels: string[]): Promise<number[]> {
    const totals = channels.map(() => 0);
    for (const node of nodes) {
      for (let i = 0; i < channels.length; i += 500) {
        const reply = (await node.call('PUBSUB', 'SHARDNUMSUB', ...channels.slice(i, i + 500))) as (string | number)[];
        for (let j = 1; j < reply.length; j += 2) totals[i + (j - 1) / 2] += Number(reply[j]);
      }
    }
    return totals;
  }

  it('4 processes × 1,000 topics: each channel on its shard, held by its one process; every message exactly once, in order per publisher and topic', async () => {
    const prefix = `test-${randomUUID()}`;
    const TOPICS = 1_000;
    const PROCESSES = 4;
    const ROUNDS = 2;
    const quarter = TOPICS / PROCESSES;
    const env = { KRANDOG_PUBSUB: cluster.url, KRANDOG_PUBSUB_CLUSTER: '1', PUBSUB_CHANNEL: prefix };
    const servers = await Promise.all(
      Array.from({ length: PROCESSES }, async () => {
        const run = startTrackedKrandog(['test/fixtures/pubsub/many-topics-server.js'], env);
        const [match] = await run.waitFor(/Server listening on http:\/\/localhost:(\d+)/g);
        const port = Number(match[1]);
        await waitUntilConnected(port);
        return { port, stderr: run.stderr };
      }),
    );
    expect(await call(servers[0].port, '/status')).toMatchObject({ pubsub: { backplane: 'redis', connected: true } });
    expect((await shardChannels(prefix)).flat()).toEqual([]);

    const clients = await Promise.all(servers.map((server, k) => Subscriber.connect(server.port, `range:${k * quarter}-${(k + 1) * quarter}`)));
    const channels = Array.from({ length: TOPICS }, (_, t) => topicChannel(prefix, `t${t}`));
    let counts: number[] = [];
    const poll = async (): Promise<void> => {
      while ((counts = await shardNumsub(channels)).some((count) => count !== 1)) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await within(poll(), 15_000, `not every channel got exactly one subscriber: ${counts.filter((count) => count !== 1).length} off`);
    // Held on the shard that owns each slot, and spread over all three.
    const perNode = await shardChannels(prefix);
    expect(perNode.flat().sort()).toEqual([...channels].sort());
    for (const held of perNode) expect(held.length).toBeGreaterThan(TOPICS / 10);

    await Promise.all(servers.map((server, k) => call(server.port, `/publish?from=0&to=${TOPICS}&count=${ROUNDS}&tag=p${k}`, 'POST')));
    await Promise.all(servers.map((server, k) => call(server.port, `/publish?from=0&to=${TOPICS}&count=1&tag=end${k}`, 'POST')));
    const perClient = quarter * PROCESSES * (ROUNDS + 1);
    // Every publisher's three messages per topic, each once: a duplicate or a loss shows in the count
    // and in the sorted sequence below.
    await Promise.all(clients.map((subscriber) => subscriber.received(perClient)));
    clients.forEach((subscriber, k) => {
      expect(subscriber.messages).toHaveLength(perClient);
      const byStream = new Map<string, string[]>();
      for (const message of subscriber.messages) {
        const [topic, tag, i] = message.split(' ');
        const stream = `${topic} ${tag.replace(/^end/, 'p')}`;
        byStream.set(stream, [...(byStream.get(stream) ?? []), tag.startsWith('end') ? 'end' : i]);
      }
      expect(byStream.size).toBe(quarter * PROCESSES);
      for (const [stream, sequence] of byStream) {
        const topic = Number(stream.split(' ')[0].slice(1));
        expect(topic >= k * quarter && topic < (k + 1) * quarter, stream).toBe(true);
        // Exactly once, in the order published.
        expect(sequence, stream).toEqual(['0', '1', 'end']);
      }
    });

    // The last subscriber gone: the process leaves the topics' channels on every shard.
    await clients[0].close();
    const firstQuarter = channels.slice(0, quarter);
    const gone = async (): Promise<void> => {
      while ((await shardNumsub(firstQuarter)).some((count) => count !== 0)) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await within(gone(), 10_000, 'the first quarter of the channels was never left');
    expect((await shardChannels(prefix)).flat()).toHaveLength(TOPICS - quarter);
    for (const server of servers) expect(server.stderr()).toBe('');
  }, 60_000);

  it("one publisher's messages keep their order per topic, from its first publish on (2,000 in a burst)", async () => {
    const prefix = `test-${randomUUID()}`;
    const TOPICS = 10;
    const PER_TOPIC = 200;
    const env = { KRANDOG_PUBSUB: cluster.url, KRANDOG_PUBSUB_CLUSTER: '1', PUBSUB_CHANNEL: prefix };
    const start = async (): Promise<{ port: number; stderr: () => string }> => {
      const run = startTrackedKrandog(['test/fixtures/pubsub/many-topics-server.js'], env);
      const [match] = await run.waitFor(/Server listening on http:\/\/localhost:(\d+)/g);
      return { port: Number(match[1]), stderr: run.stderr };
    };
    // The subscriber's process holds every topic's channel before the publisher starts.
    const receiver = await start();
    await waitUntilConnected(receiver.port);
    const subscriber = await Subscriber.connect(receiver.port, `range:0-${TOPICS}`);
    const channels = Array.from({ length: TOPICS }, (_, t) => topicChannel(prefix, `t${t}`));
    const held = async (): Promise<void> => {
      while ((await shardNumsub(channels)).some((count) => count !== 1)) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await within(held(), 15_000, 'the receiving process never held every channel');
    // The topics' channels live on more than one shard: one publisher writes to several nodes.
    expect((await shardChannels(prefix)).filter((channels) => channels.length > 0).length).toBeGreaterThan(1);

    // A fresh publisher, publishing the moment its backplane says it is connected: its connections
    // to the shards' nodes are still being opened.
    const publisher = await start();
    await waitUntilConnected(publisher.port);
    expect(await call(publisher.port, `/publish?from=0&to=${TOPICS}&count=${PER_TOPIC}&tag=p`, 'POST')).toEqual({ published: TOPICS * PER_TOPIC });
    await subscriber.received(TOPICS * PER_TOPIC);
    const byTopic = new Map<string, number[]>();
    for (const message of subscriber.messages) {
      const [topic, , i] = message.split(' ');
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), Number(i)]);
    }
    // Each topic's messages exactly once each, in the order published.
    const expected = Array.from({ length: PER_TOPIC }, (_, i) => i);
    for (let t = 0; t < TOPICS; t++) expect(byTopic.get(`t${t}`), `t${t}`).toEqual(expected);
    expect(subscriber.messages).toHaveLength(TOPICS * PER_TOPIC);
    expect(publisher.stderr()).toBe('');
    expect(receiver.stderr()).toBe('');
  }, 60_000);
});
