// `krandog --workers N`: worker processes share one port, publish crosses workers through the
// primary (or Redis), a killed worker is replaced, and SIGTERM stops everything gracefully.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../helpers/krandog-cli.ts';
import { call, clientsOnWorkers, killAll, queuedBytes, startTrackedKrandog, startTopicServer, Subscriber } from '../../helpers/pubsub-processes.ts';
import { redisUnavailableReason, sharedRedis, untilSubscribed } from '../../helpers/redis-server.ts';
import { topicChannel } from '../../../runtime/pubsub/channels.ts';

afterEach(killAll);

describe('krandog --workers 2', () => {
  it('serves WebSockets from two processes on one port, and publish reaches subscribers on both', async () => {
    const run = await startTopicServer({}, ['--workers', '2']);
    const listening = await run.waitFor(/Server listening on http:\/\/localhost:(\d+)/g, 2);
    expect(listening.map((match) => Number(match[1]))).toEqual([run.port, run.port]);
    const clients = await clientsOnWorkers(run.port, 2);
    const pids = [...new Set(clients.map((client) => client.pid))];
    expect(pids).toHaveLength(2);
    expect(pids).not.toContain(run.child.pid);
    expect((await call(run.port, '/status')).pubsub).toEqual({ backplane: 'cluster', connected: true, dropped: 0 });

    // ws.publish from a client of one worker: every other client, on either worker, gets it once.
    const [sender, ...others] = clients;
    for (let i = 0; i < 100; i++) sender.send(`from ${sender.pid}: ${i}`);
    await Promise.all(others.map((client) => client.received(100)));
    const expected = Array.from({ length: 100 }, (_, i) => `from ${sender.pid}: ${i}`);
    for (const client of others) expect(client.messages).toEqual(expected);
    // server.publish in the other worker reaches the sender too.
    const other = others.find((client) => client.pid !== sender.pid)!;
    other.send('to everyone else');
    await sender.received(1);
    expect(sender.messages).toEqual(['to everyone else']);
    expect(run.stderr()).toBe('');
  });

  it('replaces a worker killed with SIGKILL, and SIGTERM stops all gracefully with exit code 0', async () => {
    const run = await startTopicServer({}, ['--workers', '2']);
    await run.waitFor(/Server listening/g, 2);
    const clients = await clientsOnWorkers(run.port, 2);
    const victim = clients[0].pid;
    const victimClients = clients.filter((client) => client.pid === victim);
    const survivors = clients.filter((client) => client.pid !== victim);

    const victimsClosed = Promise.all(victimClients.map((client) => new Promise((resolve) => client.socket.once('close', resolve))));
    process.kill(victim, 'SIGKILL');
    await run.waitFor(new RegExp(`worker \\d \\(pid ${victim}\\) was killed by SIGKILL; restarting it in \\d+ ms`, 'g'), 1, 'stderr');
    await run.waitFor(/Server listening/g, 3);
    const replacement = (await clientsOnWorkers(run.port, 2)).map((client) => client.pid);
    expect(replacement).not.toContain(victim);
    expect(new Set(replacement).size).toBe(2);
    expect(isAlive(run.child.pid!)).toBe(true);
    // Their connections died with the worker (1006: no close frame).
    expect(await victimsClosed).toEqual(victimClients.map(() => 1006));

    // SIGTERM to the primary: each worker closes its WebSockets with 1001 and exits; krandog exits 0.
    const closes = survivors.map((client) => new Promise<number>((resolve) => client.socket.once('close', resolve)));
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(await Promise.all(closes)).toEqual(survivors.map(() => 1001));
  });

  it("stops gracefully on a terminal's Ctrl-C, which sends SIGINT to the primary and every worker", async () => {
    const run = await startTopicServer({}, ['--workers', '2'], true);
    await run.waitFor(/Server listening/g, 2);
    const clients = await clientsOnWorkers(run.port, 2);
    const closes = clients.map((client) => new Promise<number>((resolve) => client.socket.once('close', resolve)));
    // Responses in progress on both workers (each call is a new connection: they go round the workers).
    const slow = [call<{ pid: number }>(run.port, '/slow?ms=1000'), call<{ pid: number }>(run.port, '/slow?ms=1000')];
    await run.waitFor(/slow request in \d+/g, 2);
    // The primary forwards SIGTERM to workers that are already closing: that must not cut them short.
    process.kill(-run.child.pid!, 'SIGINT');
    expect(new Set((await Promise.all(slow)).map((answer) => answer.pid)).size).toBe(2);
    expect(await run.exited).toBe(0);
    expect(await Promise.all(closes)).toEqual(clients.map(() => 1001));
  });

  it('bounds what waits for a primary that does not read (SIGSTOP), and sends it on when it reads again', async () => {
    const QUEUE_LIMIT = 200_000;
    const run = await startTopicServer({ PUBSUB_QUEUE_LIMIT: String(QUEUE_LIMIT) }, ['--workers', '2']);
    await run.waitFor(/Server listening/g, 2);
    const [first, ...rest] = await clientsOnWorkers(run.port, 2);
    const other = rest.find((client) => client.pid !== first.pid)!;
    let control: Subscriber | undefined;
    while (control === undefined) {
      const candidate = await Subscriber.connect(run.port, 'chat', {}, true);
      if (candidate.pid === first.pid) control = candidate;
    }
    const COUNT = 20_000;
    process.kill(run.child.pid!, 'SIGSTOP');
    try {
      control.send(`publish during ${COUNT}`);
      control.send('status');
      // The worker's own subscribers get everything, the primary or not.
      await control.receivedMatch(/^\{/);
      const status = JSON.parse(control.messages.at(-1)!) as { pubsub: { connected: boolean; dropped: number } };
      expect(control.messages.slice(0, -1)).toEqual(Array.from({ length: COUNT }, (_, i) => `during:${i}`));
      // One loop, so no write has been seen through yet: the first messages that fit in queueLimit wait, the rest stay here.
      const queued = COUNT - status.pubsub.dropped;
      expect(status.pubsub.connected).toBe(true);
      expect(queuedBytes('during', queued)).toBeLessThanOrEqual(QUEUE_LIMIT);
      expect(queuedBytes('during', queued + 1)).toBeGreaterThan(QUEUE_LIMIT);
      await run.waitFor(/the cluster primary is not keeping up/g, 1, 'stderr');
      process.kill(run.child.pid!, 'SIGCONT');
      await other.received(queued);
      expect(other.messages).toEqual(Array.from({ length: queued }, (_, i) => `during:${i}`));
    } finally {
      process.kill(run.child.pid!, 'SIGCONT');
    }
  });

  it('gives up on a script that crashes at start-up, after a few restarts with growing delays', async () => {
    const run = startTrackedKrandog(['--workers', '1', 'test/fixtures/pubsub/crash-at-start.js']);
    expect(await run.exited).toBe(1);
    const delays = [...run.stderr().matchAll(/restarting it in (\d+) ms/g)].map((match) => Number(match[1]));
    expect(delays).toEqual([100, 200, 400, 800]);
    expect(run.stderr()).toMatch(/exited with code 1, 5 times in a row within 5 s of starting; giving up/);
  });

  it('refuses a bad worker count, and --watch with --workers, as usage errors', async () => {
    for (const args of [['--workers', '0'], ['--workers', 'many'], ['--workers', '2', '--watch']]) {
      const run = startTrackedKrandog([...args, 'test/fixtures/pubsub/topic-server.js']);
      expect(await run.exited).toBe(2);
      expect(run.stderr()).toMatch(/^krandog: (--workers takes a number from 1 to 256 or 'auto'|--workers cannot be combined with --watch)/);
    }
  });
});

const redisSkip = redisUnavailableReason() !== undefined;

describe.skipIf(redisSkip)('krandog --workers 2 with KRANDOG_PUBSUB', () => {
  let redis: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    redis = await sharedRedis();
  });
  afterAll(() => redis?.stop());

  it('publishes across workers through Redis', async () => {
    const channel = `test-${randomUUID()}`;
    const run = await startTopicServer({ KRANDOG_PUBSUB: redis.url, PUBSUB_CHANNEL: channel }, ['--workers', '2']);
    await run.waitFor(/Server listening/g, 2);
    const clients = await clientsOnWorkers(run.port, 2);
    // Both workers' backplanes must be up: ask until each worker has answered connected.
    const connected = new Set<number>();
    while (connected.size < 2) {
      const status = await call<{ pid: number; pubsub: { backplane: string; connected: boolean } }>(run.port, '/status');
      expect(status.pubsub.backplane).toBe('redis');
      if (status.pubsub.connected) connected.add(status.pid);
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    // Both workers hold the topic's channel (a subscription takes a round trip to Redis).
    await untilSubscribed(redis.url, [topicChannel(channel, 'chat')], 2);
    const [sender, ...others] = clients;
    sender.send('through redis');
    await Promise.all(others.map((client) => client.received(1)));
    for (const client of others) expect(client.messages).toEqual(['through redis']);
  });
});
