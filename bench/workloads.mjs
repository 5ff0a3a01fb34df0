// The rows of the table (issues 7 and 17): what each workload runs, on which servers, what it reports and
// which server is the baseline its ratios are taken against.
import { median } from './stats.mjs';

const WS_SERVERS = ['krandog', 'ws', 'ws-bufferutil', 'bun', 'deno'];
const MIB = 1024 * 1024;

/**
 * kind "loadgen": bench/loadgen.mjs against each server started in `serverMode` (`blockingProbe`:
 * also, for some servers, a run of large messages that reports the server's longest event-loop block;
 * `floor`: a server whose figure the `floorFor` servers' overheads are measured above);
 * kind "http": wrk against each server; kind "startup": time to run a console.log script;
 * kind "fanout": bench/pubsub-topics.mjs's workload (4 krandog processes behind one Redis).
 * `value(result)` turns one run's result into the number shown; `higherIsBetter` orients ratios;
 * `rowNotes(runs)`, if any, adds notes drawn from all of a server's runs.
 */
export const WORKLOADS = [
  {
    id: 'echo64',
    title: 'echo 64 B text (50 conn × 16 in flight)',
    kind: 'loadgen',
    serverMode: 'echo',
    load: { mode: 'echo', connections: 50, inFlight: 16, payloadBytes: 64 },
    contenders: WS_SERVERS,
    base: 'ws',
    unit: 'msg/s',
    higherIsBetter: true,
    value: (result) => result.messagesPerSecond,
  },
  {
    id: 'echo4k',
    title: 'echo 4 KiB text (50 conn × 16 in flight)',
    kind: 'loadgen',
    serverMode: 'echo',
    load: { mode: 'echo', connections: 50, inFlight: 16, payloadBytes: 4096 },
    contenders: WS_SERVERS,
    base: 'ws',
    unit: 'msg/s',
    higherIsBetter: true,
    value: (result) => result.messagesPerSecond,
  },
  {
    id: 'broadcast',
    title: 'broadcast 64 B to 500 subscribers',
    kind: 'loadgen',
    serverMode: 'broadcast',
    load: { mode: 'broadcast', connections: 500, inFlight: 16, payloadBytes: 64 },
    contenders: ['krandog', 'krandog-topics', 'ws', 'ws-bufferutil', 'bun', 'deno'],
    base: 'ws',
    unit: 'deliveries/s',
    higherIsBetter: true,
    value: (result) => result.messagesPerSecond,
  },
  {
    id: 'echo1m',
    title: 'echo 1 MiB binary (4 conn × 2 in flight)',
    kind: 'loadgen',
    serverMode: 'echo',
    load: { mode: 'echo', connections: 4, inFlight: 2, payloadBytes: MIB, binary: true },
    contenders: WS_SERVERS,
    base: 'ws',
    unit: 'MB/s',
    higherIsBetter: true,
    value: (result) => result.bytesPerSecond / 1e6,
  },
  {
    id: 'deflate',
    title: 'permessage-deflate chat, 4 KiB text (50 conn × 16 in flight)',
    kind: 'loadgen',
    serverMode: 'deflate',
    load: { mode: 'echo', connections: 50, inFlight: 16, payloadBytes: 4096, deflate: true },
    blockingProbe: {
      contenders: ['krandog', 'ws'],
      label: '4 MiB compressed echoes',
      load: { mode: 'echo', connections: 1, inFlight: 1, payloadBytes: 4 * MIB, deflate: true },
    },
    contenders: WS_SERVERS,
    base: 'ws',
    unit: 'msg/s',
    higherIsBetter: true,
    value: (result) => result.messagesPerSecond,
  },
  {
    id: 'memory',
    title: 'memory per idle connection (5,000 open)',
    kind: 'loadgen',
    serverMode: 'echo',
    load: { mode: 'idle', connections: 5000 },
    contenders: [...WS_SERVERS, 'net'],
    floor: 'net',
    floorFor: ['krandog', 'ws', 'ws-bufferutil'],
    base: 'ws',
    unit: 'KB/conn',
    higherIsBetter: false,
    value: (result) => result.bytesPerConnection / 1000,
  },
  {
    id: 'handshake',
    title: 'handshakes (50 loops: connect, upgrade, 64 B echo, close)',
    kind: 'loadgen',
    serverMode: 'echo',
    load: { mode: 'handshake', connections: 50, payloadBytes: 64 },
    contenders: WS_SERVERS,
    base: 'ws',
    unit: 'handshakes/s',
    higherIsBetter: true,
    value: (result) => result.handshakesPerSecond,
  },
  {
    id: 'http',
    title: 'HTTP hello world (wrk, 50 conn)',
    kind: 'http',
    serverMode: 'http',
    contenders: ['krandog', 'krandog-lean', 'node', 'bun', 'deno'],
    base: 'node',
    unit: 'req/s',
    higherIsBetter: true,
    value: (result) => result.requestsPerSecond,
  },
  {
    id: 'startup',
    title: 'start-up of a console.log script',
    kind: 'startup',
    contenders: ['krandog', 'node', 'bun', 'deno'],
    base: 'node',
    unit: 'ms',
    higherIsBetter: false,
    value: (result) => result.milliseconds,
  },
  {
    id: 'fanout',
    title: 'pub/sub fan-out: 4 processes behind Redis, 1,000 topics, each client on a quarter',
    kind: 'fanout',
    fanout: { rounds: 40, quickRounds: 10, bytes: 64 },
    contenders: ['krandog'],
    unit: 'deliveries/s',
    higherIsBetter: true,
    value: (result) => result.perSecond,
    rowNotes: (runs) => {
      const shares = runs.map((run) => run.shares).filter(Boolean);
      if (shares.length === 0) return [];
      const each = shares[0].map((_, k) => median(shares.map((share) => share[k])));
      return [`Redis bytes per process ÷ all published: ${each.map((share) => share.toFixed(2)).join(' / ')} (goal ≈0.25)`];
    },
  },
  {
    id: 'latency',
    title: 'p99 latency, echo 64 B at the same load',
    kind: 'derived',
    from: 'echo64',
    contenders: WS_SERVERS,
    base: 'ws',
    unit: 'ms',
    higherIsBetter: false,
    value: (result) => result.p99Micros / 1000,
  },
];

export const WORKLOAD_IDS = WORKLOADS.map((workload) => workload.id);
