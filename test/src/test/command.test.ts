// `krandog test` through the real ./krandog: each file in its own process, the verdict per file,
// the reports and the exit code. Test files are written to a temporary project per test, so the
// tests share nothing but the bundle cache (written atomically) and run at the same time.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, makeTempDir, runKrandogAsync, startKrandog, type RunResult } from '../../helpers/krandog-cli.ts';
import { parseXml } from '../../helpers/xml.ts';

const cacheHome = makeTempDir('krandog-cache-');

/** A folder with these files (relative path → source). */
function project(files: Record<string, string>): string {
  const dir = makeTempDir('krandog-tests-');
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), source);
  }
  return dir;
}

function krandogTest(dir: string, ...args: string[]): Promise<RunResult> {
  return runKrandogAsync(['test', ...args], { cwd: dir, cacheHome, env: { NO_COLOR: '1' } });
}

const PASSING = "test('adds', () => assertEqual(1 + 1, 2));\ntest('awaits', async () => { await new Promise((r) => setTimeout(r, 5)); });\n";

describe.concurrent('krandog test', () => {
  it('runs the test files it finds, and exits 0 when every test passed', async () => {
    const dir = project({
      'math.test.js': PASSING,
      'types.test.ts': "const n: number = 2;\ntest('typed', () => assertEqual(n, 2));\n",
      'test/under-test-folder.mjs': "test('found', () => {});\n",
      'lib/helper.js': "throw new Error('not a test file: never run');\n",
      'node_modules/pkg/x.test.js': "throw new Error('inside node_modules: never run');\n",
    });
    const result = await krandogTest(dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.filter((line) => line.startsWith('✓ ')).map((line) => line.split(' (')[0])).toEqual([
      '✓ math.test.js',
      '✓ test/under-test-folder.mjs',
      '✓ types.test.ts',
    ]);
    expect(result.stdout).toContain('✓ math.test.js (2 tests, ');
    expect(result.stdout).toMatch(/\nTests  4 passed, 0 failed\nFiles  3 passed, 0 failed\nTime   \d+\.\d\d s\nPASS\n$/);
  });

  it('fails a failing, throwing, crashing or empty file, each with its own line, and shows a failing file’s output', async () => {
    const dir = project({
      'a-pass.test.js': "console.log('quiet when passing');\n" + PASSING,
      'b-fail.test.js': "console.log('printed by b');\ntest('ok', () => {});\ntest('compares', () => assertEqual(2, 3));\ntest('throws', () => { throw new TypeError('not a function'); });\n",
      'c-crash.test.js': "test('crashes', async () => { setTimeout(() => { throw new Error('boom'); }, 1); await new Promise(() => {}); });\n",
      'd-empty.test.js': "console.log('no tests here');\n",
      'e-exit.test.js': "test('exits', () => process.exit(0));\ntest('never reached', () => {});\n",
      'f-syntax.test.js': 'const x = ;\n',
    });
    const result = await krandogTest(dir);
    expect(result.status).toBe(1);
    const out = result.stdout;
    expect(out).toContain('✓ a-pass.test.js (2 tests');
    expect(out).not.toContain('quiet when passing');
    expect(out).toMatch(/✗ b-fail\.test\.js \(2 of 3 tests failed, \d+ ms\)\n {4}✗ compares\n {8}expected 3, got 2\n {8}at b-fail\.test\.js:3:/);
    expect(out).toContain('    ✗ throws\n        TypeError: not a function\n');
    expect(out).toContain('    │ printed by b\n');
    expect(out).toContain('✗ c-crash.test.js (1 of 1 test failed, ');
    expect(out).toMatch(/c-crash\.test\.js.*: exited with code 1 during "crashes"/);
    expect(out).toContain('    │ Error: boom');
    expect(out).toMatch(/✗ d-empty\.test\.js \(0 tests, \d+ ms\): registered no tests/);
    expect(out).toMatch(/✗ e-exit\.test\.js .*: exited with code 0 during "exits"/);
    expect(out).toMatch(/✗ f-syntax\.test\.js .*: does not build/);
    expect(out).toContain('f-syntax.test.js:1:10');
    // The summary: every failure on one line, then the counts.
    const summary = out.slice(out.indexOf('\nFailures'));
    expect(summary.split('\n').filter((line) => line.startsWith('  ✗ '))).toEqual([
      '  ✗ b-fail.test.js › compares: expected 3, got 2',
      '  ✗ b-fail.test.js › throws: TypeError: not a function',
      '  ✗ c-crash.test.js › crashes: did not finish: the process exited with code 1 during "crashes"',
      '  ✗ c-crash.test.js: exited with code 1 during "crashes"',
      '  ✗ d-empty.test.js: registered no tests',
      '  ✗ e-exit.test.js › exits: did not finish: the process exited with code 0 during "exits"',
      '  ✗ e-exit.test.js: exited with code 0 during "exits"',
      '  ✗ f-syntax.test.js: does not build',
    ]);
    expect(summary).toMatch(/Tests {2}3 passed, 4 failed\nFiles {2}1 passed, 5 failed\n.*\nFAIL\n$/);
  });

  it('fails an async test that outlives --timeout, naming it, and goes on with the next', async () => {
    const dir = project({ 'slow.test.js': "test('waits forever', () => new Promise(() => {}));\ntest('next', () => {});\n" });
    const result = await krandogTest(dir, '--timeout', '300');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('  ✗ slow.test.js › waits forever: timed out after 300 ms');
    expect(result.stdout).toContain('Tests  1 passed, 1 failed');
  });

  it('kills a file stuck in a test, idle before its first, or kept alive after its last, and says which', async () => {
    const dir = project({
      'busy.test.js': "test('spins', () => { for (;;) {} });\n",
      'late.test.js': "const server = serve(0, () => ({ body: 'x' }), { quiet: true });\nawait new Promise(() => {});\ntest('never registered', () => {});\n",
      // Synchronous tests only: --timeout is short here, and a busy machine must not make them fail.
      'open.test.js': "const server = serve(0, () => ({ body: 'x' }), { quiet: true });\ntest('listens', () => assert(server.port > 0));\n",
    });
    // --jobs 3: the three wait out their limits side by side, not two and then one.
    const result = await krandogTest(dir, '--timeout', '300', '--jobs', '3');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('  ✗ busy.test.js › spins: timed out after 300 ms, blocking the process');
    expect(result.stdout).toContain('  ✗ busy.test.js: stuck in "spins" past its 300 ms timeout; killed');
    expect(result.stdout).toContain('  ✗ late.test.js: did nothing for 2000 ms before its first test; killed');
    expect(result.stdout).toContain('  ✗ open.test.js: still running 2000 ms after its last test ended: an open server, socket or timer keeps it alive; killed');
    expect(result.stdout).toContain('Tests  1 passed, 1 failed');
  });

  it('-t runs only the tests whose name matches; matching none is a failure', async () => {
    const dir = project({ 'names.test.js': "test('adds one', () => {});\ntest('adds two', () => {});\ntest('parses', () => { throw new Error('not run'); });\n" });
    const [filtered, none] = await Promise.all([krandogTest(dir, '-t', '^adds'), krandogTest(dir, '--test-name-pattern', 'nothing matches')]);
    expect(filtered.status).toBe(0);
    expect(filtered.stdout).toContain('✓ names.test.js (2 tests, 1 skipped, ');
    expect(filtered.stdout).toContain('Tests  2 passed, 0 failed, 1 skipped (-t)');
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/Tests {2}0 passed, 0 failed, 3 skipped \(-t\)\n[^]*FAIL: no tests ran\n$/);
  });

  it('--bail stops at the first failure: the rest of the file and the files after it do not run', async () => {
    const dir = project({
      'a.test.js': "test('fails', () => assert(false, 'first failure'));\ntest('after', () => {});\n",
      'b.test.js': PASSING,
      'c.test.js': PASSING,
    });
    const result = await krandogTest(dir, '--bail', '--jobs', '1');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('    ✗ fails\n        first failure\n');
    expect(result.stdout).not.toContain('b.test.js');
    expect(result.stdout).toContain('Tests  0 passed, 1 failed\nFiles  0 passed, 1 failed, 2 not run (--bail)\n');
  });

  it('--jobs runs that many files at once', async () => {
    // Each file waits until the other has started: only two at a time can both pass.
    const meet = (me: string, other: string) =>
      `import { existsSync, writeFileSync } from 'node:fs';\n` +
      `writeFileSync(${JSON.stringify(me)}, '');\n` +
      `test('meets ${other}', async () => { while (!existsSync(${JSON.stringify(other)})) await new Promise((r) => setTimeout(r, 10)); });\n`;
    const dir = project({ 'one.test.js': meet('one.started', 'two.started'), 'two.test.js': meet('two.started', 'one.started') });
    const dirAlone = project({ 'one.test.js': meet('one.started', 'two.started'), 'two.test.js': meet('two.started', 'one.started') });
    const [together, alone] = await Promise.all([
      krandogTest(dir, '--jobs', '2', '--timeout', '10000'),
      krandogTest(dirAlone, '--jobs', '1', '--timeout', '500'),
    ]);
    expect(together.stdout).toContain('Tests  2 passed, 0 failed');
    expect(together.status).toBe(0);

    expect(alone.status).toBe(1);
    expect(alone.stdout).toContain('  ✗ one.test.js › meets two.started: timed out after 500 ms');
  });

  it('runs the given files, folders and globs; a test file does not see the runner’s variable', async () => {
    const dir = project({
      'src/a.test.js': "test('env', () => assertEqual(process.env.KRANDOG_TEST_CHILD, undefined));\n",
      'src/b.spec.js': "test('spec', () => {});\n",
      'other/c.test.ts': "test('c', () => {});\n",
    });
    const [named, globbed] = await Promise.all([krandogTest(dir, 'src/b.spec.js', 'src'), krandogTest(dir, '**/*.{spec.js,ts}')]);
    expect(named.status).toBe(0);
    expect(named.stdout).toMatch(/✓ src\/a\.test\.js[^]*✓ src\/b\.spec\.js/);
    expect(named.stdout).not.toContain('other/');
    expect(globbed.stdout).toContain('Files  2 passed, 0 failed');
    expect(globbed.stdout).toMatch(/✓ other\/c\.test\.ts[^]*✓ src\/b\.spec\.js/);
  });

  it('a krandog the test file starts itself runs its tests as usual, even before the runner took its variable', async () => {
    const dir = project({
      // No global touched before the spawn: the runtime, which takes KRANDOG_TEST_CHILD out of the environment, is not loaded yet.
      'outer.test.js':
        "import { execFileSync } from 'node:child_process';\n" +
        "const inner = execFileSync(process.argv[0], ['inner.js'], { encoding: 'utf8' });\n" +
        "test('inner printed its own report', () => assertEqual(inner, '\\nRunning 1 test...\\n\\n  ✓ inner\\n\\n1 test passed\\n'));\n",
      'inner.js': "test('inner', () => {});\n",
    });
    const result = await krandogTest(dir, 'outer.test.js');
    expect(result.stdout).toContain('✓ outer.test.js (1 test, ');
    expect(result.status).toBe(0);
  });

  it('exits 1 when it finds no test files, and 2 for a wrong command line', async () => {
    const dir = project({ 'a.test.js': PASSING });
    const usageErrors = [
      [['--jobs', '0'], "krandog: --jobs must be a whole number from 1, got '0'\n"],
      [['--timeout', 'soon'], "krandog: --timeout must be a whole number from 1, got 'soon'\n"],
      [['--reporter', 'xml'], "krandog: --reporter must be default, tap or junit, got 'xml'\n"],
      [['-t', '('], 'krandog: -t: Invalid regular expression: /(/: Unterminated group\n'],
      [['missing.test.js'], `krandog: cannot find 'missing.test.js' (nothing at ${path.join(dir, 'missing.test.js')})\n`],
      [['nothing/**/*.test.js'], "krandog: no test files in 'nothing/**/*.test.js'\n"],
    ] as const;
    const [empty, ...results] = await Promise.all([krandogTest(project({ 'readme.md': '' })), ...usageErrors.map(([args]) => krandogTest(dir, ...args))]);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/^krandog: no test files under /);
    expect(empty.stdout).toContain('FAIL: no tests ran');
    usageErrors.forEach(([, message], index) => {
      const result = results[index];
      expect({ status: result.status, stderr: result.stderr, stdout: result.stdout }).toEqual({ status: 2, stderr: message, stdout: '' });
    });
  });
});

