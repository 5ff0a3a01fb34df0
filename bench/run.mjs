// `npm run bench`: krandog against ws, Bun, Deno and node:http on the workloads of issues 7 and 17.
// Progress goes to stderr; the table goes to stdout and, with the machine's details, to a
// markdown file (bench/results.md for a full run). See bench/options.mjs for the options.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { contenders, REPO_ROOT } from './contenders.mjs';
import { measureEventLoopBlock, measureHttp, measureLoadgen, pause } from './measure.mjs';
import { parseOptions, USAGE } from './options.mjs';
import { BENCH_DIR, canPin, PEERS_DIR, preparePeers } from './peers.mjs';
import { machineInfo, markdownReport, markdownTable, formatNumber, tableRows } from './report.mjs';
import { measureStartup, startupVariants } from './startup.mjs';
import { WORKLOADS } from './workloads.mjs';

const log = (message) => console.error(message);

/** Builds dist/ so the numbers are those of the current source; returns krandog's availability. */
function prepareKrandog(build) {
  const version = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version;
  if (build) {
    log('building krandog (node build.mjs) …');
    const result = spawnSync(process.execPath, ['build.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
    if (result.status !== 0) {
      const reason = `${result.stderr || result.stdout}`.trim().split('\n').find((line) => /error/i.test(line)) ?? `exit ${result.status}`;
      return { version, reason: `node build.mjs failed: ${reason.trim()}` };
    }
  }
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli.js'))) return { version, reason: 'dist/ is missing (run node build.mjs)' };
  return { version: `krandog ${version}` };
}

/**
 * Runs a krandog server under `node --cpu-prof`, one profile per server process in
 * bench/.peers/profiles/<workload>/<server>/. `./krandog` is `exec node bin/krandog.js`, so this is
 * the same process; --cpu-prof is not allowed in NODE_OPTIONS, hence the explicit command.
 */
function profiled(workload, key) {
  const dir = path.join(PEERS_DIR, 'profiles', workload.id, key);
  mkdirSync(dir, { recursive: true });
  const preload = pathToFileURL(path.join(BENCH_DIR, 'exit-on-signal.mjs')).href;
  return (spec) => ({
    ...spec,
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--import=${preload}`, path.join(REPO_ROOT, 'bin', 'krandog.js'), ...spec.args],
  });
}

function describe(workload, result) {
  const value = `${formatNumber(workload.value(result))} ${workload.unit}`;
  const cpu = Number.isFinite(result.serverCores)
    ? ` (server ${Math.round(result.serverCores * 100)}%, load ${Math.round(result.loadgenCores * 100)}%)`
    : '';
  return value + cpu;
}

/** Runs a server workload: `settings.runs` rounds, each round every server once, in turn. */
async function runServerWorkload(workload, ids, all, settings, peers) {
  const entries = ids.map((id) => ({ key: id, label: all[id].label, runs: [], notes: [], failure: all[id].reason }));
  if (workload.kind === 'http' && peers.wrk.reason) for (const entry of entries) entry.failure ??= peers.wrk.reason;
  for (let round = 1; round <= settings.runs; round++) {
    for (const entry of entries) {
      if (entry.failure) continue;
      const contender = all[entry.key];
      const runSettings = {
        ...settings,
        adjustServer: settings.profile && entry.key.startsWith('krandog') ? profiled(workload, entry.key) : undefined,
      };
      const prefix = `[${workload.id} ${round}/${settings.runs}] ${entry.label}`;
      try {
        const result = workload.kind === 'http'
          ? await measureHttp(workload, contender, runSettings, peers.wrk.bin)
          : await measureLoadgen(workload, contender, runSettings);
        if (workload.blockingProbe?.contenders.includes(entry.key)) {
          await pause();
          try {
            result.eventLoopMaxMs = await measureEventLoopBlock(workload, contender, runSettings);
          } catch (error) {
            result.notes.push(`event-loop probe failed: ${error.message}`);
          }
        }
        entry.runs.push(result);
        const block = Number.isFinite(result.eventLoopMaxMs) ? `; event loop blocked ≤ ${result.eventLoopMaxMs} ms with ${workload.blockingProbe.label}` : '';
        log(`${prefix}: ${describe(workload, result)}${block}`);
      } catch (error) {
        noteFailure(entry, round, prefix, error);
      }
      await pause();
    }
  }
  return entries;
}

/** A server that never worked is not retried; a later failure is noted beside the median. */
function noteFailure(entry, round, prefix, error) {
  log(`${prefix}: failed: ${error.message}`);
  if (entry.runs.length === 0) entry.failure = error.message;
  else entry.notes.push(`run ${round} failed: ${error.message}`);
}

/**
 * The pub/sub fan-out row: bench/pubsub-topics.mjs's workload, `settings.runs` times (each a fresh
 * Redis and 4 fresh krandog processes). Needs redis-server on PATH.
 */
async function runFanoutWorkload(workload, ids, all, settings) {
  const { hasRedisServer, measureFanout } = await import('./pubsub-topics.mjs');
  const noRedis = hasRedisServer() ? undefined : 'redis-server not on PATH';
  const entries = ids.map((id) => ({ key: id, label: all[id].label, runs: [], notes: [], failure: all[id].reason ?? noRedis }));
  const { rounds, quickRounds, bytes } = workload.fanout;
  for (let round = 1; round <= settings.runs; round++) {
    for (const entry of entries) {
      if (entry.failure) continue;
      const prefix = `[${workload.id} ${round}/${settings.runs}] ${entry.label}`;
      try {
        const result = await measureFanout({ launcher: all[entry.key].server('fanout').command, rounds: settings.quick ? quickRounds : rounds, bytes });
        const notes = [...new Set(result.notes)];
        if (!result.exact) notes.push(`not each delivered once: ${result.deliveries} deliveries, ${result.expected} expected`);
        if (result.dropped > 0) notes.push(`${result.dropped} dropped`);
        entry.runs.push({ ...result, serverCores: result.cpuUsed / result.seconds, notes });
        const shares = result.shares ? result.shares.map((share) => share.toFixed(2)).join(' / ') : 'n/a';
        log(`${prefix}: ${formatNumber(result.perSecond)} ${workload.unit} (4 processes ${Math.round((100 * result.cpuUsed) / result.seconds)}%); Redis bytes per process ÷ all published: ${shares}`);
      } catch (error) {
        noteFailure(entry, round, prefix, error);
      }
      await pause();
    }
  }
  return entries;
}

function runStartupWorkload(workload, ids, all, settings, peers) {
  const available = ids.filter((id) => !all[id].reason);
  log(`[startup] ${settings.startupRuns} runs each of ${available.join(', ')} …`);
  const outcomes = measureStartup(startupVariants(available, peers), { runs: settings.startupRuns, warmups: 2 });
  const entries = ids.filter((id) => all[id].reason).map((id) => ({ key: id, label: all[id].label, runs: [], failure: all[id].reason }));
  for (const [key, outcome] of outcomes) {
    entries.push({ key, label: outcome.variant.label, runs: outcome.runs, failure: outcome.failure });
  }
  // Keep the workload's order: krandog's variants first, then the peers.
  const order = (entry) => ids.indexOf(entry.key.replace(/-(un)?cached$/, ''));
  return entries.sort((a, b) => order(a) - order(b));
}

/** `--startup`: the start-up table per Node version, on stdout and in the markdown report. */
async function runStartupVersions(settings) {
  const { measureStartupVersions, startupVersionsTable } = await import('./startup-versions.mjs');
  const krandog = prepareKrandog(settings.build);
  if (krandog.reason) throw new Error(krandog.reason);
  log(`[startup] ${settings.startupVersionRuns} rounds, interleaved …`);
  const table = startupVersionsTable(measureStartupVersions({ runs: settings.startupVersionRuns, install: settings.install, log }));
  console.log(table);
  const out = settings.out ?? path.join(PEERS_DIR, 'results-startup.md');
  mkdirSync(path.dirname(out), { recursive: true });
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(out, `# krandog start-up per Node version\n\ncommit ${commit}, ${new Date().toISOString()}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}\n\n${table}\n`);
  log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

async function main() {
  let settings;
  try {
    settings = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error.message} (see npm run bench -- --help)`);
    process.exit(2);
  }
  if (settings.help) {
    console.log(USAGE);
    return;
  }
  if (settings.codec) {
    const { runCodecBench } = await import('./codec.mjs');
    await runCodecBench({ quick: settings.quick });
    return;
  }
  if (settings.startup) {
    await runStartupVersions(settings);
    return;
  }

  const loadBefore = os.loadavg()[0];
  const peers = preparePeers({ install: settings.install, log });
  const krandog = prepareKrandog(settings.build);
  const all = contenders(peers, krandog);
  settings.pin = os.cpus().length >= 2 && canPin();
  if (!settings.pin) log('taskset or a second core is missing: servers and load generator are not pinned');

  const shown = WORKLOADS.filter((workload) => settings.workloads.includes(workload.id));
  // The latency row is read from the echo 64 B runs, so it needs them even when not shown.
  const needed = WORKLOADS.filter((workload) => shown.includes(workload) || (workload.id === 'echo64' && settings.workloads.includes('latency')));
  const cells = new Map();
  for (const workload of needed) {
    // A floor is part of its row whichever servers are asked for: the overheads are taken above it.
    const ids = workload.contenders.filter((id) => settings.peers.includes(id) || id === workload.floor);
    if (workload.kind === 'derived') {
      cells.set(workload.id, (cells.get(workload.from) ?? []).filter((entry) => ids.includes(entry.key)));
    } else if (workload.kind === 'fanout') {
      cells.set(workload.id, await runFanoutWorkload(workload, ids, all, settings));
    } else if (workload.kind === 'startup') {
      cells.set(workload.id, runStartupWorkload(workload, ids, all, settings, peers));
    } else {
      cells.set(workload.id, await runServerWorkload(workload, ids, all, settings, peers));
    }
  }

  const table = markdownTable(tableRows(shown, cells));
  console.log(table);
  const unavailable = [...new Set(shown.flatMap((workload) => (cells.get(workload.id) ?? [])
    .filter((entry) => entry.failure)
    .map((entry) => `${entry.label}${all[entry.key]?.reason ? '' : ` (${workload.id})`}: ${entry.failure}`)))];
  const info = machineInfo(peers, { pinned: settings.pin, loadBefore });
  const out = settings.out ?? (settings.complete ? path.join(BENCH_DIR, 'results.md') : path.join(PEERS_DIR, 'results-partial.md'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, markdownReport({ table, info, settings, unavailable }));
  log(`\nwrote ${path.relative(process.cwd(), out)} (commit ${info.commit})`);
}

await main();
