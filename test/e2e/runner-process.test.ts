// The script's process: argv, exit codes, uncaught errors with mapped stacks, esbuild's errors,
// and krandog's own command-line errors. Each run is a process of its own, with its own script
// file: the tests run at the same time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, krandogBin, krandogEnv, makeTempDir, runKrandogAsync, startKrandog, type RunOptions } from '../helpers/krandog-cli.ts';
import { repoRoot } from '../helpers/repo.ts';

const cacheHome = makeTempDir('krandog-cache-');
const run = (args: string[], env?: NodeJS.ProcessEnv, options: RunOptions = {}) => runKrandogAsync(args, { cacheHome, env, ...options });
/** Frames that belong to krandog or Node, never to be shown to the user. */
const INTERNAL_FRAME = new RegExp(`dist/cli\\.js|dist/runtime|${repoRoot}runtime/|node:|krandog/bundles|krandog:`);

describe.concurrent('process.argv', () => {
  it('is [krandog executable, absolute script path, ...every argument after the script]', async () => {
    const result = await run(['test/fixtures/runner/argv.js', 'one', '--watch', '-v', '--', 'two words']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([krandogBin, fixture('argv.js'), 'one', '--watch', '-v', '--', 'two words']);
  });

  it('names bin/krandog.js when krandog is started through it (npm link, global install)', async () => {
    const result = await run([path.join(repoRoot, 'bin/krandog.js'), fixture('argv.js')], undefined, { command: process.execPath });
    expect(JSON.parse(result.stdout)[0]).toBe(path.join(repoRoot, 'bin/krandog.js'));
  });
});

describe.concurrent('process.env', () => {
  const launcherEnv = async (env?: NodeJS.ProcessEnv, options: RunOptions = {}) => {
    const result = await run([fixture('launcher-env.js')], env, options);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    return JSON.parse(result.stdout);
  };

  it("holds none of the launcher's own variables, and Node 22+ keeps its compile cache next to the bundles", async () => {
    // A cache of its own: no other test's run may be what made the compile cache.
    const ownCache = makeTempDir('krandog-cache-');
    expect(await launcherEnv(undefined, { cacheHome: ownCache })).toEqual({});
    // Node 20 has no compile cache; the variable does nothing there.
    if (process.getBuiltinModule?.('node:module').enableCompileCache) {
      expect(existsSync(path.join(ownCache, 'krandog/compile'))).toBe(true);
    }
  });

  it('keeps a NODE_COMPILE_CACHE the caller chose', async () => {
    const chosen = makeTempDir('krandog-compile-cache-');
    expect(await launcherEnv({ NODE_COMPILE_CACHE: chosen })).toEqual({ NODE_COMPILE_CACHE: chosen });
  });
});

describe.concurrent('exit codes', () => {
  it.each([
    [0, 'now'],
    [3, 'now'],
    [42, 'async'],
  ])('process.exit(%i) (%s) exits with that code', async (code, when) => {
    const result = await run([fixture('exit-code.js'), String(code), when]);
    expect(result.status).toBe(code);
    expect(result.stdout).toBe('');
  });

  it('exits by itself when nothing is pending', async () => {
    expect((await run([fixture('top-level-await.mjs')])).status).toBe(0);
  });
});

describe.concurrent('a top-level await that never settles', () => {
  const dir = makeTempDir();
  const script = (name: string, source: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, source);
    return file;
  };
  const unsettled = 'await new Promise(() => {});\n';
  const viaBin = (args: string[]) => run([path.join(repoRoot, 'bin/krandog.js'), ...args], undefined, { command: process.execPath });

  it('exits 13 with one line naming the script, through ./krandog and through bin/krandog.js alike', async () => {
    const file = script('hang.js', `console.log('started');\n${unsettled}console.log('not reached');\n`);
    const message = `krandog: the top-level await in ${file} never settled, and nothing else was left to run (exit code 13)\n`;
    for (const result of await Promise.all([run([file]), viaBin([file])])) {
      expect(result).toMatchObject({ status: 13, stdout: 'started\n', stderr: message });
    }
  });

  it('keeps the exit the script chose: process.exit() with or without a code, process.exitCode', async () => {
    const cases: Array<[string, number]> = [
      ['setTimeout(() => process.exit(), 5);\n', 0],
      ['setTimeout(() => process.exit(0), 5);\n', 0],
      ['setTimeout(() => process.exit(4), 5);\n', 4],
      ['process.exitCode = 0;\n', 0],
      ['process.exitCode = 5;\n', 5],
    ];
    const results = await Promise.all(cases.map(([prelude], index) => viaBin([script(`chooses-${index}.js`, prelude + unsettled)])));
    cases.forEach(([prelude, code], index) => {
      const result = results[index];
      expect({ prelude, status: result.status, stderr: result.stderr }).toEqual({ prelude, status: code, stderr: '' });
    });
  });

  it('is an uncaught error (exit 1) when the awaited promise rejects, and no hang once it settles', async () => {
    const [rejected, exited] = await Promise.all([
      viaBin([script('rejects.js', "await new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 5));\n")]),
      // process.exit() during the evaluation, after an await (the evaluation has not settled yet).
      viaBin([script('exits.js', 'await null;\nprocess.exit();\n')]),
    ]);
    expect(rejected.status).toBe(1);
    expect(rejected.stderr).toContain('Error: late');
    expect(rejected.stderr).not.toContain('never settled');
    expect(exited).toMatchObject({ status: 0, stderr: '' });
  });

  it('runs the script in its own process: no child, same PID, its signals', async () => {
    const dir = makeTempDir();
    const script = path.join(dir, 'wait.js');
    writeFileSync(script, 'console.log(`pid ${process.pid}`); setInterval(() => {}, 1000);\n');
    const live = startKrandog([script], { cacheHome });
    const [, pid] = await live.waitFor(/pid (\d+)/);
    expect(Number(pid)).toBe(live.child.pid);
    live.child.kill('SIGTERM');
    expect(await live.exited).toEqual({ code: null, signal: 'SIGTERM' });
  });
});

