// Runs one test file in a child process: the same `krandog <file>` a user runs (its bundle is
// already in the cache), with KRANDOG_TEST_CHILD telling the test runner to send its events as
// JSON lines on fd 3 (runtime/util/test-channel.ts). A watchdog stops a file that hangs: a test
// stuck past its own timeout (a busy loop never lets its timer fire), or a file that does
// nothing for the file timeout before (once started), between or after its tests.
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { path } from '../builtins.ts';
import { distDir } from '../bundle/runtime-paths.ts';
import { CHILD_ENV, type TestEvent } from '../../runtime/util/test-channel.ts';
import type { FileResult, OutputChunk, TestResult } from './results.ts';

/** How much longer than its timeout a test may take before the process counts as stuck. */
const STUCK_GRACE_MS = 1_000;
/**
 * Extra time for a process to start, until its runtime is loaded (the 'ready' event): a busy CI
 * machine may take seconds to start Node, which no --timeout should count against the file.
 */
const START_GRACE_MS = 10_000;
/** Output kept per file; beyond it the oldest is dropped. */
const MAX_OUTPUT_CHARS = 1 << 20;
/** How long a file's stdout and stderr may stay open after it exited (a process it started may hold them). */
const DRAIN_MS = 1_000;
const cliFile = path.join(distDir, 'cli.cjs');
/** Stack frames in these folders are krandog's own (the built CLI, the runtime's sources through their source maps). */
const internalDirs = [distDir, path.join(distDir, '..', 'runtime') + path.sep];

/** Children still running: stopped with the runner (Ctrl-C, SIGTERM), so that no hung file outlives it. */
const liveChildren = new Set<ChildProcess>();

export function killRunningFiles(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}

export interface FileRunOptions {
  /** Per-test timeout (--timeout), in ms. */
  timeout: number;
  /** How long the file may be idle outside a test, in ms. */
  fileTimeout: number;
  pattern: string | undefined;
  bail: boolean;
  cache: boolean;
  /** process.argv[0] for the test file. */
  argv0: string;
  cwd: string;
  /** Aborted by --bail: the child is killed and the result marked cancelled. */
  signal?: AbortSignal;
  /** Each event as it arrives (--bail watches for the first failure). */
  onEvent?: (event: TestEvent) => void;
}

export async function runTestFile(file: string, name: string, options: FileRunOptions): Promise<FileResult> {
  const startedAt = Date.now();
  const result: FileResult = { file, name, tests: [], output: [], ms: 0 };
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [...process.execArgv, cliFile, ...(options.cache ? [] : ['--no-cache']), file], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KRANDOG_EXECUTABLE: options.argv0,
      [CHILD_ENV]: JSON.stringify({ ppid: process.pid, fd: 3, timeout: options.timeout, pattern: options.pattern ?? null, bail: options.bail }),
    },
  });
  liveChildren.add(child);
  child.on('exit', () => liveChildren.delete(child));
  let watch: Watchdog | undefined;
  const outcome = await new Promise<Outcome>((resolve) => {
    watch = new Watchdog(child, options, result, resolve);
    collectOutput(child, result.output);
    readEvents(child, (event) => {
      watch!.onEvent(event);
      options.onEvent?.(event);
    });
    child.on('error', (error) => resolve({ kind: 'spawn-error', message: error.message }));
    child.on('exit', (code, signal) => resolve({ kind: 'exit', code, signal }));
  });
  await drained(child);
  judge(result, outcome, watch!.running);
  result.ms = Date.now() - startedAt;
  return result;
}

type Outcome =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'spawn-error'; message: string }
  | { kind: 'stuck'; message: string }
  | { kind: 'cancelled' };

/** Keeps the running test in `result.tests` (status 'failed' until it ends) and kills a hung child. */
class Watchdog {
  #timer: NodeJS.Timeout | undefined;
  #running: TestResult | undefined;
  #stopped = false;
  readonly #child: ChildProcess;
  readonly #options: FileRunOptions;
  readonly #result: FileResult;
  readonly #resolve: (outcome: Outcome) => void;

