// krandog as users get it: `npm pack`, then `npm install -g` into a temporary prefix. Every way of
// starting it (./krandog, the installed bin, `npx krandog`, a `#!/usr/bin/env krandog` script)
// must end a script with the same exit code: a CI run must never pass because krandog was started
// another way (a hanging script exited 0 through the npm bin, not through ./krandog).
// ./krandog's cases run while the package is packed and installed; then every installed way's
// cases run at once (each case is a process of its own), and the tests read the results.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, krandogBin, makeTempDir, runKrandogAsync, type RunOptions, type RunResult } from '../helpers/krandog-cli.ts';
import { repoRoot } from '../helpers/repo.ts';

const script = fixture('exit-cases.js');
const expectedExitCodes = {
  pass: 0,
  fail: 1,
  throw: 1,
  hang: 13,
  'test-hang': 1,
  exit: 7,
  signal: 128 + os.constants.signals.SIGTERM,
};
const cacheHome = makeTempDir('krandog-cache-');
/** npm's settings from a surrounding `npm test` must not steer the pack, the install or npx. */
const npmEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.keys(process.env).filter((key) => /^npm_/i.test(key)).map((key) => [key, undefined]));

let prefix = '';

async function installPackage(): Promise<void> {
  const dir = makeTempDir('krandog-install-');
  const npm = async (args: string[]) =>
    (await promisify(execFile)('npm', args, { cwd: repoRoot, env: { ...process.env, ...npmEnv }, encoding: 'utf8', timeout: 120_000 })).stdout;
  // --ignore-scripts: `prepare` would rebuild dist/ under the feet of the other test files; npm test builds first.
  const [packed] = JSON.parse(await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir, '--loglevel=error']));
  const files = packed.files.map((file: { path: string }) => file.path);
  expect(files, 'dist/ missing from the package: run `npm run build` first').toEqual(
    expect.arrayContaining(['bin/krandog.js', 'dist/cli.js', 'dist/cli-full.js', 'dist/runtime/globals.js', 'types/index.d.ts', 'README.md']),
  );
  prefix = path.join(dir, 'prefix');
  // Its dependencies come from npm's cache when it has them (npm ci filled it), else the registry.
  await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', path.join(dir, packed.filename)]);
}

interface Launcher {
  name: string;
  /** Installed from the package (not the checkout's ./krandog). */
  installed: boolean;
  run(args: string[]): Promise<RunResult>;
}

const runWith = (command: string, args: string[], options: RunOptions = {}) =>
  runKrandogAsync(args, { cacheHome, ...options, command, env: { ...npmEnv, ...options.env } });
const installedBin = () => path.join(prefix, 'bin', 'krandog');
const onPath = () => ({ PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH}` });

const launchers: Launcher[] = [
  { name: './krandog', installed: false, run: (args) => runWith(krandogBin, [script, ...args]) },
  { name: 'the installed bin', installed: true, run: (args) => runWith(installedBin(), [script, ...args]) },
  {
    name: 'npx krandog',
    installed: true,
    // --no: never fetch a package called krandog from the registry; use the global install.
    run: (args) => runWith('npx', ['--no', 'krandog', script, ...args], { cwd: makeTempDir(), env: { npm_config_prefix: prefix } }),
  },
  { name: 'a #!/usr/bin/env krandog script', installed: true, run: (args) => runWith(script, args, { env: onPath() }) },
];

/** The exit code a shell would report: 128 + n for a process killed by signal n. */
function exitCode(result: RunResult): number | null {
  return result.signal ? 128 + os.constants.signals[result.signal] : result.status;
}

/** Every case once through `launcher`, all at the same time: the results by case. */
async function runCases(launcher: Launcher): Promise<Record<string, RunResult>> {
  const cases = ['argv0', ...Object.keys(expectedExitCodes)];
  const runs = await Promise.all(cases.map((name) => launcher.run([name])));
  return Object.fromEntries(cases.map((name, index) => [name, runs[index]]));
}

const runsOf = new Map<Launcher, Promise<Record<string, RunResult>>>();
const startCases = (launcher: Launcher) => {
  const runs = runCases(launcher);
  runs.catch(() => {}); // read (and failed on) by the launcher's own beforeAll
  runsOf.set(launcher, runs);
};

beforeAll(async () => {
  for (const launcher of launchers) if (!launcher.installed) startCases(launcher);
  await installPackage();
  for (const launcher of launchers) if (launcher.installed) startCases(launcher);
}, 240_000);

describe.each(launchers)('started as $name', (launcher) => {
  const results: Record<string, RunResult> = {};
  beforeAll(async () => {
    Object.assign(results, await runsOf.get(launcher));
  }, 120_000);

  it('runs the installed copy', () => {
    const result = results.argv0;
    expect(result).toMatchObject({ status: 0, stderr: '' });
    const krandogRoot = realpathSync(launcher.installed ? path.join(prefix, 'lib/node_modules/krandog') : repoRoot);
    expect(realpathSync(result.stdout.trim()).startsWith(krandogRoot + path.sep)).toBe(true);
  });

  it('gives pass 0, fail 1, throw 1, hang 13, a test that never settles 1, process.exit(7) 7, SIGTERM 143', () => {
    const codes = Object.fromEntries(Object.keys(expectedExitCodes).map((name) => [name, exitCode(results[name])]));
    expect(codes).toEqual(expectedExitCodes);
  });

  it('names the unsettled top-level await in one line on stderr', () => {
    expect(results.hang.stderr).toBe(`krandog: the top-level await in ${script} never settled, and nothing else was left to run (exit code 13)\n`);
  });
});
