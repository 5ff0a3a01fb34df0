// runtime/test-runner.ts in-process: assertion semantics, the report format, timeouts, and the
// tests that no run() took.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SCRIPT_EVALUATED } from '../../runtime/util/script-evaluated.ts';
import { AssertionError, assert, assertEqual, run, test, type RunOptions } from '../../runtime/test-runner.ts';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** What `during` (by default a run()) writes to stdout. */
async function capture<T>(during: () => Promise<T>) {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const results = await during();
    return { results, output: write.mock.calls.map(([chunk]) => String(chunk)).join(''), exitCode: process.exitCode };
  } finally {
    write.mockRestore();
  }
}

const captureRun = (options?: RunOptions) => capture(() => run(options));
const never = () => new Promise(() => {});

describe('assert and assertEqual', () => {
  it('assert throws an AssertionError with the message, or a default one', () => {
    expect(() => assert(1)).not.toThrow();
    expect(() => assert(0, 'needs one')).toThrow(new AssertionError('needs one'));
    expect(() => assert('')).toThrow("expected a truthy value, got ''");
  });

  it('assertEqual compares deeply and strictly', () => {
    expect(() => assertEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).not.toThrow();
    expect(() => assertEqual(NaN, NaN)).not.toThrow();
    expect(() => assertEqual(1, '1')).toThrow("expected '1', got 1");
    expect(() => assertEqual({ a: 1 }, { a: 1, b: undefined })).toThrow(AssertionError);
  });
});

describe('run', () => {
  it('runs the registered tests in order, awaits async ones, and prints the report', async () => {
    const order: string[] = [];
    test('first', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push('first');
    });
    test('second', () => {
      order.push('second');
    });
    const { results, output, exitCode } = await captureRun();
    expect(order).toEqual(['first', 'second']);
    expect(output).toBe('\nRunning 2 tests...\n\n  ✓ first\n  ✓ second\n\n2 tests passed\n');
    expect(results).toEqual({ passed: 2, failed: 0, total: 2 });
    expect(exitCode).toBeUndefined();
  });

  it('indents every line of a failure message by four spaces and sets exit code 1', async () => {
    test('multi-line', () => {
      throw new AssertionError('line one\nline two');
    });
    test('non-error', () => {
      throw 42;
    });
    const { results, output, exitCode } = await captureRun();
    expect(output).toBe(
      '\nRunning 2 tests...\n\n  ✗ multi-line\n    line one\n    line two\n  ✗ non-error\n    threw 42\n\n2 failed, 0 passed, 2 total\n',
    );
    expect(results).toEqual({ passed: 0, failed: 2, total: 2 });
    expect(exitCode).toBe(1);
  });

  it('runs each test once: a second run() only sees tests registered since', async () => {
    test('once', () => {});
    await captureRun();
    expect((await captureRun()).output).toBe('\nRunning 0 tests...\n\n\n0 tests passed\n');
  });

  it('says "1 test", not "1 tests"', async () => {
    test('alone', () => {});
    expect((await captureRun()).output).toBe('\nRunning 1 test...\n\n  ✓ alone\n\n1 test passed\n');
  });

  it('runs a second run() after the first, when both are started at once: reports never interleave', async () => {
    const { output } = await capture(() => {
      test('slow', () => new Promise((resolve) => setTimeout(resolve, 20)));
      const first = run();
      test('quick', () => {});
      return Promise.all([first, run()]);
    });
    expect(output).toBe('\nRunning 1 test...\n\n  ✓ slow\n\n1 test passed\n\nRunning 1 test...\n\n  ✓ quick\n\n1 test passed\n');
  });
});

describe('timeouts', () => {
  it('fails an async test after 5000 ms by default, and goes on with the next one', async () => {
    vi.useFakeTimers();
    test('never settles', never);
    test('next', () => {});
    const running = captureRun();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const { results, output, exitCode } = await running;
    expect(output).toBe('\nRunning 2 tests...\n\n  ✗ never settles\n    timed out after 5000 ms\n  ✓ next\n\n1 failed, 1 passed, 2 total\n');
    expect(results).toEqual({ passed: 1, failed: 1, total: 2 });
    expect(exitCode).toBe(1);
  });

  it("takes test(name, fn, { timeout }) over run({ timeout }), and run()'s over the default", async () => {
    test('own timeout', never, { timeout: 20 });
    test("run's timeout", never);
    const { output } = await captureRun({ timeout: 30 });
    expect(output).toContain('  ✗ own timeout\n    timed out after 20 ms\n');
    expect(output).toContain("  ✗ run's timeout\n    timed out after 30 ms\n");
  });

  it('leaves no timer behind, and a timed-out test that rejects later is no unhandled rejection', async () => {
    vi.useFakeTimers();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    test('rejects too late', () => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 40)), { timeout: 10 });
    test('resolves in time', () => new Promise((resolve) => setTimeout(resolve, 5)), { timeout: 1_000 });
    const running = captureRun();
    await vi.advanceTimersByTimeAsync(15);
    expect((await running).results).toEqual({ passed: 1, failed: 1, total: 2 });
    // Only the first test's own timer is left; it rejects, and nobody minds.
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(40);
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });

  it.each([0, -1, Number.NaN, Infinity, 2 ** 31, '100'])('rejects the timeout %j', (timeout) => {
    expect(() => test('bad', () => {}, { timeout: timeout as number })).toThrow(/timeout must be a number of milliseconds from 1 to 2147483647/);
    expect(() => run({ timeout: timeout as number })).toThrow(TypeError);
  });
});

describe('tests no run() took', () => {
  it("run by themselves once krandog says the script's top level has finished", async () => {
    test('forgotten', () => assertEqual(1, 2));
    const { output, exitCode } = await capture(async () => {
      process.emit(SCRIPT_EVALUATED as never);
      // run() waits for the run in progress (the automatic one) before its own.
      await run();
    });
    expect(output).toBe('\nRunning 1 test...\n\n  ✗ forgotten\n    expected 2, got 1\n\n1 failed, 0 passed, 1 total\n' + '\nRunning 0 tests...\n\n\n0 tests passed\n');
    expect(exitCode).toBe(1);
  });

  it('run when the process is about to exit (beforeExit), if nothing ran them before', async () => {
    test('registered late', () => {});
    const { output } = await capture(async () => {
      process.emit('beforeExit', 0);
      await run();
    });
    expect(output).toMatch(/^\nRunning 1 test\.\.\.\n\n {2}✓ registered late\n\n1 test passed\n/);
  });
});