  constructor(child: ChildProcess, options: FileRunOptions, result: FileResult, resolve: (outcome: Outcome) => void) {
    this.#child = child;
    this.#options = options;
    this.#result = result;
    this.#resolve = (outcome) => {
      clearTimeout(this.#timer);
      resolve(outcome);
    };
    child.on('exit', () => {
      this.#stopped = true;
      clearTimeout(this.#timer);
    });
    options.signal?.addEventListener('abort', () => this.#stop({ kind: 'cancelled' }), { once: true });
    if (options.signal?.aborted) this.#stop({ kind: 'cancelled' });
    const startLimit = options.fileTimeout + START_GRACE_MS;
    this.#arm(startLimit, () => `did nothing for ${startLimit} ms before its first test; killed`);
  }

  onEvent(event: TestEvent): void {
    const tests = this.#result.tests;
    if (event.type === 'ready') {
      this.#arm(this.#options.fileTimeout, () => `did nothing for ${this.#options.fileTimeout} ms before its first test; killed`);
      return;
    }
    if (event.type === 'start') {
      this.#running = { name: event.name, status: 'failed', ms: 0 };
      tests.push(this.#running);
      this.#arm(event.timeout + STUCK_GRACE_MS, () => {
        this.#running!.error = { name: 'TestTimeoutError', message: `timed out after ${event.timeout} ms, blocking the process` };
        return `stuck in "${event.name}" past its ${event.timeout} ms timeout; killed`;
      });
      return;
    }
    if (event.type === 'skip') {
      tests.push({ name: event.name, status: 'skipped', ms: 0 });
    } else if (this.#running) {
      this.#running.status = event.type === 'pass' ? 'passed' : 'failed';
      this.#running.ms = event.ms;
      if (event.type === 'fail') this.#running.error = { ...event.error, stack: userFrames(event.error.stack) };
      this.#running = undefined;
    }
    this.#arm(this.#options.fileTimeout, () => `still running ${this.#options.fileTimeout} ms after its last test ended: an open server, socket or timer keeps it alive; killed`);
  }

  /** Unfinished test, if the process ended during one. */
  get running(): TestResult | undefined {
    return this.#running;
  }

  #arm(ms: number, describe: () => string): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#stop({ kind: 'stuck', message: describe() }), ms);
  }

  #stop(outcome: Outcome): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#child.kill('SIGKILL');
    this.#resolve(outcome);
  }
}

/** The stack without the frames of krandog and of Node's internals: the test's own code is what matters. */
function userFrames(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  const internal = (line: string) => /^\s+at /.test(line) && (/\(node:|at node:/.test(line) || internalDirs.some((dir) => line.includes(dir)));
  return stack
    .split('\n')
    .filter((line) => !internal(line))
    .join('\n');
}

function collectOutput(child: ChildProcess, output: OutputChunk[]): void {
  let size = 0;
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]!.setEncoding('utf8').on('data', (text: string) => {
      output.push({ stream, text });
      size += text.length;
      while (size > MAX_OUTPUT_CHARS && output.length > 1) size -= output.shift()!.text.length;
    });
  }
}

function readEvents(child: ChildProcess, onEvent: (event: TestEvent) => void): void {
  let buffered = '';
  const channel = child.stdio[3] as NodeJS.ReadableStream;
  channel.setEncoding('utf8');
  channel.on('data', (text: string) => {
    const lines = (buffered + text).split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      try {
        onEvent(JSON.parse(line) as TestEvent);
      } catch {
        // not one of ours: ignore
      }
    }
  });
}

/** Waits for the child's pipes to empty; a process it left behind may hold stdout open, so bounded. */
async function drained(child: ChildProcess): Promise<void> {
  const streams = [child.stdio[3], child.stdout, child.stderr].filter((stream): stream is Readable => stream != null && !stream.destroyed);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(streams.map((stream) => new Promise((resolve) => stream.once('close', resolve)))),
    new Promise((resolve) => (timer = setTimeout(resolve, DRAIN_MS))),
  ]);
  clearTimeout(timer);
  for (const stream of streams) stream.destroy();
}

/** Turns how the child ended into the file's problem line and the fate of an unfinished test. */
function judge(result: FileResult, outcome: Outcome, unfinished: TestResult | undefined): void {
  const during = unfinished ? ` during "${unfinished.name}"` : '';
  switch (outcome.kind) {
    case 'cancelled':
      result.cancelled = true;
      if (unfinished) result.tests.splice(result.tests.indexOf(unfinished), 1);
      return;
    case 'spawn-error':
      result.problem = `could not start: ${outcome.message}`;
      break;
    case 'stuck':
      result.problem = outcome.message;
      break;
    case 'exit': {
      const { code, signal } = outcome;
      if (signal) result.problem = `killed by ${signal}${during}`;
      else if (code !== 0 || unfinished) result.problem = `exited with code ${code}${during}`;
      else if (result.tests.length === 0) result.problem = 'registered no tests';
      break;
    }
  }
  if (unfinished && unfinished.error === undefined) {
    unfinished.error = { name: 'Error', message: `did not finish: the process ${result.problem}` };
  }
}
