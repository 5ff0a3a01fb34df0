import { describe, expect, it } from 'vitest';
import { KeepaliveAction, nextKeepaliveAction, sweepIntervalFor } from '../../runtime/ws/server/keepalive.ts';

const policy = { idleTimeout: 120_000, pingInterval: 30_000, pongTimeout: 10_000 };

describe('nextKeepaliveAction', () => {
  it.each([
    ['a connection quiet for less than pingInterval', 29_999, -1, KeepaliveAction.None],
    ['a connection quiet for pingInterval', 30_000, -1, KeepaliveAction.Ping],
    ['a ping outstanding, within pongTimeout', 39_999, 30_000, KeepaliveAction.None],
    ['a ping unanswered for pongTimeout', 40_000, 30_000, KeepaliveAction.Terminate],
    ['a connection quiet for idleTimeout', 120_000, -1, KeepaliveAction.Close],
  ])('%s → %i', (_name, quietMs, pingSentAtMs, expected) => {
    expect(nextKeepaliveAction(quietMs, pingSentAtMs, policy)).toBe(expected);
  });

  it('never pings when pingInterval is 0, and closes only at idleTimeout', () => {
    const noPings = { ...policy, pingInterval: 0 };
    expect(nextKeepaliveAction(100_000, -1, noPings)).toBe(KeepaliveAction.None);
    expect(nextKeepaliveAction(120_000, -1, noPings)).toBe(KeepaliveAction.Close);
  });

  it('never closes for idleness when idleTimeout is 0', () => {
    const noIdle = { ...policy, idleTimeout: 0 };
    expect(nextKeepaliveAction(10_000_000, 9_999_999, noIdle)).toBe(KeepaliveAction.None);
  });
});

describe('sweepIntervalFor', () => {
  it('is a quarter of the shortest enabled time, kept between 10 ms and 5 s', () => {
    expect(sweepIntervalFor(policy)).toBe(2_500);
    expect(sweepIntervalFor({ idleTimeout: 0, pingInterval: 100, pongTimeout: 200 })).toBe(25);
    expect(sweepIntervalFor({ idleTimeout: 1, pingInterval: 0, pongTimeout: 200 })).toBe(10);
    expect(sweepIntervalFor({ idleTimeout: 3_600_000, pingInterval: 0, pongTimeout: 10_000 })).toBe(5_000);
  });

  it('is 0 (no timer) when neither idle timeout nor pings are on', () => {
    expect(sweepIntervalFor({ idleTimeout: 0, pingInterval: 0, pongTimeout: 10_000 })).toBe(0);
  });
});
