// Start-up time: wall-clock from spawn to exit of a script that prints one line, run by krandog
// (with a warm bundle cache and with an empty one), node, bun and deno. Runs are interleaved across
// the variants so that a busy moment of the machine hits all of them alike.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_DIR, PEERS_DIR } from './peers.mjs';
import { REPO_ROOT } from './contenders.mjs';

const SCRIPT = path.join(BENCH_DIR, 'startup', 'hello.mjs');
const EXPECTED_OUTPUT = 'hello';

/** The commands timed for each start-up contender: krandog has two, cached and uncached. */
export function startupVariants(contenderIds, peers) {
  const variants = [];
  for (const id of contenderIds) {
    if (id === 'krandog') {
      const krandog = { command: path.join(REPO_ROOT, 'krandog'), args: [SCRIPT] };
      variants.push({ id, key: 'krandog-cached', label: 'krandog (cached)', ...krandog, cache: 'warm' });
      variants.push({ id, key: 'krandog-uncached', label: 'krandog (uncached)', ...krandog, cache: 'fresh' });
    } else if (id === 'node') {
      variants.push({ id, key: 'node', label: 'node', command: peers.node.bin, args: [SCRIPT] });
    } else if (id === 'bun') {
      variants.push({ id, key: 'bun', label: 'Bun', command: peers.bun.bin, args: [SCRIPT] });
    } else if (id === 'deno') {
      variants.push({ id, key: 'deno', label: 'Deno', command: peers.deno.bin, args: ['run', SCRIPT], env: { DENO_NO_UPDATE_CHECK: '1' } });
    }
  }
  return variants;
}

/** A cache folder for krandog: the same warm one each time, or a new empty one per run. */
function cacheFor(variant, scratch) {
  if (variant.cache === 'warm') return path.join(scratch, 'warm');
  if (variant.cache === 'fresh') return mkdtempSync(path.join(scratch, 'fresh-'));
  return undefined;
}

function runOnce(variant, scratch, stdio) {
  const cache = cacheFor(variant, scratch);
  const env = { ...process.env, ...variant.env, ...(cache ? { XDG_CACHE_HOME: cache } : {}) };
  const started = performance.now();
  const result = spawnSync(variant.command, variant.args, { env, stdio, encoding: 'utf8', timeout: 60_000 });
  const milliseconds = performance.now() - started;
  if (variant.cache === 'fresh') rmSync(cache, { recursive: true, force: true });
  return { result, milliseconds };
}

/**
 * Times every variant `runs` times after `warmups` untimed runs (which also fill the warm cache).
 * Returns `Map(key → { variant, runs: [{ milliseconds }], failure? })`.
 */
export function measureStartup(variants, { runs, warmups }) {
  const scratch = path.join(PEERS_DIR, 'startup-cache');
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const outcomes = new Map();
  for (const variant of variants) {
    const { result } = runOnce(variant, scratch, ['ignore', 'pipe', 'pipe']);
    const failure = result.error?.message
      ?? (result.status !== 0 || !result.stdout.includes(EXPECTED_OUTPUT)
        ? `exit ${result.status}: ${(result.stderr || result.stdout).trim().split('\n').at(-1) ?? ''}`
        : undefined);
    outcomes.set(variant.key, { variant, runs: [], failure });
  }
  const working = variants.filter((variant) => !outcomes.get(variant.key).failure);
  for (let i = 0; i < warmups; i++) for (const variant of working) runOnce(variant, scratch, 'ignore');
  for (let i = 0; i < runs; i++) {
    for (const variant of working) {
      const { result, milliseconds } = runOnce(variant, scratch, 'ignore');
      if (result.status === 0) outcomes.get(variant.key).runs.push({ milliseconds });
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  return outcomes;
}