describe.concurrent('no helper processes', () => {
  it.skipIf(process.platform !== 'linux')('a first run bundles with esbuild and stops it before the script starts', async () => {
    const result = await runKrandogAsync([fixture('children.js')]); // a fresh cache: this run bundles
    expect(result).toMatchObject({ status: 0, stdout: 'children: 0\n' });
  });
});

describe.concurrent('uncaught errors', () => {
  it.each([
    ['now', 'exploded at top level', 'lib/explode.ts:2:9', 'runtime-error.ts:8:29'],
    ['later', 'exploded in a timer', 'lib/explode.ts:2:9', 'runtime-error.ts:9:48'],
    ['rejection', 'rejected promise', 'runtime-error.ts:10:50', undefined],
  ])('%s: prints the error with its stack mapped to the .ts sources, exit 1', async (when, message, top, caller) => {
    const result = await run([fixture('runtime-error.ts'), when]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`Error: ${message}`);
    const frames = result.stderr.split('\n').filter((line) => /^\s+at /.test(line));
    expect(frames[0]).toContain(`${fixture(top)})`);
    if (caller) expect(frames[1]).toContain(`${fixture(caller)})`);
    for (const frame of frames) expect(frame).not.toMatch(INTERNAL_FRAME);
    // Like Node: the source line and a caret under the column, first.
    const [file, line] = top.split(':');
    expect(result.stderr.startsWith(`${fixture(file)}:${line}\n`)).toBe(true);
  });

  it("shows an error thrown inside krandog's runtime at the script's line, without the runtime's frames", async () => {
    const script = path.join(makeTempDir(), 'send-too-early.js');
    writeFileSync(script, "const ws = new WebSocket('ws://127.0.0.1:9');\nws.send('too early');\n");
    const result = await run([script]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `${script}:2\nws.send('too early');\n   ^\n\n` +
        `DOMException [InvalidStateError]: WebSocket is still connecting\n    at <anonymous> (${script}:2:4)\n`,
    );
  });

  it('leaves the error to a script that handles uncaughtException itself', async () => {
    const dir = makeTempDir();
    const script = path.join(dir, 'own-handler.js');
    writeFileSync(
      script,
      "process.on('uncaughtException', (e) => console.log('handled', e.message));\n" +
        "setTimeout(() => { throw new Error('boom'); }, 1);\nsetTimeout(() => console.log('still running'), 30);\n",
    );
    expect(await run([script])).toMatchObject({ status: 0, stdout: 'handled boom\nstill running\n', stderr: '' });
    // A throw at the top level reaches it too, as under plain Node.
    writeFileSync(script, "process.on('uncaughtException', (e) => console.log('handled', e.message));\nthrow new Error('top');\n");
    expect(await run([script])).toMatchObject({ status: 0, stdout: 'handled top\n', stderr: '' });
  });
});

