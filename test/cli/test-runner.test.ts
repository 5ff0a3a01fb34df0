// runtime/test-runner.ts in-process: assertion semantics and the report format.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AssertionError, assert, assertEqual, run, test } from '../../runtime/test-runner.ts';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function captureRun() {
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const results = await run();
  const output = write.mock.calls.map(([chunk]) => String(chunk)).join('');
  write.mockRestore();
  return { results, output, exitCode: process.exitCode };
}

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

  it('rejects a test without a function', () => {
    expect(() => test('no fn', undefined as never)).toThrow(TypeError);
  });
});
