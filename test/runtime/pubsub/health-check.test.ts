// The health check shared by the Redis, Redis Cluster and --workers backplanes, on fake timers:
// down after `timeout` ms without an answer, up again at the first answer, each change reported
// once; a failed ping counts as unanswered only where the client reports no drop of its own.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthCheck, OutageLog } from '../../../runtime/pubsub/health-check.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A peer the test answers by hand: each ping is a promise the test settles. */
function peer(): { ping: () => Promise<void>; pings: { answer(): void; fail(): void }[] } {
  const pings: { answer(): void; fail(): void }[] = [];
  return {
    pings,
    ping: () =>
      new Promise<void>((answer, reject) => {
        pings.push({ answer, fail: () => reject(new Error('connection dropped')) });
      }),
  };
}

describe('HealthCheck', () => {
  it('counts a peer down after `timeout` ms without an answer, and up at the next answer', async () => {
    const { ping, pings } = peer();
    const changes: boolean[] = [];
    const check = new HealthCheck(2_000, ping, (unresponsive) => changes.push(unresponsive));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pings).toHaveLength(1);
    pings[0].answer();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pings).toHaveLength(2);
    // No answer: no new ping meanwhile, and down once 2 s have passed.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect([changes, check.unresponsive, pings.length]).toEqual([[true], true, 2]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(changes).toEqual([true]);
    pings[1].answer();
    await vi.advanceTimersByTimeAsync(0);
    expect([changes, check.unresponsive]).toEqual([[true, false], false]);
    check.stop();
  });

  it('checks every timeout/2 when that is under a second, and not while there is nothing to ping', async () => {
    let connected = false;
    const { ping, pings } = peer();
    const check = new HealthCheck(400, () => (connected ? ping() : undefined), () => {});
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pings).toHaveLength(0);
    connected = true;
    await vi.advanceTimersByTimeAsync(200);
    expect(pings).toHaveLength(1);
    check.stop();
  });

  it('a failed ping: the wait starts afresh, unless failures count as unanswered', async () => {
    for (const failedPingIsUnanswered of [false, true]) {
      const { ping, pings } = peer();
      const changes: boolean[] = [];
      const check = new HealthCheck(2_000, ping, (unresponsive) => changes.push(unresponsive), failedPingIsUnanswered);
      for (let second = 1; second <= 4; second++) {
        await vi.advanceTimersByTimeAsync(1_000);
        pings.at(-1)!.fail();
      }
      await vi.advanceTimersByTimeAsync(1_000);
      // Either way each check pings again after a failure; only the second mode counts the time.
      expect(pings.length).toBe(5);
      expect(changes).toEqual(failedPingIsUnanswered ? [true] : []);
      pings.at(-1)!.answer();
      await vi.advanceTimersByTimeAsync(0);
      expect(changes).toEqual(failedPingIsUnanswered ? [true, false] : []);
      check.stop();
    }
  });

  it('a check that runs late (this process was blocked) waits afresh instead of blaming the peer', async () => {
    const { ping, pings } = peer();
    const changes: boolean[] = [];
    const check = new HealthCheck(2_000, ping, (unresponsive) => changes.push(unresponsive));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pings).toHaveLength(1);
    // The clock jumps 10 s between two checks, as when the event loop was stuck.
    vi.setSystemTime(Date.now() + 10_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(changes).toEqual([]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(changes).toEqual([true]);
    check.stop();
  });
});

describe('OutageLog', () => {
  it('prints one line per outage and one per recovery', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const log = new OutageLog();
      expect(log.recovery('back')).toBe(false);
      log.outage('down 1');
      log.outage('down 2');
      expect(log.down).toBe(true);
      expect(log.recovery('back')).toBe(true);
      expect(log.recovery('back again')).toBe(false);
      expect(write.mock.calls.map(([text]) => text)).toEqual(['krandog: pub/sub: down 1\n', 'krandog: pub/sub: back\n']);
    } finally {
      write.mockRestore();
    }
  });
});
