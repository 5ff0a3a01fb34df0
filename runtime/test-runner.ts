// krandog's small test runner, installed as globals: test(), assert(), assertEqual(), run().
//
// Output of run() (colour only on a terminal without NO_COLOR):
//
//   <empty line>
//   Running 3 tests...
//   <empty line>
//     ✓ adds
//     ✗ parses
//       expected 2, got 3
//   <empty line>
//   1 failed, 2 passed, 3 total        (or: 3 tests passed)
import { inspect, isDeepStrictEqual } from 'node:util';

type TestFunction = () => unknown;

interface TestCase {
  name: string;
  fn: TestFunction;
}

/** Thrown by assert() and assertEqual(); its message is what run() prints under the test. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** The results of one run(). */
export interface TestResults {
  passed: number;
  failed: number;
  total: number;
}

const pending: TestCase[] = [];

/** Registers a test; `fn` may be async. Tests run, in order, when run() is called. */
export function test(name: string, fn: TestFunction): void {
  if (typeof fn !== 'function') throw new TypeError(`test(name, fn): fn must be a function, got ${typeof fn}`);
  pending.push({ name: String(name), fn });
}

/** Throws an AssertionError with `message` (or a default one) when `condition` is falsy. */
export function assert(condition: unknown, message?: string): asserts condition {
  if (!condition) throw new AssertionError(message ?? `expected a truthy value, got ${inspect(condition)}`);
}

/** Throws an AssertionError unless `actual` and `expected` are deeply and strictly equal (util.isDeepStrictEqual). */
export function assertEqual<T>(actual: unknown, expected: T): asserts actual is T {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new AssertionError(`expected ${inspect(expected)}, got ${inspect(actual)}`);
  }
}

/**
 * Runs every test registered so far, one after another, and prints the report. A failure sets
 * process.exitCode to 1.
 */
export async function run(): Promise<TestResults> {
  const tests = pending.splice(0);
  const paint = painter();
  const write = (text: string) => process.stdout.write(text + '\n');
  write(`\nRunning ${tests.length} tests...\n`);
  let failed = 0;
  for (const { name, fn } of tests) {
    try {
      await fn();
      write(paint.green(`  ✓ ${name}`));
    } catch (error) {
      failed++;
      write(paint.red(`  ✗ ${name}`));
      write(failureMessage(error).replace(/^/gm, '    '));
    }
  }
  const passed = tests.length - failed;
  write('');
  write(failed === 0 ? paint.green(`${passed} tests passed`) : paint.red(`${failed} failed, ${passed} passed, ${tests.length} total`));
  if (failed > 0) process.exitCode = 1;
  return { passed, failed, total: tests.length };
}

function failureMessage(error: unknown): string {
  if (error instanceof AssertionError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `threw ${inspect(error)}`;
}

function painter() {
  const enabled = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const wrap = (open: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[39m` : text);
  return { green: wrap(32), red: wrap(31) };
}