describe.concurrent('examples/tests', () => {
  it('echo.test.js passes against its own server, through the WebSocket client', async () => {
    const result = await runKrandogAsync(['test', 'examples/tests'], { cacheHome, env: { NO_COLOR: '1' } });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^✓ examples\/tests\/echo\.test\.js \(4 tests, \d+ ms\)\n/);
    expect(result.status).toBe(0);
  });
});

describe.concurrent('krandog test reports', () => {
  const files = {
    'a.test.js': "test('adds', () => {});\ntest('has # and \\\\ in its name', () => {});\n",
    'b.test.js': "console.log('out <b> & \\x1b[31mred\\x1b[39m');\nconsole.error('err');\ntest('compares', () => assertEqual({ a: 1 }, { a: 2 }));\ntest('other', () => {});\n",
    'c.test.js': "console.log('nothing');\n",
  };

  it('--reporter tap: a point per test and per failed file, YAML for failures, the plan last', async () => {
    const result = await krandogTest(project(files), '--reporter', 'tap', '-t', '^(?!other)');
    expect(result.status).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('TAP version 13');
    const points = lines.filter((line) => /^(not )?ok \d+ - /.test(line));
    expect(points).toEqual([
      'ok 1 - a.test.js > adds',
      'ok 2 - a.test.js > has \\# and \\\\ in its name',
      'not ok 3 - b.test.js > compares',
      'ok 4 - b.test.js > other # SKIP does not match -t',
      'not ok 5 - c.test.js',
    ]);
    const compares = lines.indexOf('not ok 3 - b.test.js > compares');
    expect(lines.slice(compares + 1, compares + 4)).toEqual(['  ---', '  message: "expected { a: 2 }, got { a: 1 }"', '  name: "AssertionError"']);
    expect(lines[lines.indexOf('ok 4 - b.test.js > other # SKIP does not match -t') - 1]).toBe('  ...');
    expect(lines).toContain('# err');
    expect(lines).toContain('1..5');
    expect(lines.slice(lines.indexOf('1..5') + 1, lines.indexOf('1..5') + 5)).toEqual(['# tests 3', '# pass 2', '# fail 1', '# skip 1']);
  });

  it('--reporter tap never reports a run with nothing in it as a pass', async () => {
    const result = await krandogTest(project({ 'a.test.js': "test('x', () => {});\n" }), '--reporter', 'tap', '-t', 'nothing');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^TAP version 13\nok 1 - a\.test\.js > x # SKIP does not match -t\nnot ok 2 - no tests ran\n1\.\.2\n/);
  });

  it('--reporter junit --outfile writes JUnit XML that parses, with the counts and the failures; stdout gets the readable report', async () => {
    const dir = project(files);
    const result = await krandogTest(dir, '--reporter', 'junit', '--outfile', 'reports/junit.xml');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('Files  1 passed, 2 failed');
    const root = parseXml(readFileSync(path.join(dir, 'reports/junit.xml'), 'utf8'));
    expect(root.name).toBe('testsuites');
    expect(root.attributes).toMatchObject({ tests: '5', failures: '1', errors: '1', skipped: '0' });
    expect(root.children.map((suite) => [suite.name, suite.attributes.name, suite.attributes.tests, suite.attributes.failures, suite.attributes.errors])).toEqual([
      ['testsuite', 'a.test.js', '2', '0', '0'],
      ['testsuite', 'b.test.js', '2', '1', '0'],
      ['testsuite', 'c.test.js', '1', '0', '1'],
    ]);
    const [a, b, c] = root.children;
    expect(a.children.map((test) => test.attributes.name)).toEqual(['adds', 'has # and \\ in its name']);
    for (const test of a.children) expect(Number(test.attributes.time)).toBeGreaterThanOrEqual(0);
    const failure = b.children[0].children[0];
    expect(failure.name).toBe('failure');
    expect(failure.attributes).toMatchObject({ message: 'expected { a: 2 }, got { a: 1 }', type: 'AssertionError' });
    expect(failure.text).toContain('b.test.js:3:');
    // The terminal colour codes are dropped; the rest is escaped and comes back as it was.
    expect(b.children.find((child) => child.name === 'system-out')!.text).toBe('out <b> & [31mred[39m\n');
    expect(b.children.find((child) => child.name === 'system-err')!.text).toBe('err\n');
    expect(c.children[0].attributes.name).toBe('(file)');
    expect(c.children[0].children[0]).toMatchObject({ name: 'error', attributes: { message: 'registered no tests' } });
  });

  it('--reporter junit on stdout: the totals are the sums of the suites, files --bail kept from starting included', async () => {
    const dir = project({ 'a.test.js': "test('fails', () => assert(false));\ntest('not run', () => {});\n", 'b.test.js': PASSING });
    const result = await krandogTest(dir, '--reporter', 'junit', '--bail', '--jobs', '1');
    expect(result.status).toBe(1);
    const root = parseXml(result.stdout);
    for (const counter of ['tests', 'failures', 'errors', 'skipped']) {
      const sum = root.children.reduce((total, suite) => total + Number(suite.attributes[counter]), 0);
      expect([counter, Number(root.attributes[counter])]).toEqual([counter, sum]);
    }
    expect(root.attributes).toMatchObject({ tests: '2', failures: '1', skipped: '1' });
    expect(root.children[1].children[0].children[0]).toMatchObject({ name: 'skipped', attributes: { message: 'not run: --bail stopped the run' } });
  });

  it('the XML check itself refuses what CI systems would', () => {
    expect(() => parseXml('<a>x & y</a>')).toThrow(/bare &/);
    expect(() => parseXml('<a><b></a></b>')).toThrow(/<\/b> expected/);
    expect(() => parseXml('<a>\x1b</a>')).toThrow(/forbids/);
    expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/twice/);
    expect(parseXml('<a x="&quot;&#10;">&lt;&#x41;</a>')).toEqual({ name: 'a', attributes: { x: '"\n' }, children: [], text: '<A' });
  });
});

