// Installs and locates the servers krandog is compared with. They live in bench/.peers (gitignored)
// and are installed on demand, never by `npm ci`. A peer that cannot be had is reported with the
// reason and its rows print "n/a"; the bench goes on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PEERS_DIR = path.join(BENCH_DIR, '.peers');
const MODULES = path.join(PEERS_DIR, 'node_modules');
const NPM_PACKAGES = ['ws@8', 'bufferutil@4', 'bun', 'deno'];

/** Runs a command quietly; returns `{ ok, out, reason }` with the last error line as the reason. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 300_000, ...options });
  const out = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error) return { ok: false, out, reason: result.error.message };
  if (result.status !== 0) {
    const lines = out.trim().split('\n').filter((line) => /err|fail|not found|unable/i.test(line));
    return { ok: false, out, reason: (lines.at(-1) ?? out.trim().split('\n').at(-1) ?? `exit ${result.status}`).trim() };
  }
  return { ok: true, out, reason: '' };
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(MODULES, name, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * npm-installs the peers that are missing. npm 11 does not run dependencies' install scripts
 * unless approved; none is needed here (see `locateBinary`), so none is approved.
 */
function installNpmPeers(log) {
  const missing = NPM_PACKAGES.filter((spec) => packageVersion(spec.replace(/@\d+$/, '')) === undefined);
  if (missing.length === 0) return {};
  mkdirSync(PEERS_DIR, { recursive: true });
  const manifest = path.join(PEERS_DIR, 'package.json');
  if (!existsSync(manifest)) writeFileSync(manifest, JSON.stringify({ name: 'krandog-bench-peers', private: true }, null, 2) + '\n');
  log(`installing ${missing.join(', ')} into bench/.peers …`);
  const npmArgs = ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', '--loglevel=error'];
  if (run('npm', [...npmArgs, ...missing]).ok) return {};
  // Together they failed: install one by one so one bad package does not take the others down.
  const failures = {};
  for (const spec of missing) {
    const result = run('npm', [...npmArgs, spec]);
    if (!result.ok) failures[spec.replace(/@\d+$/, '')] = `npm install ${spec} failed: ${result.reason}`;
  }
  return failures;
}

/** The first candidate that runs `--version`, as `{ bin, version }`, or null. */
function firstWorking(candidates) {
  for (const bin of candidates) {
    if (!existsSync(bin)) continue;
    const result = run(bin, ['--version'], { timeout: 30_000 });
    if (result.ok) return { bin, version: result.out.trim().split('\n')[0] };
  }
  return null;
}

/**
 * Finds Bun's or Deno's executable. Their npm packages ship it in a per-platform package
 * (@oven/bun-linux-x64, @deno/linux-x64-glibc) and normally link it into place with a postinstall
 * script. If no candidate runs, that postinstall is run by hand (the equivalent of approving it).
 */
function locateBinary(name, candidates, postinstall) {
  let found = firstWorking(candidates);
  if (!found && postinstall && existsSync(path.join(MODULES, name, postinstall))) {
    run(process.execPath, [postinstall], { cwd: path.join(MODULES, name) });
    found = firstWorking(candidates);
  }
  return found ?? { reason: `no runnable ${name} executable in bench/.peers (tried ${candidates.map((c) => path.relative(PEERS_DIR, c)).join(', ')})` };
}

function platformTriples() {
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  return { bun: `bun-${process.platform}-${arch}`, deno: `${process.platform}-${process.arch}` };
}

function hasCommand(name) {
  return run('sh', ['-c', `command -v ${name}`]).ok;
}

/** wrk from the system, or from Debian's package when we may install it. */
function locateWrk(log, install) {
  if (!hasCommand('wrk') && install && hasCommand('apt-get') && process.getuid?.() === 0) {
    log('installing wrk with apt-get …');
    if (!run('apt-get', ['install', '-y', '-q', 'wrk']).ok) {
      run('apt-get', ['update', '-q']);
      run('apt-get', ['install', '-y', '-q', 'wrk']);
    }
  }
  if (!hasCommand('wrk')) return { reason: 'wrk is not installed (apt-get install wrk)' };
  const version = run('sh', ['-c', 'wrk -v 2>&1 | head -1']).out.trim().split(' ').slice(0, 2).join(' ');
  return { bin: 'wrk', version };
}

/**
 * Everything the bench compares with: `{ name: { bin?, version?, reason? } }`, where `reason`
 * says why a peer is unavailable.
 */
export function preparePeers({ install = true, log = console.error } = {}) {
  const failures = install ? installNpmPeers(log) : {};
  const triple = platformTriples();
  const peers = {};
  const wsVersion = packageVersion('ws');
  peers.ws = wsVersion ? { version: `ws ${wsVersion}` } : { reason: failures.ws ?? 'ws is not installed in bench/.peers' };
  const bufferutilVersion = packageVersion('bufferutil');
  peers.bufferutil = bufferutilVersion && wsVersion
    ? { version: `bufferutil ${bufferutilVersion}` }
    : { reason: failures.bufferutil ?? 'bufferutil is not installed in bench/.peers' };
  const bun = locateBinary('bun', [
    path.join(MODULES, '@oven', triple.bun, 'bin', 'bun'),
    path.join(MODULES, 'bun', 'bin', 'bun.exe'),
    path.join(MODULES, '.bin', 'bun'),
  ], 'install.js');
  peers.bun = bun.bin ? { bin: bun.bin, version: `Bun ${bun.version}` } : { reason: failures.bun ?? bun.reason };
  const deno = locateBinary('deno', [
    path.join(MODULES, '@deno', `${triple.deno}-glibc`, 'deno'),
    path.join(MODULES, '@deno', triple.deno, 'deno'),
    path.join(MODULES, 'deno', 'deno'),
  ], 'install.cjs');
  peers.deno = deno.bin ? { bin: deno.bin, version: deno.version.replace(/ \(.*/, '').replace('deno', 'Deno') } : { reason: failures.deno ?? deno.reason };
  peers.wrk = locateWrk(log, install);
  peers.node = { bin: process.execPath, version: `Node ${process.version}` };
  return peers;
}

/** Whether servers and load generators can be pinned to cores 0 and 1. */
export function canPin() {
  return hasCommand('taskset') && run('taskset', ['-c', '1', 'true']).ok;
}