describe.concurrent('bundling errors', () => {
  it("prints esbuild's message for a syntax error (file, line, column, code line), exit 1, no colour", async () => {
    const result = await run(['test/fixtures/runner/syntax-error.js']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('[ERROR] Unexpected "="');
    expect(result.stderr).toContain('test/fixtures/runner/syntax-error.js:2:15:');
    expect(result.stderr).toContain('2 │ const broken = = 2;');
    expect(result.stderr).not.toContain('\x1b[');
  });

  it('prints the unresolved import with its location', async () => {
    const result = await run([fixture('missing-import.js')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Could not resolve "./lib/does-not-exist.js"');
    expect(result.stderr).toMatch(/missing-import\.js:1:24:/);
  });

  it("advises installing a package it cannot find, not esbuild's `external` option", async () => {
    const script = path.join(makeTempDir(), 'uses-missing-package.js');
    writeFileSync(script, "import pad from '@krandog-test/no-such-package/pad';\nconsole.log(pad);\n");
    const result = await run([script]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Could not resolve "@krandog-test/no-such-package/pad"');
    expect(result.stderr).toContain('install it (npm install @krandog-test/no-such-package), or check the name.');
    expect(result.stderr).not.toContain('external');
  });

  it('tells a shebang script without an extension that fails on TypeScript syntax to be named .ts', async () => {
    const dir = makeTempDir();
    writeFileSync(path.join(dir, 'serve-it'), '#!/usr/bin/env krandog\nconst port: number = 3000;\nconsole.log(port);\n');
    // A JavaScript mistake gets no such hint.
    writeFileSync(path.join(dir, 'broken-js'), '#!/usr/bin/env krandog\nconst port = = 3000;\n');
    const [result, broken] = await Promise.all([run([path.join(dir, 'serve-it')]), run([path.join(dir, 'broken-js')])]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('serve-it:2:10:');
    expect(result.stderr).toContain('krandog reads a file without an extension as JavaScript; name it serve-it.ts to use TypeScript.');
    expect(broken.status).toBe(1);
    expect(broken.stderr).toContain('broken-js:2:13:');
    expect(broken.stderr).not.toContain('TypeScript');
  });
});

describe.concurrent('command line', () => {
  it.each([
    [['--nope', 'x.js'], /^krandog: unknown option '--nope'/],
    [[], /^krandog: missing required argument 'script'/],
    [['--watch'], /^krandog: missing required argument 'script'/],
    [['test/fixtures/runner/no-such-script.js'], /^krandog: cannot find script 'test\/fixtures\/runner\/no-such-script\.js'/],
    [['test/fixtures/runner'], /^krandog: 'test\/fixtures\/runner' is not a file/],
  ])('krandog %j: one line on stderr, exit 2', async (args, message) => {
    const result = await run(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--version prints the version from package.json', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    const [long, short] = await Promise.all([run(['--version']), run(['-v'])]);
    expect(long).toMatchObject({ status: 0, stdout: `${version}\n` });
    expect(short.stdout).toBe(`${version}\n`);
  });

  it('--help shows usage, every option, environment variables and examples', async () => {
    const [result, short] = await Promise.all([run(['--help']), run(['-h'])]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: krandog \[options\] <script> \[args\.\.\.\]\n/);
    for (const text of ['--watch', '--no-cache', '--version', '--outfile <file>', 'NO_COLOR', 'XDG_CACHE_HOME', 'Examples:', 'krandog build']) {
      expect(result.stdout).toContain(text);
    }
    expect(short.stdout).toBe(result.stdout);
  });

  it('options after the script name belong to the script', async () => {
    const result = await run([fixture('argv.js'), '--help', '--version']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).slice(2)).toEqual(['--help', '--version']);
  });
});

describe.concurrent('colour', () => {
  // util-linux `script` gives the command a pseudo-terminal, where colour is allowed.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  /** What the command printed to the pseudo-terminal (stdout and stderr both go there). */
  const inTerminal = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
    const command = [krandogBin, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: krandogEnv({ cacheHome, env }) });
    child.stdin!.end(); // as spawnSync did: an empty, ended stdin
    child.stderr!.resume();
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', () => resolve(stdout));
    });
  };

  it.skipIf(!hasScript)('is used on a terminal and turned off by NO_COLOR', async () => {
    const [syntax, syntaxNoColor, tests, testsNoColor] = await Promise.all([
      inTerminal([fixture('syntax-error.js')]),
      inTerminal([fixture('syntax-error.js')], { NO_COLOR: '1' }),
      inTerminal([fixture('tests-pass.js')]),
      inTerminal([fixture('tests-pass.js')], { NO_COLOR: '1' }),
    ]);
    expect(syntax).toContain('\x1b[');
    expect(syntaxNoColor).not.toContain('\x1b[');
    expect(tests).toContain('\x1b[32m  ✓ adds numbers\x1b[39m');
    expect(testsNoColor).not.toContain('\x1b[');
  });

  it('is off when stdout and stderr are not terminals', async () => {
    const results = await Promise.all(['syntax-error.js', 'tests-fail.js', 'runtime-error.ts'].map((file) => run([fixture(file)])));
    for (const result of results) expect(result.stdout + result.stderr).not.toContain('\x1b[');
  });
});
