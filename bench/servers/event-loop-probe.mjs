// With BENCH_EVENT_LOOP_PROBE=1, measures how long the event loop is held (by synchronous zlib,
// say): a 1 ms timer's histogram of delays, whose maximum less the 1 ms period is the longest
// block. On SIGTERM it prints `EVENT_LOOP_MAX_MS <ms>` and exits, which the harness reads.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 1;

export function probeEventLoop() {
  if (process.env.BENCH_EVENT_LOOP_PROBE !== '1') return;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  process.on('SIGTERM', () => {
    histogram.disable();
    const blockedMs = Math.max(0, histogram.max / 1e6 - RESOLUTION_MS);
    process.stdout.write(`EVENT_LOOP_MAX_MS ${blockedMs.toFixed(1)}\n`, () => process.exit(0));
  });
}
