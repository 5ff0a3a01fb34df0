// `krandog --workers N`, the primary's relay between workers: what it holds for a worker that does
// not read is bounded (KRANDOG_PUBSUB_RELAY_LIMIT), and a worker whose primary stops answering
// reports it down (health check, `pubsub.timeout`), keeps its messages to itself, and reports it back.
import { afterEach, describe, expect, it } from 'vitest';
import { clientsOnWorkers, killAll, startTrackedKrandog, startTopicServer, Subscriber, topicServer } from '../../helpers/pubsub-processes.ts';

afterEach(killAll);

/** A control socket (the fixture's commands) on the worker with `pid`. */
async function controlOn(port: number, pid: number): Promise<Subscriber> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const candidate = await Subscriber.connect(port, 'chat', {}, true);
    if (candidate.pid === pid) return candidate;
    await candidate.close();
  }
  throw new Error(`no connection reached worker ${pid}`);
}

/** Sends `status` on a control socket and waits for the answer. */
async function status(control: Subscriber): Promise<{ pubsub: { backplane: string; connected: boolean; dropped: number } }> {
  const answers = (): string[] => control.messages.filter((message) => message.startsWith('{'));
  const before = answers().length;
  control.send('status');
  while (answers().length === before) await control.received(control.messages.length + 1);
  return JSON.parse(answers()[before]) as { pubsub: { backplane: string; connected: boolean; dropped: number } };
}

describe('krandog --workers: the relay', () => {
  it('holds at most KRANDOG_PUBSUB_RELAY_LIMIT bytes for a worker that does not read; it misses the rest, then gets messages again', async () => {
    const LIMIT = 8 * 1024 * 1024;
    // A long health-check timeout: on a loaded machine the busy primary must not be taken for down here.
    const run = await startTopicServer({ KRANDOG_PUBSUB_RELAY_LIMIT: String(LIMIT), PUBSUB_TIMEOUT: '60000' }, ['--workers', '2']);
    await run.waitFor(/Server listening/g, 2);
    const clients = await clientsOnWorkers(run.port, 2);
    const slow = clients[0];
    const publisher = clients.find((client) => client.pid !== slow.pid)!;
    const control = await controlOn(run.port, publisher.pid);
    // 300 messages of 64 KiB: 19 MiB, more than the limit and what the kernel and Node buffer for a pipe.
    const COUNT = 300;
    const padding = 'x'.repeat(64 * 1024);
    const index = (message: string): number => Number(message.slice('during:'.length, message.indexOf(' ')));
    process.kill(slow.pid, 'SIGSTOP');
    try {
      for (let i = 0; i < COUNT; i++) publisher.send(`during:${i} ${padding}`);
      // The line comes with the first message the primary did not relay.
      await run.waitFor(new RegExp(`worker \\d \\(pid ${slow.pid}\\) is not keeping up \\(${LIMIT} bytes of messages wait for it\\); messages published until it catches up are not relayed to it\n`, 'g'), 1, 'stderr');
    } finally {
      process.kill(slow.pid, 'SIGCONT');
    }
    // Once it has read what was held, messages reach it again.
    while (!slow.messages.includes('after:0')) {
      control.send('publish after 1');
      await Promise.race([slow.receivedMatch(/^after:0$/), new Promise((resolve) => setTimeout(resolve, 100))]);
    }
    const during = slow.messages.filter((message) => message.startsWith('during:')).map(index);
    // What was held arrived, in order; the messages that did not fit never did.
    expect(during.slice(0, 3)).toEqual([0, 1, 2]);
    expect(during.length).toBeLessThan(COUNT);
    expect(during.every((value, i) => i === 0 || value > during[i - 1])).toBe(true);
    // The publishing worker's backplane lost nothing to the primary.
    expect((await status(control)).pubsub.dropped).toBe(0);
  });

  it('a worker whose primary stops answering (SIGSTOP) reports it down, publishes locally only, and reports it back', async () => {
    const run = await startTopicServer({ PUBSUB_TIMEOUT: '500' }, ['--workers', '2']);
    await run.waitFor(/Server listening/g, 2);
    const clients = await clientsOnWorkers(run.port, 2);
    const local = clients[0];
    const remote = clients.find((client) => client.pid !== local.pid)!;
    const control = await controlOn(run.port, local.pid);
    process.kill(run.child.pid!, 'SIGSTOP');
    try {
      // Both workers say so, once each.
      await run.waitFor(/krandog: pub\/sub: the cluster primary did not answer within 500 ms; publishing to this process's subscribers only until it does\n/g, 2, 'stderr');
      control.send('publish down 10');
      const down = await status(control);
      expect(down.pubsub).toEqual({ backplane: 'cluster', connected: false, dropped: 10 });
      await local.received(10);
      expect(local.messages).toEqual(Array.from({ length: 10 }, (_, i) => `down:${i}`));
    } finally {
      process.kill(run.child.pid!, 'SIGCONT');
    }
    await run.waitFor(/krandog: pub\/sub: the cluster primary is back; publishing through it again\n/g, 2, 'stderr');
    expect((await status(control)).pubsub).toEqual({ backplane: 'cluster', connected: true, dropped: 10 });
    control.send('publish up 1');
    await remote.received(1);
    // Nothing published while it was down reached the other worker, then or later.
    expect(remote.messages).toEqual(['up:0']);
    expect(run.stderr().match(/did not answer/g)).toHaveLength(2);
  });

  it('refuses a KRANDOG_PUBSUB_RELAY_LIMIT that is not a number of bytes, as a usage error', async () => {
    const run = startTrackedKrandog(['--workers', '1', topicServer], { KRANDOG_PUBSUB_RELAY_LIMIT: 'lots' });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/^krandog: KRANDOG_PUBSUB_RELAY_LIMIT takes a number of bytes, got 'lots'/);
  });
});