/** Polls `condition` every 20 ms; throws after `ms`. For what no event announces (a file appearing, a PID going away). */
async function waitUntil(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !condition(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.concurrent('krandog test, stopped', () => {
  it('SIGTERM stops the running test files with it', async () => {
    const dir = project({
      'hangs.test.js': "import { writeFileSync } from 'node:fs';\nwriteFileSync('pid', String(process.pid));\ntest('waits', () => new Promise(() => {}));\n",
    });
    const live = startKrandog(['test', '--timeout', '60000'], { cwd: dir, cacheHome });
    const pidFile = path.join(dir, 'pid');
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '', 'the test file to start');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(true);
    live.child.kill('SIGTERM');
    expect(await live.exited).toEqual({ code: 143, signal: null });
    await waitUntil(() => !isAlive(pid), `test file ${pid} to be gone`);
  });
});

describe.concurrent('krandog test --watch', () => {
  it('reruns the files whose inputs changed, and exits with the last verdict', async () => {
    const dir = project({
      'lib.js': 'export const value = 1;\n',
      'uses-lib.test.js': "import { value } from './lib.js';\ntest('value', () => assertEqual(value, 1));\n",
      'other.test.js': "test('other', () => {});\n",
    });
    const live = startKrandog(['test', '--watch'], { cwd: dir, cacheHome, env: { NO_COLOR: '1' } });
    try {
      await live.waitFor(/Files {2}2 passed, 0 failed\n.*\nPASS\n/);
      await live.waitFor(/watching for changes/, 'stderr');
      writeFileSync(path.join(dir, 'lib.js'), 'export const value = 2;\n');
      await live.waitFor(/lib\.js changed; rerunning 1 file\n/, 'stderr');
      const [rerun] = await live.waitFor(/✗ uses-lib\.test\.js[^]*FAIL\n/);
      expect(rerun).toContain('expected 1, got 2');
      expect(rerun).not.toContain('other.test.js');
    } finally {
      live.child.kill('SIGTERM');
    }
    expect(await live.exited).toEqual({ code: 1, signal: null });
  });
});
