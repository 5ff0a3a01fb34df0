// krandog's small test runner, installed as globals: test(), assert(), assertEqual(), run().
//
// Output of run() (colour only on a terminal without NO_COLOR):
//
//   <empty line>
//   Running 3 tests...                 (or: Running 1 test...)
//   <empty line>
//     ✓ adds
//     ✗ parses
//       expected 2, got 3
//   <empty line>
//   1 failed, 2 passed, 3 total        (or: 3 tests passed, 1 test passed)
//
// Tests that no run() took (the script forgot it, or registered them after it) still run: when
// the script's top level has finished, else just before the process would exit. A script that
// forgets run() must not pass by running nothing.
//
// Under `krandog test` (src/test/), the report and the exit code are the runner's: each test is
// an event on the channel to it instead (util/test-channel.ts), -t skips tests, --bail stops at the
// first failure, and --timeout is the default timeout.
import { inspect, isDeepStrictEqual } from 'node:util';
import { SCRIPT_EVALUATED } from './util/script-evaluated.ts';
import { isThenable } from './util/thenable.ts';
import { takeChildChannel, type ChildChannel } from './util/test-channel.ts';

type TestFunction = () => unknown;

/** How long an async test may take unless test() or run() says otherwise. */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** setTimeout's limit (a 32-bit signed count of milliseconds; beyond it Node fires at once). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface TestOptions {
  /** Milliseconds the test's promise may take to settle before the test fails; default: run()'s. */
  timeout?: number;
}

export interface RunOptions {
  /** Milliseconds each test of this run may take, unless its test() gave its own; default 5000. */
  timeout?: number;
}

interface TestCase {
  name: string;
  fn: TestFunction;
  timeout: number | undefined;
}

/** Thrown by assert() and assertEqual(); its message is what run() prints under the test. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** A test's promise did not settle within its timeout. */
class TestTimeoutError extends Error {
  constructor(milliseconds: number) {
    super(`timed out after ${milliseconds} ms`);
    this.name = 'TestTimeoutError';
  }
}

/** The results of one run(). */
export interface TestResults {
  passed: number;
  failed: number;
  total: number;
}

/** Set when `krandog test` runs this file: events go to it instead of the report (util/test-channel.ts). */
const channel: ChildChannel | undefined = takeChildChannel();
const pending: TestCase[] = [];
/** The run in progress, if any: the next run() waits for it, so that reports never interleave. */
let currentRun: Promise<TestResults> | undefined;
let leftoversScheduled = false;
/** A test of this file failed: with --bail, no more run. */
let bailed = false;

