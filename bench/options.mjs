// Command-line options of `npm run bench -- [options]`.
import { parseArgs } from 'node:util';
import { CONTENDER_IDS } from './contenders.mjs';
import { WORKLOAD_IDS } from './workloads.mjs';

export const USAGE = `Usage: npm run bench -- [options]

  --quick            one short run per row (a smoke test, not numbers to quote)
  --only LIST        rows to run: ${WORKLOAD_IDS.join(',')}
  --peers LIST       servers to run: ${CONTENDER_IDS.join(',')}
  --runs N           timed runs per row and server (default 3; start-up: at least 10)
  --duration S       seconds per timed run (default 5)
  --warmup S         seconds of warm-up before each timed run (default 2)
  --out FILE         where to write the markdown report
  --codec            run the codec microbenchmarks (bench/codec.mjs) instead
  --startup          only start-up: krandog (cached, first run) against node on Node 20, 22
                     and 24 (installed with scripts/install-node.mjs); --runs N (default 20)
  --profile          write CPU profiles of the krandog servers to bench/.peers/profiles
                     (summary: node bench/profile-summary.mjs FILE.cpuprofile)
  --no-build         do not run \`node build.mjs\` first
  --no-install       do not install missing peers
  -h, --help         this text

A full run (no --quick, --only, --peers, fewer runs or shorter durations) writes bench/results.md;
any other run writes bench/.peers/results-partial.md unless --out says otherwise.`;

function list(value, known, what) {
  if (value === undefined) return known;
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  const unknown = items.filter((item) => !known.includes(item));
  if (unknown.length > 0) throw new Error(`unknown ${what}: ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return items;
}

function positiveNumber(value, fallback, name) {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number, got ${value}`);
  return number;
}

/** Parses argv into the bench's settings; throws with a readable message on bad input. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      peers: { type: 'string' },
      runs: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
      codec: { type: 'boolean', default: false },
      startup: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const quick = values.quick;
  const runs = Math.round(positiveNumber(values.runs, quick ? 1 : 3, 'runs'));
  const durationMs = positiveNumber(values.duration, quick ? 2 : 5, 'duration') * 1000;
  const warmupMs = positiveNumber(values.warmup, quick ? 1 : 2, 'warmup') * 1000;
  const workloads = list(values.only, WORKLOAD_IDS, 'row');
  const peers = list(values.peers, CONTENDER_IDS, 'server');
  const complete = !quick && values.only === undefined && values.peers === undefined && runs >= 3 && durationMs >= 5000 && warmupMs >= 2000;
  return {
    help: values.help,
    codec: values.codec,
    startup: values.startup,
    startupVersionRuns: Math.round(positiveNumber(values.runs, quick ? 5 : 20, 'runs')),
    quick,
    runs,
    startupRuns: Math.max(runs, quick ? 3 : 10),
    durationMs,
    warmupMs,
    settleMs: quick ? 1000 : 2000,
    workloads,
    peers,
    complete,
    out: values.out,
    profile: values.profile,
    build: !values['no-build'],
    install: !values['no-install'],
  };
}
