// Fan-out that scales with machines (issue 19): 4 krandog processes behind one Redis, 1,000 topics,
// each process's one WebSocket client subscribed to a quarter of them, and every process publishing
// to every topic. Reports deliveries/s (messages that reached a client, each once) and the bytes
// each process received from Redis, counted by a TCP proxy between that process and Redis. With one
// Redis channel for all topics every process receives every message; with a channel per topic each
// receives about a quarter.
//
//   node bench/pubsub-topics.mjs [--quick] [--rounds 40] [--bytes 64] [--before path/to/krandog] [--cluster]
//
// --before runs the same workload with another krandog launcher too (an older checkout), for the
// before/after table. --cluster adds a run on a 3-master Redis Cluster (sharded pub/sub) that the
// benchmark starts: there a process's bytes are what it read (/proc/<pid>/io rchar, its few HTTP
// and WebSocket bytes included; the client connects to every shard, past any proxy), and each
// shard's output shows how the fan-out spreads. Needs redis-server (and redis-cli for --cluster)
// on PATH; the processes share the machine's cores.
//
// `npm run bench -- --only fanout` runs the same workload (measureFanout below) as the row `fanout`.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { BENCH_DIR } from './peers.mjs';
import { cpuSeconds } from './proc.mjs';
import { startServer } from './processes.mjs';

export const PROCESSES = 4;
export const TOPICS = 1_000;
const quarter = TOPICS / PROCESSES;
const REPO = path.dirname(BENCH_DIR);
const serverScript = path.join(BENCH_DIR, 'servers', 'krandog-topic-shards.js');

async function freePort() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function startRedis() {
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
  // Not left behind when the benchmark fails.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = () => (process.off('exit', kill), kill());
  return { port, stop };
}

