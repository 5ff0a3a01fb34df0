// krandog's test runner globals, through real scripts: the exact report and the exit code.
import { describe, expect, it } from 'vitest';
import { fixture, makeTempDir, runKrandog } from './runner-helpers.ts';

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
});