/** Registers a test; `fn` may be async. Tests run, in order, when run() is called. */
export function test(name: string, fn: TestFunction, options: TestOptions = {}): void {
  if (typeof fn !== 'function') throw new TypeError(`test(name, fn): fn must be a function, got ${typeof fn}`);
  const timeout = options.timeout === undefined ? undefined : checkTimeout(options.timeout, 'test(name, fn, { timeout })');
  pending.push({ name: String(name), fn, timeout });
  scheduleLeftovers();
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
 * Runs every test registered so far, one after another (after a run still in progress), and
 * prints the report. A failure sets process.exitCode to 1.
 */
export function run(options: RunOptions = {}): Promise<TestResults> {
  const timeout = checkTimeout(options.timeout ?? channel?.timeout ?? DEFAULT_TIMEOUT_MS, 'run({ timeout })');
  const tests = pending.splice(0);
  const previous = currentRun;
  const runThem = channel ? () => reportTests(tests, timeout, channel) : () => runTests(tests, timeout);
  const results = previous ? previous.then(runThem) : runThem();
  currentRun = results;
  const clear = () => {
    if (currentRun === results) currentRun = undefined;
  };
  results.then(clear, clear);
  return results;
}

async function runTests(tests: TestCase[], defaultTimeout: number): Promise<TestResults> {
  const paint = painter();
  const write = (text: string) => process.stdout.write(text + '\n');
  write(`\nRunning ${count(tests.length)}...\n`);
  let failed = 0;
  for (const { name, fn, timeout } of tests) {
    const failure = await runTest(fn, timeout ?? defaultTimeout);
    if (failure === undefined) {
      write(paint.green(`  ✓ ${name}`));
    } else {
      failed++;
      write(paint.red(`  ✗ ${name}`));
      write(failureMessage(failure.error).replace(/^/gm, '    '));
    }
  }
  const passed = tests.length - failed;
  write('');
  write(failed === 0 ? paint.green(`${count(passed)} passed`) : paint.red(`${failed} failed, ${passed} passed, ${tests.length} total`));
  if (failed > 0) process.exitCode = 1;
  return { passed, failed, total: tests.length };
}

/**
 * runTests() for `krandog test`: an event per test, no report, and the exit code left alone.
 * Tests whose names -t does not match are skipped.
 */
async function reportTests(tests: TestCase[], defaultTimeout: number, { pattern, bail, send }: ChildChannel): Promise<TestResults> {
  let failed = 0;
  let total = 0;
  for (const { name, fn, timeout = defaultTimeout } of tests) {
    if (bail && bailed) break;
    if (pattern && !pattern.test(name)) {
      send({ type: 'skip', name });
      continue;
    }
    total++;
    send({ type: 'start', name, timeout });
    const startedAt = performance.now();
    const failure = await runTest(fn, timeout);
    const ms = Math.round(performance.now() - startedAt);
    if (failure === undefined) {
      send({ type: 'pass', name, ms });
    } else {
      failed++;
      bailed = true;
      const error = failure.error;
      const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
      send({ type: 'fail', name, ms, error: { name: error instanceof Error ? error.name : 'Error', message: failureMessage(error), stack } });
    }
  }
  return { passed: total - failed, failed, total };
}

/** Runs one test: undefined when it passes, else what it threw or rejected with. */
async function runTest(fn: TestFunction, timeout: number): Promise<{ error: unknown } | undefined> {
  try {
    const result = fn();
    // Only a promise gets a timer: synchronous tests cost nothing extra.
    if (isThenable(result)) await settleWithin(result, timeout);
    return undefined;
  } catch (error) {
    return { error };
  }
}

/**
 * `promise`, or a TestTimeoutError once `milliseconds` have passed. The timer keeps the process
 * alive, so a test that never settles fails instead of letting the process exit mid-run. A late
 * rejection of a timed-out test stays handled (Promise.race listens to it).
 */
async function settleWithin(promise: PromiseLike<unknown>, milliseconds: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TestTimeoutError(milliseconds)), milliseconds);
  });
  try {
    await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Tests no run() took run when the script's top level has finished (krandog's CLI says when), and
 * those registered later, or in a `krandog build` file under plain node, when nothing else is
 * left to do ('beforeExit'; the run makes the process busy again, and it exits after the report).
 */
function scheduleLeftovers(): void {
  if (leftoversScheduled) return;
  leftoversScheduled = true;
  const runLeftovers = () => {
    if (pending.length > 0) void run();
  };
  process.on(SCRIPT_EVALUATED, runLeftovers);
  process.on('beforeExit', runLeftovers);
}

function checkTimeout(value: unknown, where: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_TIMEOUT_MS)) {
    throw new TypeError(`${where}: timeout must be a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${inspect(value)}`);
  }
  return value;
}

/** `1 test`, `3 tests`. */
function count(tests: number): string {
  return `${tests} ${tests === 1 ? 'test' : 'tests'}`;
}

function failureMessage(error: unknown): string {
  if (error instanceof AssertionError || error instanceof TestTimeoutError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `threw ${inspect(error)}`;
}

function painter() {
  const enabled = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const wrap = (open: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[39m` : text);
  return { green: wrap(32), red: wrap(31) };
}