/** Three redis-server cluster nodes joined with redis-cli --cluster create. */
async function startCluster() {
  const dir = mkdtempSync(path.join(tmpdir(), 'krandog-bench-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = [];
  const kill = () => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', kill);
  const stop = () => (process.off('exit', kill), kill());
  for (const port of ports) {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    let output = '';
    await new Promise((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', () => reject(new Error(`redis-server did not start: ${output}`)));
    });
  }
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
  while (!ports.every((port) => spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'))) await sleep(100);
  return { ports, stop };
}

/** Bytes a process has read from all its descriptors (/proc/<pid>/io rchar). */
function bytesRead(pid) {
  return Number(/rchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'latin1'))[1]);
}

/** Bytes a Redis node has sent to its clients (INFO stats). */
function nodeOutput(port) {
  return Number(/total_net_output_bytes:(\d+)/.exec(spawnSync('redis-cli', ['-p', String(port), 'info', 'stats'], { encoding: 'utf8' }).stdout)[1]);
}

/**
 * One Redis server, each process behind a proxy of its own: `fromRedis(k)` is exactly what Redis
 * sent process k, `toRedis(k)` what process k sent Redis.
 */
async function singleRedis() {
  const redis = await startRedis();
  const proxies = await Promise.all(Array.from({ length: PROCESSES }, () => countingProxy(redis.port)));
  return {
    env: (k) => ({ KRANDOG_PUBSUB: `redis://127.0.0.1:${proxies[k].port}` }),
    fromRedis: (k) => proxies[k].fromRedis,
    toRedis: (k) => proxies[k].toRedis,
    shards: () => [],
    close() {
      for (const proxy of proxies) proxy.close();
      redis.stop();
    },
  };
}

async function redisCluster(pids) {
  const cluster = await startCluster();
  return {
    env: () => ({ KRANDOG_PUBSUB: `redis://127.0.0.1:${cluster.ports[0]}`, KRANDOG_PUBSUB_CLUSTER: '1' }),
    fromRedis: (k) => bytesRead(pids[k]),
    toRedis: () => NaN,
    shards: () => cluster.ports.map(nodeOutput),
    close: cluster.stop,
  };
}

/** A TCP proxy to Redis that counts the bytes Redis sends through it, and those sent to Redis. */
async function countingProxy(redisPort) {
  const counter = { fromRedis: 0, toRedis: 0, sockets: new Set() };
  const server = net.createServer((client) => {
    const upstream = net.connect(redisPort, '127.0.0.1');
    counter.sockets.add(client).add(upstream);
    upstream.on('data', (chunk) => (counter.fromRedis += chunk.length));
    client.on('data', (chunk) => (counter.toRedis += chunk.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  counter.port = server.address().port;
  counter.close = () => {
    for (const socket of counter.sockets) socket.destroy();
    server.close();
  };
  return counter;
}

function post(port, pathAndQuery) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: pathAndQuery, method: 'POST', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve(JSON.parse(body)));
    });
    request.on('error', reject);
    request.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `read()` has not changed for `quietMs` (what Redis still had in flight has arrived). */
async function settle(read, quietMs = 300) {
  let last = read();
  for (;;) {
    await sleep(quietMs);
    if (read() === last) return;
    last = read();
  }
}

/** Whether redis-server can be run (the workload needs it, and redis-cli for a cluster). */
export function hasRedisServer() {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/**
 * One run of the workload with the krandog launcher `launcher`: a fresh Redis (or, with `cluster`,
 * a 3-shard Redis Cluster) and 4 fresh processes. Returns the deliveries (`perSecond`, `exact`:
 * every client got each of its messages once), the CPU the 4 processes used, `fromRedis[k]`: bytes
 * Redis sent process k, and (one Redis only) `shares[k]`: that ÷ the bytes of all the processes'
 * PUBLISH commands, i.e. of one copy of every message (a PUBLISH and the message Redis pushes to
 * a subscriber have the same size): about 0.25 when each process gets only its quarter, 1 when
 * every process gets everything.
 */
export async function measureFanout({ launcher = path.join(REPO, 'krandog'), cluster = false, rounds = 40, bytes = 64 } = {}) {
  const pids = [];
  const backplane = cluster ? await redisCluster(pids) : await singleRedis();
  const servers = [];
  const clients = [];
  try {
    for (let k = 0; k < PROCESSES; k++) {
      servers.push(await startServer({ command: launcher, args: [serverScript], env: { KRANDOG_QUIET: '1', ...backplane.env(k) } }));
      pids.push(servers[k].pid);
    }
    const fromRedis = () => servers.map((_, k) => backplane.fromRedis(k));
    const toRedis = () => servers.map((_, k) => backplane.toRedis(k));
    const total = (values) => values.reduce((a, b) => a + b, 0);
    const received = servers.map(() => 0);
    for (const [k, server] of servers.entries()) {
      const socket = new WebSocket(`ws://127.0.0.1:${server.port}/?from=${k * quarter}&to=${(k + 1) * quarter}`, { perMessageDeflate: false });
      socket.on('message', () => received[k]++);
      await once(socket, 'open');
      clients.push(socket);
    }
    // Warm-up: one round from every process until every client hears from its topics (the
    // subscriptions have reached Redis); then the counters start from zero.
    let droppedBefore = 0;
    for (let attempt = 0; received.some((count) => count < quarter * PROCESSES); attempt++) {
      if (attempt === 50) throw new Error(`warm-up never reached every client: ${received}`);
      received.fill(0);
      const warmUp = await Promise.all(servers.map((server) => post(server.port, `/publish?topics=${TOPICS}&rounds=1&bytes=${bytes}`)));
      droppedBefore = warmUp.reduce((sum, answer) => sum + answer.pubsub.dropped, 0);
      await sleep(200);
    }
    await settle(() => total(fromRedis()));
    received.fill(0);
    const bytesBefore = fromRedis();
    const sentBefore = toRedis();
    const shardsBefore = backplane.shards();

    const expected = quarter * PROCESSES * rounds;
    const cpu = () => servers.reduce((sum, server) => sum + cpuSeconds(server.pid), 0);
    const cpuBefore = cpu();
    const started = performance.now();
    const answers = await Promise.all(servers.map((server) => post(server.port, `/publish?topics=${TOPICS}&rounds=${rounds}&bytes=${bytes}`)));
    // Until all arrived, or nothing more for 5 s (a process whose backplane went down meanwhile
    // keeps its messages: the table then says how many arrived).
    let lastProgress = performance.now();
    let lastTotal = 0;
    while (received.some((count) => count < expected) && performance.now() - lastProgress < 5_000) {
      await sleep(5);
      if (total(received) !== lastTotal) [lastTotal, lastProgress] = [total(received), performance.now()];
    }
    const seconds = (lastProgress - started) / 1000;
    const cpuUsed = cpu() - cpuBefore;
    await settle(() => total(fromRedis()) + total(received));
    const dropped = answers.reduce((sum, answer) => sum + answer.pubsub.dropped, 0) - droppedBefore;
    const redisBytes = fromRedis().map((value, k) => value - bytesBefore[k]);
    const published = total(toRedis().map((value, k) => value - sentBefore[k]));
    return {
      deliveries: received.reduce((a, b) => a + b, 0),
      expected: expected * PROCESSES,
      exact: received.every((count) => count === expected),
      // What the processes said (outages, a queue not keeping up), if anything.
      notes: servers.flatMap((server) => server.stderr().split('\n').filter((line) => line.includes('pub/sub'))),
      perSecond: total(received) / seconds,
      seconds,
      cpuUsed,
      fromRedis: redisBytes,
      toRedis: published,
      shares: published > 0 ? redisBytes.map((value) => value / published) : null,
      shards: backplane.shards().map((value, i) => value - shardsBefore[i]),
      dropped,
    };
  } finally {
    for (const socket of clients) socket.terminate();
    await Promise.all(servers.map((server) => server.stop()));
    backplane.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
  const quick = args.includes('--quick');
  const rounds = Number(option('--rounds', quick ? 10 : 40));
  const bytes = Number(option('--bytes', 64));
  const before = option('--before', undefined);
  const withCluster = args.includes('--cluster');
  // A signal ends the benchmark through process.exit, so that the Redis servers it started go too.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(1));
  if (!hasRedisServer()) {
    console.log('skipped: no redis-server on PATH (apt-get install redis-server)');
    process.exit(0);
  }
  const runs = [];
  if (before) runs.push({ name: `before (${before})`, launcher: path.resolve(before) });
  runs.push({ name: 'this checkout', launcher: path.join(REPO, 'krandog') });
  if (withCluster) runs.push({ name: 'this checkout, Redis Cluster (3 shards)', launcher: path.join(REPO, 'krandog'), cluster: true });

  const MB = 1e6;
  const rows = [];
  for (const run of runs) {
    console.error(`${run.name} …`);
    const result = await measureFanout({ launcher: run.launcher, cluster: run.cluster, rounds, bytes });
    const mean = result.fromRedis.reduce((a, b) => a + b, 0) / PROCESSES;
    rows.push({ run, result, mean });
  }
  const reference = rows[0].mean;
  const published = PROCESSES * TOPICS * rounds;
  console.log(`\n${PROCESSES} processes × ${TOPICS} topics, each process's client on a quarter; every process publishes ${rounds} rounds of ${bytes} B to every topic (${published.toLocaleString('en')} messages)\n`);
  console.log('| krandog | deliveries/s | CPU-seconds (4 processes) | each delivered once | Redis → each process (MB) | mean per process | vs first row |\n|---|---|---|---|---|---|---|');
  for (const { run, result, mean } of rows) {
    const note = result.dropped > 0 ? ` (${result.dropped} dropped)` : '';
    console.log(
      `| ${run.name}${run.cluster ? ' ¹' : ''} | ${Math.round(result.perSecond).toLocaleString('en')}${note} | ${result.cpuUsed.toFixed(2)} | ${result.exact ? 'yes' : `no (${result.deliveries})`} | ${result.fromRedis.map((value) => (value / MB).toFixed(2)).join(' / ')} | ${(mean / MB).toFixed(2)} MB (${Math.round(mean / published)} B per published message) | ${(mean / reference).toFixed(2)} |`,
    );
  }
  for (const { run, result } of rows) {
    if (!run.cluster) continue;
    const sum = result.shards.reduce((a, b) => a + b, 0);
    console.log(`\n¹ bytes read by each process (rchar). Output of each shard: ${result.shards.map((value) => `${(value / MB).toFixed(2)} MB (${Math.round((100 * value) / sum)} %)`).join(' / ')}`);
  }
  for (const { run, result } of rows) {
    for (const note of new Set(result.notes)) console.log(`${run.name}: ${note}`);
  }
}

// Run as a script (not imported by bench/run.mjs).
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
