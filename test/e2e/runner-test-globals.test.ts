// krandog's test runner globals, through real scripts: the exact report and the exit code.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, makeTempDir, runKrandog } from '../helpers/krandog-cli.ts';

const cacheHome = makeTempDir('krandog-cache-');

describe('test runner globals', () => {
  it('reports passing tests (async ones included) and exits 0', () => {
    const result = runKrandog([fixture('tests-pass.js')], { cacheHome });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(['', 'Running 2 tests...', '', '  ✓ adds numbers', '  ✓ awaits async work', '', '2 tests passed', ''].join('\n'));
  });

  it("reports each failure's message under it, a summary, and exits 1", () => {
    const result = runKrandog([fixture('tests-fail.js')], { cacheHome });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      [
        '',
        'Running 4 tests...',
        '',
        '  ✓ passes',
        '  ✗ compares',
        '    expected 3, got 2',
        '  ✗ asserts with a message',
        '    custom message',
        '  ✗ throws',
        '    TypeError: not a function',
        '',
        '3 failed, 1 passed, 4 total',
        '{"passed":1,"failed":3,"total":4}',
        '',
      ].join('\n'),
    );
  });

  it('runs the tests of a script that forgot run() once its top level has finished', () => {
    const result = runKrandog([fixture('tests-no-run.js')], { cacheHome });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      ['top level done', '', 'Running 2 tests...', '', '  ✓ passes', '  ✗ fails', "    expected 'b', got 'a'", '', '1 failed, 1 passed, 2 total', ''].join('\n'),
    );
  });

  it('runs them before the process exits in a file made by krandog build, run by plain node', () => {
    const outfile = path.join(makeTempDir(), 'tests-no-run.mjs');
    expect(runKrandog(['build', fixture('tests-no-run.js'), '-o', outfile], { cacheHome }).status).toBe(0);
    const result = spawnSync(process.execPath, [outfile], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(runKrandog([fixture('tests-no-run.js')], { cacheHome }).stdout);
  });

  it('runs tests registered after the top level (no run() for them) before the process exits', () => {
    const script = path.join(makeTempDir(), 'late-tests.js');
    writeFileSync(script, "setTimeout(() => test('registered late', () => assertEqual(1, 2)), 5);\n");
    const result = runKrandog([script], { cacheHome });
    expect(result).toMatchObject({ status: 1, stderr: '' });
    expect(result.stdout).toBe(['', 'Running 1 test...', '', '  ✗ registered late', '    expected 2, got 1', '', '1 failed, 0 passed, 1 total', ''].join('\n'));
  });

  it('fails a test that never settles after its timeout, goes on with the next, and exits 1', () => {
    const script = path.join(makeTempDir(), 'never-settles.js');
    writeFileSync(
      script,
      "test('never settles', () => new Promise(() => {}));\ntest('next', () => {});\nawait run({ timeout: 100 });\nconsole.log('after run');\n",
    );
    const result = runKrandog([script], { cacheHome });
    expect(result).toMatchObject({ status: 1, stderr: '' });
    expect(result.stdout).toBe(
      ['', 'Running 2 tests...', '', '  ✗ never settles', '    timed out after 100 ms', '  ✓ next', '', '1 failed, 1 passed, 2 total', 'after run', ''].join('\n'),
    );
  });
});
