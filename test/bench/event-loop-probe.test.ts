// The deflate row's event-loop probe, end to end: krandog's bench server (bench/servers/
// krandog-deflate.js, run by the real ./krandog) with BENCH_EVENT_LOOP_PROBE=1 echoes compressed
// 4 MiB messages from bench/loadgen.mjs and, when stopped, prints the line the harness reads.
// A script that blocks on purpose shows the probe sees a block at least that long.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs without type declarations
import { parseEventLoopMax } from '../../bench/measure.mjs';
// @ts-expect-error: plain .mjs without type declarations
import { runLoadgen, startServer } from '../../bench/processes.mjs';
import { krandogBin } from '../e2e/runner-helpers.ts';

const BENCH = path.resolve(import.meta.dirname, '../../bench');

describe('the event-loop probe of the deflate row', () => {
  it('reports the longest block of a krandog server echoing 4 MiB compressed messages', async () => {
    const server = await startServer({
      command: krandogBin,
      args: [path.join(BENCH, 'servers', 'krandog-deflate.js')],
      env: { KRANDOG_QUIET: '1', BENCH_EVENT_LOOP_PROBE: '1' },
    });
    let result;
    try {
      result = await runLoadgen({ mode: 'echo', deflate: true, connections: 1, inFlight: 1, payloadBytes: 4 * 1024 * 1024, port: server.port, serverPid: server.pid, warmupMs: 100, durationMs: 1500 });
    } finally {
      await server.stop();
    }
    expect(result.error).toBeUndefined();
    expect(result.warmupMessages + result.messages).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(parseEventLoopMax(server.stdout())).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('sees a deliberate block at least as long as it was', async () => {
    const script = `import { probeEventLoop } from ${JSON.stringify(path.join(BENCH, 'servers', 'event-loop-probe.mjs'))};
      probeEventLoop();
      setInterval(() => {}, 1000); // alive until the signal, as a listening server is
      setTimeout(() => { const end = Date.now() + 200; while (Date.now() < end); setTimeout(() => process.kill(process.pid, 'SIGTERM'), 20); }, 50);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, BENCH_EVENT_LOOP_PROBE: '1' }, timeout: 30_000 });
    expect(parseEventLoopMax(stdout)).toBeGreaterThanOrEqual(190);
  }, 60_000);
});
