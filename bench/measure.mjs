// One timed run of one server on one workload: start the server on its core, drive it from the
// other core (bench/loadgen.mjs or wrk), stop it. Returns the numbers or throws the reason it failed.
import { setTimeout as sleep } from 'node:timers/promises';
import { LOADGEN_CORE, runLoadgen, runToEnd, SERVER_CORE, startServer } from './processes.mjs';
import { cpuSeconds, cpuSecondsFromStatLine } from './proc.mjs';

/** Starts `contender`'s server for `mode`, vets its LISTENING line, runs `body(server)`, stops it. */
async function withServer(contender, mode, settings, body) {
  const spec = settings.adjustServer ? settings.adjustServer(contender.server(mode)) : contender.server(mode);
  const server = await startServer({ ...spec, core: settings.pin ? SERVER_CORE : undefined });
  try {
    const problem = contender.checkInfo?.(server.info);
    if (problem) throw new Error(problem);
    return await body(server);
  } finally {
    await server.stop();
  }
}

/** Notes worth showing next to a number: errors the load generator saw. */
function loadNotes(result, load = {}) {
  const notes = [];
  const uncompressed = load.deflate ? result.warmupMessages + result.messages - result.compressedReplies : 0;
  if (uncompressed > 0) notes.push(`${uncompressed} replies not compressed`);
  if (result.wrongLength > 0) notes.push(`${result.wrongLength} replies of the wrong length`);
  if (result.unexpectedCloses > 0) notes.push(`${result.unexpectedCloses} connections closed by the server`);
  if (result.errors > 0) notes.push(`${result.errors} socket errors`);
  return notes;
}

/** A WebSocket workload driven by bench/loadgen.mjs. */
export function measureLoadgen(workload, contender, settings) {
  return withServer(contender, workload.serverMode, settings, async (server) => {
    const result = await runLoadgen({
      ...workload.load,
      port: server.port,
      serverPid: server.pid,
      warmupMs: settings.warmupMs,
      durationMs: settings.durationMs,
      settleMs: settings.settleMs,
    }, settings.pin ? LOADGEN_CORE : undefined);
    if (result.error) throw new Error(result.error);
    if (workload.load.mode !== 'idle' && !(result.messages > 0)) {
      const seen = `${result.warmupMessages} replies during warm-up, ${loadNotes(result).join(', ') || 'no socket errors or closes'}`;
      throw new Error(`no replies in the timed window (${seen})`);
    }
    if (workload.load.mode === 'idle' && !Number.isFinite(result.bytesPerConnection)) throw new Error('could not read the server RSS');
    return { ...result, notes: loadNotes(result, workload.load) };
  });
}

/**
 * The longest event-loop block of `contender`'s server while it echoes `probe.load`'s messages:
 * the server (with BENCH_EVENT_LOOP_PROBE=1) prints `EVENT_LOOP_MAX_MS <ms>` when stopped.
 */
export async function measureEventLoopBlock(workload, contender, settings) {
  const probe = workload.blockingProbe;
  const spec = contender.server(workload.serverMode);
  const server = await startServer({ ...spec, env: { ...spec.env, BENCH_EVENT_LOOP_PROBE: '1' }, core: settings.pin ? SERVER_CORE : undefined });
  let result;
  try {
    result = await runLoadgen({
      ...probe.load,
      port: server.port,
      serverPid: server.pid,
      warmupMs: 500,
      // A 4 MiB echo can take a second on a busy machine: give the timed window a few of them.
      durationMs: Math.max(settings.durationMs, 4000),
    }, settings.pin ? LOADGEN_CORE : undefined);
  } finally {
    await server.stop();
  }
  if (result.error) throw new Error(result.error);
  if (!(result.messages > 0)) throw new Error('no large message was echoed in the timed window');
  const blockedMs = parseEventLoopMax(server.stdout());
  if (blockedMs === null) throw new Error('the server printed no EVENT_LOOP_MAX_MS line');
  return blockedMs;
}

/** The `EVENT_LOOP_MAX_MS <ms>` figure in a probed server's output (bench/servers/event-loop-probe.mjs), or null. */
export function parseEventLoopMax(output) {
  const match = /^EVENT_LOOP_MAX_MS (\d+(?:\.\d+)?)$/m.exec(output);
  return match ? Number(match[1]) : null;
}

/** Parses wrk's report: requests/s, p99 latency (ms) and error counts. */
export function parseWrk(output) {
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (!rate) return null;
  const p99 = /^\s*99(?:\.0+)?%\s+([\d.]+)(us|ms|s)\b/m.exec(output);
  const scale = { us: 1e-3, ms: 1, s: 1e3 };
  const notes = [];
  const socketErrors = /Socket errors: (.*)/.exec(output);
  if (socketErrors) notes.push(`wrk socket errors: ${socketErrors[1].trim()}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  if (non2xx) notes.push(`${non2xx[1]} non-2xx responses`);
  return { requestsPerSecond: Number(rate[1]), p99Millis: p99 ? Number(p99[1]) * scale[p99[2]] : NaN, notes };
}

/** HTTP hello world: a warm-up wrk, then a timed one whose own CPU is read from its parent shell. */
export function measureHttp(workload, contender, settings, wrkBin) {
  return withServer(contender, workload.serverMode, settings, async (server) => {
    const url = `http://127.0.0.1:${server.port}/`;
    const wrkArgs = (seconds) => ['-t1', '-c50', `-d${seconds}s`, '--latency', url];
    const pin = settings.pin ? `taskset -c ${LOADGEN_CORE} ` : '';
    const warm = await runToEnd(wrkBin, wrkArgs(settings.warmupMs / 1000), { core: settings.pin ? LOADGEN_CORE : undefined });
    if (warm.code !== 0 || !parseWrk(warm.stdout)) throw new Error(`wrk failed: ${(warm.stderr || warm.stdout).trim().split('\n').at(-1)}`);
    // After wrk exits, its CPU time is in the shell's cutime/cstime: print the shell's stat line.
    const script = `${pin}"$@"; echo; cat /proc/$$/stat`;
    const serverBefore = cpuSeconds(server.pid);
    const started = performance.now();
    const timed = await runToEnd('sh', ['-c', script, 'sh', wrkBin, ...wrkArgs(settings.durationMs / 1000)]);
    const seconds = (performance.now() - started) / 1000;
    const serverAfter = cpuSeconds(server.pid);
    const report = parseWrk(timed.stdout);
    if (!report) throw new Error(`wrk failed: ${(timed.stderr || timed.stdout).trim().split('\n').at(-1)}`);
    const statLine = timed.stdout.trim().split('\n').at(-1);
    return {
      ...report,
      serverCores: (serverAfter - serverBefore) / seconds,
      loadgenCores: cpuSecondsFromStatLine(statLine) / seconds,
    };
  });
}

/** Lets the system settle between runs (sockets closing, the previous server's memory returned). */
export function pause() {
  return sleep(300);
}
