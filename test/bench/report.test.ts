// The bench's arithmetic and parsing: medians, percentiles, ratios, wrk's report, the table.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs without type declarations
import { parseEventLoopMax, parseWrk } from '../../bench/measure.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { formatNumber, markdownTable, tableRows } from '../../bench/report.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { parseOptions } from '../../bench/options.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { LatencyHistogram, summarize } from '../../bench/stats.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { WORKLOADS } from '../../bench/workloads.mjs';

const WRK_OUTPUT = `Running 5s test @ http://127.0.0.1:40000/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.40us  120.11us   5.20ms   91.00%
    Req/Sec    61.50k     1.20k   63.00k    80.00%
  Latency Distribution
     50%  790.00us
     75%  850.00us
     90%  0.95ms
     99%    1.40ms
  305000 requests in 5.00s, 38.40MB read
  Socket errors: connect 0, read 2, write 0, timeout 0
Requests/sec:  61000.12
Transfer/sec:      7.68MB
`;

describe('stats', () => {
  it('summarizes runs as median and min–max, ignoring failed (NaN) runs', () => {
    expect(summarize([3, 1, 2, NaN])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
    expect(summarize([NaN])).toBeNull();
  });

  it('reads percentiles off the latency histogram', () => {
    const histogram = new LatencyHistogram(1000);
    histogram.record(10, 98);
    histogram.record(500, 1);
    histogram.record(5000, 1); // beyond the range: kept in the last bucket
    expect(histogram.percentile(0.5)).toBe(10);
    expect(histogram.percentile(0.99)).toBe(500);
    expect(histogram.percentile(1)).toBe(1000);
    histogram.reset();
    expect(histogram.percentile(0.99)).toBeNaN();
  });
});

describe('parseWrk', () => {
  it('reads requests/s, the p99 latency in ms and socket errors', () => {
    const report = parseWrk(WRK_OUTPUT);
    expect(report.requestsPerSecond).toBeCloseTo(61000.12);
    expect(report.p99Millis).toBeCloseTo(1.4);
    expect(report.notes).toEqual(['wrk socket errors: connect 0, read 2, write 0, timeout 0']);
  });

  it('returns null when wrk printed no result', () => {
    expect(parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toBeNull();
  });
});

describe('parseEventLoopMax', () => {
  it("reads the probe's line among the server's other output", () => {
    expect(parseEventLoopMax('LISTENING 4000\nEVENT_LOOP_MAX_MS 153.4\n')).toBe(153.4);
    expect(parseEventLoopMax('EVENT_LOOP_MAX_MS 0\n')).toBe(0);
  });

  it('returns null when the server printed none', () => {
    expect(parseEventLoopMax('LISTENING 4000\n')).toBeNull();
    expect(parseEventLoopMax('EVENT_LOOP_MAX_MS NaN\n')).toBeNull();
  });
});

describe('the table', () => {
  const workload = { id: 'echo64', title: 'echo 64 B', unit: 'msg/s', base: 'ws', higherIsBetter: true, kind: 'loadgen', load: { mode: 'echo' }, value: (run: { rate: number }) => run.rate };
  const run = (rate: number, serverCores = 1, loadgenCores = 0.5) => ({ rate, serverCores, loadgenCores });
  const cells = new Map([['echo64', [
    { key: 'krandog', label: 'krandog', runs: [run(300), run(310), run(290)] },
    { key: 'ws', label: 'ws', runs: [run(100), run(90), run(110)] },
    { key: 'bun', label: 'Bun', runs: [run(900, 0.4, 0.99)] },
    { key: 'deno', label: 'Deno', runs: [], failure: 'no runnable deno executable' },
  ]]]);

  it('takes ratios of medians against the baseline and flags bottlenecks', () => {
    const rows = tableRows([workload], cells);
    expect(rows.map((row: { ratio: number }) => row.ratio)).toEqual([3, 1, 9, NaN]);
    expect(rows[2].notes).toContain('load generator saturated');
    expect(rows[3].notes[0]).toBe('n/a: no runnable deno executable');
  });

  it('prints one markdown table with medians, spreads and ratios', () => {
    const lines = markdownTable(tableRows([workload], cells)).split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/\| echo 64 B +\| krandog +\| 300 msg\/s +\| 290–310 +\| 3\.00× ws +\| 100% +\| 50% +\|/);
    expect(lines[5]).toMatch(/\| Deno +\| n\/a /);
  });

  it('gives each server its overhead over the floor and its longest event-loop block', () => {
    const memory = { id: 'memory', title: 'memory', unit: 'KB/conn', base: 'ws', higherIsBetter: false, kind: 'loadgen', load: { mode: 'idle' }, floor: 'net', floorFor: ['krandog', 'ws'], value: (run: { kb: number }) => run.kb };
    const rows = tableRows([memory], new Map([['memory', [
      { key: 'krandog', label: 'krandog', runs: [{ kb: 7, eventLoopMaxMs: 12 }, { kb: 7.4, eventLoopMaxMs: 80 }] },
      { key: 'ws', label: 'ws', runs: [{ kb: 5 }] },
      { key: 'bun', label: 'Bun', runs: [{ kb: 1.2 }] },
      { key: 'net', label: 'bare net socket', runs: [{ kb: 5.6 }] },
    ]]]));
    expect(rows[0].notes).toEqual(['longest event-loop block, large messages: 80.0 ms', '+1.60 KB/conn over the bare socket']);
    expect(rows[1].notes).toEqual(['-0.60 KB/conn over the bare socket']);
    expect(rows[2].notes).toEqual([]);
    expect(rows[3].notes[0]).toMatch(/^the floor/);
  });

  it('gives the fan-out row deliveries/s and the median share of Redis bytes per process, or n/a without redis-server', () => {
    const fanout = WORKLOADS.find((candidate: { id: string }) => candidate.id === 'fanout');
    const run = (perSecond: number, shares: number[]) => ({ perSecond, shares, serverCores: 1.2, notes: [] });
    const rows = tableRows([fanout], new Map([['fanout', [
      { key: 'krandog', label: 'krandog', runs: [run(60_000, [0.26, 0.25, 0.3, 0.26]), run(62_000, [0.26, 0.27, 0.26, 0.26]), run(58_000, [0.24, 0.26, 0.26, 0.26])] },
    ]]]));
    expect(rows[0].summary).toEqual({ median: 60_000, min: 58_000, max: 62_000, n: 3 });
    expect(rows[0].notes).toEqual(['Redis bytes per process ÷ all published: 0.26 / 0.26 / 0.26 / 0.26 (goal ≈0.25)']);
    const lines = markdownTable(rows).split('\n');
    expect(lines[2]).toMatch(/\| pub\/sub fan-out.* \| krandog \| 60\.0k deliveries\/s \| 58\.0k–62\.0k +\| +\| 120% +\| — +\| Redis bytes per process/);

    const skipped = tableRows([fanout], new Map([['fanout', [{ key: 'krandog', label: 'krandog', runs: [], failure: 'redis-server not on PATH' }]]]));
    expect(skipped[0].notes).toEqual(['n/a: redis-server not on PATH']);
    expect(markdownTable(skipped).split('\n')[2]).toMatch(/\| krandog \| n\/a +\|.*\| n\/a: redis-server not on PATH \|$/);
  });

  it('runs the fan-out row alone with --only fanout, and in a full run', () => {
    expect(parseOptions(['--only', 'fanout', '--runs', '1'])).toMatchObject({ workloads: ['fanout'], runs: 1, complete: false });
    expect(parseOptions([]).workloads).toContain('fanout');
  });

  it('formats numbers compactly', () => {
    expect([formatNumber(1_330_000), formatNumber(103_240), formatNumber(48_960), formatNumber(1330), formatNumber(7.42)]).toEqual(['1.33M', '103k', '49.0k', '1330', '7.42']);
  });
});
