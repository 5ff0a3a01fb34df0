// Broadcast fan-out of issue 9: deliveries/s of 64 B messages to 1,000 subscribers, for the seed's
// send loop, server.publish, `--workers 2` through the cluster primary and through Redis, and Bun's
// server.publish. Uses bench/loadgen.mjs's broadcast mode (connection 0 publishes, 16 messages'
// worth of deliveries in flight) and the servers in bench/servers/.
//
//   node bench/pubsub-fanout.mjs [--quick] [--connections 1000] [--in-flight 16]
//
// One process: server pinned to core 0, load generator to core 1, as in `npm run bench`. With
// --workers the two workers (and Redis) share both cores with the load generator: compare with care.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_DIR, PEERS_DIR } from './peers.mjs';
import { cpuSeconds } from './proc.mjs';
import { LOADGEN_CORE, runLoadgen, SERVER_CORE, startServer } from './processes.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const connections = option('--connections', 1000);
const inFlight = option('--in-flight', 16);
const timing = quick ? { warmupMs: 1000, durationMs: 2000 } : { warmupMs: 2000, durationMs: 5000 };
const REPO = path.dirname(BENCH_DIR);
const krandog = path.join(REPO, 'krandog');
const servers = path.join(BENCH_DIR, 'servers');
const bun = path.join(PEERS_DIR, 'node_modules', '.bin', 'bun');

async function freePort() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A redis-server of our own for the Redis case; undefined (and a note) when there is none. */
async function startRedis() {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', () => reject(new Error(`redis-server did not start: ${output}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

/** `pid` and its descendants (the workers of a --workers primary). */
function processTree(pid) {
  let children = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(processTree)];
}

/**
 * Samples the CPU seconds of the server's processes (and Redis) every 100 ms while `run` goes; the
 * CPU of the last `windowMs` before it ended is the server's share of the timed window.
 */
async function serverCpuDuring(pids, windowMs, run) {
  const samples = [];
  const sample = () => samples.push({ at: performance.now(), cpu: pids().reduce((sum, pid) => sum + (cpuSeconds(pid) || 0), 0) });
  sample();
  const timer = setInterval(sample, 100);
  const result = await run();
  clearInterval(timer);
  sample();
  const end = samples.at(-1);
  const start = samples.findLast((entry) => entry.at <= end.at - windowMs) ?? samples[0];
  return { result, cores: (end.cpu - start.cpu) / ((end.at - start.at) / 1000) };
}

const redis = await startRedis();
const cases = [
  { name: "seed's loop (c.send per client)", command: krandog, args: [path.join(servers, 'krandog-broadcast.js')], pin: true },
  { name: 'server.publish', command: krandog, args: [path.join(servers, 'krandog-publish.js')], pin: true },
  { name: 'server.publish, --workers 2 (primary relays)', command: krandog, args: ['--workers', '2', path.join(servers, 'krandog-publish.js')], pin: false },
  redis
    ? { name: 'server.publish, --workers 2, Redis', command: krandog, args: ['--workers', '2', path.join(servers, 'krandog-publish.js')], env: { KRANDOG_PUBSUB: redis.url }, pin: false }
    : { name: 'server.publish, --workers 2, Redis', skip: 'no redis-server (apt-get install redis-server)' },
  existsSync(bun)
    ? { name: "Bun's server.publish", command: bun, args: [path.join(servers, 'bun.ts'), 'broadcast'], pin: true }
    : { name: "Bun's server.publish", skip: 'no Bun in bench/.peers (run npm run bench once)' },
];

const rows = [];
for (const entry of cases) {
  if (entry.skip) {
    rows.push([entry.name, entry.skip, '', '']);
    continue;
  }
  console.error(`${entry.name} …`);
  const server = await startServer({ command: entry.command, args: entry.args, env: { KRANDOG_QUIET: '1', ...entry.env }, core: entry.pin ? SERVER_CORE : undefined });
  try {
    // Under --workers every worker prints LISTENING; let the second one (and its backplane) come up.
    if (entry.args.includes('--workers')) await sleep(1500);
    const pids = () => [...processTree(server.pid), ...(entry.env?.KRANDOG_PUBSUB ? [redis.pid] : [])];
    const { result, cores } = await serverCpuDuring(pids, timing.durationMs, () =>
      runLoadgen({ mode: 'broadcast', port: server.port, serverPid: server.pid, connections, inFlight, payloadBytes: 64, ...timing }, entry.pin ? LOADGEN_CORE : undefined),
    );
    const problems = [result.error, result.wrongLength && `${result.wrongLength} wrong lengths`, result.unexpectedCloses && `${result.unexpectedCloses} closes`]
      .filter(Boolean)
      .join(', ');
    const perCpuSecond = result.messagesPerSecond / cores;
    rows.push([
      entry.name,
      `${Math.round(result.messagesPerSecond ?? 0).toLocaleString('en')}${problems ? ` (${problems})` : ''}`,
      `${Math.round(cores * 100)}% / ${Math.round(result.loadgenCores * 100)}%`,
      `${(perCpuSecond / 1e6).toFixed(2)} M`,
    ]);
  } finally {
    await server.stop();
  }
}
redis?.stop();

console.log(`\nbroadcast 64 B to ${connections} subscribers, ${inFlight} messages in flight (${timing.durationMs / 1000} s after ${timing.warmupMs / 1000} s warm-up)\n`);
console.log('| server | deliveries/s | CPU: server (all its processes) / load generator | deliveries per server CPU-second |\n|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
