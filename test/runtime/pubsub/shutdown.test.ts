// server.publish() just before server.close(): the closing process's subscribers get every message
// before their close 1001, and the other processes' subscribers get them too, through Redis and
// through the primary of `krandog --workers`. The fixture exits as soon as close() settles, as a
// signal's shutdown does, so what the backplane has not sent by then is lost.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clientsOnWorkers, killAll, startTopicServer, Subscriber, waitUntilConnected } from '../../helpers/pubsub-processes.ts';
import { redisUnavailableReason, sharedRedis, untilSubscribed } from '../../helpers/redis-server.ts';
import { topicChannel } from '../../../runtime/pubsub/channels.ts';

afterEach(killAll);

const COUNT = 1_000;
const expected = Array.from({ length: COUNT }, (_, i) => `last:${i}`);

const closeCode = (subscriber: Subscriber): Promise<number> => new Promise((resolve) => subscriber.socket.once('close', resolve));

/** Has `control` publish COUNT messages and close its server; checks what everyone got. */
async function publishAndClose(control: Subscriber, closing: Subscriber[], elsewhere: Subscriber[]): Promise<void> {
  const closes = [control, ...closing].map(closeCode);
  control.send(`publish-and-close last ${COUNT}`);
  expect(await Promise.all(closes)).toEqual(closes.map(() => 1001));
  for (const subscriber of [control, ...closing]) expect(subscriber.messages).toEqual(expected);
  await Promise.all(elsewhere.map((subscriber) => subscriber.received(COUNT)));
  for (const subscriber of elsewhere) expect(subscriber.messages).toEqual(expected);
}

describe.skipIf(redisUnavailableReason() !== undefined)('publish just before close, with Redis', () => {
  let redis: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(() => redis?.stop());

  it('reaches the subscribers of both processes', async () => {
    const env = { KRANDOG_PUBSUB: redis.url, PUBSUB_CHANNEL: `test-${randomUUID()}` };
    const [a, b] = await Promise.all([startTopicServer(env), startTopicServer(env)]);
    await Promise.all([waitUntilConnected(a.port), waitUntilConnected(b.port)]);
    const [control, onA, onB] = await Promise.all([Subscriber.connect(a.port, 'chat', {}, true), Subscriber.connect(a.port), Subscriber.connect(b.port)]);
    // Both processes hold the topic's channel before the first publish (a subscription takes a
    // round trip to Redis; what is published before it reaches only the publisher's process).
    await untilSubscribed(redis.url, [topicChannel(env.PUBSUB_CHANNEL, 'chat')], 2);
    await publishAndClose(control, [onA], [onB]);
    expect(await a.exited).toBe(0);
    expect(a.stderr() + b.stderr()).toBe('');
  });
});

describe('publish just before close, under krandog --workers 2', () => {
  it('reaches the subscribers of both workers', async () => {
    const run = await startTopicServer({}, ['--workers', '2']);
    await run.waitFor(/Server listening/g, 2);
    const clients = await clientsOnWorkers(run.port, 2);
    const closingPid = clients[0].pid;
    // Connections go round the workers: a few tries land a control socket on the first one.
    let control: Subscriber | undefined;
    const extra: Subscriber[] = [];
    while (control === undefined) {
      if (extra.length >= 20) throw new Error(`20 control sockets missed worker ${closingPid}`);
      const candidate = await Subscriber.connect(run.port, 'chat', {}, true);
      if (candidate.pid === closingPid) control = candidate;
      else extra.push(candidate);
    }
    const onClosing = clients.filter((client) => client.pid === closingPid);
    const elsewhere = [...clients.filter((client) => client.pid !== closingPid), ...extra];
    await publishAndClose(control, onClosing, elsewhere);
    expect(run.child.exitCode).toBe(null);
    expect(run.stderr()).toBe('');
  });
});
