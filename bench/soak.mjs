// `npm run soak`: a long run of many WebSocket connections against one echo server, with hostile
// clients among them (bench/soak-load.mjs), first against krandog, then the same load against the
// `ws` package's server; prints both side by side. Not part of `npm test`.
//
//   npm run soak -- [--connections 10000] [--duration 180] [--interval 1000] [--servers krandog,ws]
//
// Must hold: no message lost and no healthy client dropped. Exit code 1 when krandog fails that
// (or its server dies); the `ws` column is there for comparison.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { contenders, REPO_ROOT } from './contenders.mjs';
import { BENCH_DIR, preparePeers } from './peers.mjs';
import { cpuSeconds, rssBytes } from './proc.mjs';
import { startServer, wrapped } from './processes.mjs';
import { SOAK_DEFAULTS } from './soak-defaults.mjs';

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string', default: String(SOAK_DEFAULTS.connections) },
    duration: { type: 'string', default: String(SOAK_DEFAULTS.durationMs / 1000) },
    interval: { type: 'string', default: String(SOAK_DEFAULTS.messageIntervalMs) },
    servers: { type: 'string', default: 'krandog,ws' },
    sample: { type: 'string', default: '10' },
  },
});
const config = {
  connections: Number(flags.connections),
  durationMs: Number(flags.duration) * 1000,
  messageIntervalMs: Number(flags.interval),
};
const sampleMs = Number(flags.sample) * 1000;
const log = (message) => console.error(`soak: ${message}`);

const MiB = 1024 * 1024;

