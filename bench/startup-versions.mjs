// `npm run bench -- --startup`: krandog's start-up against plain node on each Node version that
// .ci/run tests (20, 22, 24), for the same one-line script `hello.js` in a folder with no
// package.json (CommonJS to node, as in a fresh project). Per version: `node hello.js`,
// `./krandog hello.js` with a warm bundle cache, and with an empty one (the first run, which
// bundles). Runs are interleaved across versions and variants, so a busy moment of the shared
// machine hits all of them alike; the table gives medians and the ratios to node.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from './contenders.mjs';
import { median } from './stats.mjs';

export const STARTUP_NODE_VERSIONS = ['20', '22', '24'];

/** The `node` binary of a major version: this one, or one from scripts/install-node.mjs. */
function nodeBinary(version, install, log) {
  if (process.versions.node.split('.')[0] === version) return { bin: process.execPath };
  const args = [path.join(REPO_ROOT, 'scripts', 'install-node.mjs'), version];
  if (!install) {
    // install-node.mjs reuses an installed binary; without --no-install it may also fetch one.
    return { reason: 'not installed (run without --no-install)' };
  }
  log(`[startup] node ${version}: node scripts/install-node.mjs ${version} …`);
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) return { reason: `scripts/install-node.mjs ${version} failed` };
  return { bin: path.join(result.stdout.trim(), 'node') };
}

function timed(command, args, env) {
  const started = performance.now();
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  const milliseconds = performance.now() - started;
  const ok = result.status === 0 && result.stdout === 'hello\n';
  return { milliseconds, ok, detail: ok ? '' : `exit ${result.status}: ${(result.stderr || result.stdout).trim().split('\n').at(-1) ?? ''}` };
}

/**
 * Measures every version `runs` times (after two warm-up rounds) and returns the rows
 * `{ version, nodeVersion, node, cached, firstRun }` (median milliseconds), or `{ version, reason }`.
 */
export function measureStartupVersions({ runs, install, log, versions = STARTUP_NODE_VERSIONS }) {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'krandog-bench-startup-'));
  try {
    const script = path.join(scratch, 'app', 'hello.js');
    mkdirSync(path.dirname(script));
    writeFileSync(script, "console.log('hello');\n");
    const launcher = path.join(REPO_ROOT, 'krandog');
    const targets = versions.map((version) => {
      const { bin, reason } = nodeBinary(version, install, log);
      if (!bin) return { version, reason };
      const nodeVersion = spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.trim();
      // ./krandog runs the `node` first on PATH; each version gets its own warm cache.
      const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH}`, XDG_CACHE_HOME: path.join(scratch, `cache-${version}`) };
      const variants = {
        node: () => timed(bin, [script], env),
        cached: () => timed(launcher, [script], env),
        firstRun: () => {
          const cache = mkdtempSync(path.join(scratch, 'fresh-'));
          try {
            return timed(launcher, [script], { ...env, XDG_CACHE_HOME: cache });
          } finally {
            rmSync(cache, { recursive: true, force: true });
          }
        },
      };
      return { version, nodeVersion, variants, times: { node: [], cached: [], firstRun: [] }, failure: undefined };
    });
    const working = () => targets.filter((target) => target.variants && !target.failure);
    for (let round = -2; round < runs; round++) {
      for (const target of working()) {
        for (const [name, run] of Object.entries(target.variants)) {
          const { milliseconds, ok, detail } = run();
          if (!ok) target.failure = `${name}: ${detail}`;
          else if (round >= 0) target.times[name].push(milliseconds);
        }
      }
      if (round >= 0 && (round + 1) % 5 === 0) log(`[startup] ${round + 1}/${runs} rounds`);
    }
    return targets.map((target) => {
      if (!target.variants || target.failure) return { version: target.version, reason: target.reason ?? target.failure };
      const [node, cached, firstRun] = ['node', 'cached', 'firstRun'].map((name) => median(target.times[name]));
      return { version: target.version, nodeVersion: target.nodeVersion, node, cached, firstRun, runs };
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The rows as a markdown table. */
export function startupVersionsTable(rows) {
  const ms = (value) => `${value.toFixed(1)} ms`;
  const lines = [
    '| Node | `node hello.js` | `./krandog hello.js`, cached | ratio | first run (empty cache) | ratio |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    if (row.reason) lines.push(`| ${row.version} | n/a: ${row.reason.replaceAll('|', '\\|')} | | | | |`);
    else lines.push(`| ${row.nodeVersion} | ${ms(row.node)} | ${ms(row.cached)} | ${(row.cached / row.node).toFixed(2)}× | ${ms(row.firstRun)} | ${(row.firstRun / row.node).toFixed(2)}× |`);
  }
  return lines.join('\n');
}