/** Runs the load against one server; resolves with the load generator's result and the server's samples. */
async function soak(label, spec) {
  const server = await startServer({ ...spec, env: { ...spec.env, SOAK_MAX_CONNECTIONS: String(config.connections + 2000) } });
  log(`${label}: server pid ${server.pid} on port ${server.port}`);
  const startedAt = Date.now();
  const samples = [];
  const sample = (phase) => samples.push({ seconds: (Date.now() - startedAt) / 1000, rss: rssBytes(server.pid), cpu: cpuSeconds(server.pid), phase });
  let phase = 'connecting';
  sample(phase);
  const sampler = setInterval(() => sample(phase), sampleMs);

  const [shell, args] = wrapped(process.execPath, [path.join(BENCH_DIR, 'soak-load.mjs'), JSON.stringify({ ...config, port: server.port })]);
  const load = spawn(shell, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  load.stdout.on('data', (chunk) => (stdout += chunk));
  load.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (phase === 'connecting' && stderr.includes('load running')) {
      phase = 'load';
      sample('load');
      log(`${label}: ${stderr.trim().split('\n').at(-1).replace('soak-load: ', '')}`);
    }
  });
  const [code] = await once(load, 'exit');
  phase = 'end';
  sample('end');
  clearInterval(sampler);
  const serverAlive = !Number.isNaN(rssBytes(server.pid));
  await server.stop();
  let result;
  try {
    result = JSON.parse(stdout.trim().split('\n').at(-1));
  } catch {
    result = { error: `load generator exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
  }
  return { label, result, samples, serverAlive, serverStderr: server.stderr().trim().split('\n').slice(-3).join(' | ') };
}

const mib = (bytes) => (Number.isFinite(bytes) ? `${Math.round(bytes / MiB)}` : 'n/a');
const ms = (micros) => (Number.isFinite(micros) ? `${(micros / 1000).toFixed(1)} ms` : 'n/a');
const seconds = (millis) => (Number.isFinite(millis) ? `${(millis / 1000).toFixed(1)} s` : 'n/a');

/** The side-by-side table: one row per figure, one column per server. */
function report(runs) {
  const rows = [
    ['healthy clients', (r) => r.healthy],
    ['healthy messages sent', (r) => r.sent],
    ['**messages lost (must be 0)**', (r) => r.lost],
    ['wrong echoes', (r) => r.wrongLength],
    ['latency p50 / p99 / max', (r) => `${ms(r.p50Micros)} / ${ms(r.p99Micros)} / ${ms(r.maxMicros)}`],
    ['**healthy clients dropped (must be 0)**', (r) => (r.dropped === 0 ? 0 : `${r.dropped} (${r.droppedReasons.join(', ')})`)],
    ['vanished without a close frame', (r) => `${r.hostile.vanish.cycles} (refused ${r.hostile.vanish.refused})`],
    ['garbage: closed by the server / left open 30 s', (r) => `${r.hostile.garbage.closedByServer} / ${r.hostile.garbage.unanswered}`],
    ['slowloris: closed by the server, after (median)', (r) => `${r.hostile.slowloris.closedByServer}, ${seconds(r.hostile.slowloris.medianLifetimeMs)}`],
    ['slow consumers: connection ended, after (median), having sent', (r) => {
      const slow = r.hostile.slow;
      return slow.closedByServer === 0 ? `0 of ${r.hostileSlots.slow} (never)` : `${slow.closedByServer}, ${seconds(slow.medianLifetimeMs)}, ${mib(slow.medianBytesSentBeforeClose)} MiB`;
    }],
  ];
  const lines = [`| | ${runs.map((run) => run.label).join(' | ')} |`, `|---|${runs.map(() => '---|').join('')}`];
  for (const [name, value] of rows) lines.push(`| ${name} | ${runs.map((run) => (run.result.error ? run.result.error : value(run.result))).join(' | ')} |`);
  const rss = (run, pick) => mib(pick(run.samples.filter((s) => s.phase !== 'connecting' || s === run.samples[0]).map((s) => s.rss)));
  lines.push(`| server RSS, MiB: idle / peak / end | ${runs.map((run) => `${rss(run, (v) => v[0])} / ${rss(run, (v) => Math.max(...v.filter(Number.isFinite)))} / ${rss(run, (v) => v.at(-1))}`).join(' | ')} |`);
  lines.push(`| server CPU seconds | ${runs.map((run) => (run.samples.at(-1).cpu - run.samples[0].cpu).toFixed(1)).join(' | ')} |`);
  lines.push(`| server alive at the end | ${runs.map((run) => (run.serverAlive ? 'yes' : `NO ${run.serverStderr}`)).join(' | ')} |`);
  lines.push('', 'Server RSS over time (MiB; c = connecting, then load):', '');
  for (const run of runs) {
    lines.push(`- ${run.label}: ${run.samples.map((s) => `${Math.round(s.seconds)}s${s.phase === 'connecting' ? 'c' : ''} ${mib(s.rss)}`).join(', ')}`);
  }
  return lines.join('\n');
}

async function main() {
  log('building krandog (node build.mjs) …');
  const build = spawnSync(process.execPath, ['build.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`node build.mjs failed: ${build.stderr}`);
  const peers = preparePeers({ log });
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const all = contenders(peers, { version: `krandog ${version}` });
  const ids = flags.servers.split(',');
  const runs = [];
  for (const id of ids) {
    const contender = all[id];
    if (!contender || contender.reason) {
      log(`${id}: skipped (${contender?.reason ?? 'unknown server'})`);
      continue;
    }
    log(`${contender.label} (${contender.version}): ${config.connections} connections, ${config.durationMs / 1000} s …`);
    runs.push(await soak(`${contender.label} (${contender.version})`, contender.server('soak')));
    await sleep(5000); // let the previous run's TIME_WAIT sockets age a little
  }
  const [load] = runs.map((run) => run.result).filter((result) => !result.error);
  const slots = load?.hostileSlots ?? {};
  console.log(
    `## Soak: ${config.connections} connections for ${config.durationMs / 1000} s\n\n` +
      `${load?.healthy ?? '?'} healthy clients, each sending a ${SOAK_DEFAULTS.payloadBytes}-byte message every ${config.messageIntervalMs} ms to an echo server; ` +
      `hostile slots, each reconnecting when its connection ends: ${slots.vanish} vanishing, ${slots.garbage} sending garbage, ` +
      `${slots.slowloris} slowloris, ${slots.slow} slow consumers. Loopback; ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ` +
      `load average at the end ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}; Node ${process.version}. Server and load generator unpinned.\n\n` +
      report(runs),
  );
  const krandog = runs.find((run) => run.label.startsWith('krandog'));
  if (krandog && (krandog.result.error || krandog.result.lost !== 0 || krandog.result.dropped !== 0 || krandog.result.wrongLength !== 0 || !krandog.serverAlive)) process.exitCode = 1;
}

await main();
