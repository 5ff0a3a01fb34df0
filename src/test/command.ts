// `krandog test [paths...]`: find the test files, run them (several at a time, each in its own
// process), report, and exit 0 only when every test passed and at least one ran.
import { fs, os, path } from '../builtins.ts';
import { useColor } from '../color.ts';
import { KrandogError, USAGE_EXIT_CODE } from '../errors.ts';
import { takeExecutablePath } from '../cli/entry.ts';
import { discoverTestFiles } from './discover.ts';
import { runPassed } from './results.ts';
import { killRunningFiles } from './run-file.ts';
import { runTestFiles, type FilesRun } from './run-files.ts';
import { defaultReporter } from './reporters/default.ts';
import { junitReporter } from './reporters/junit.ts';
import type { Reporter } from './reporters/reporter.ts';
import { tapReporter } from './reporters/tap.ts';

/** The file timeout is the test timeout, but never shorter than this: a process needs time to start. */
const MIN_FILE_TIMEOUT_MS = 2_000;

/** The flags as commander hands them over (strings, unchecked). */
export interface TestFlags {
  jobs?: string;
  timeout?: string;
  bail?: boolean;
  testNamePattern?: string;
  watch?: boolean;
  reporter?: string;
  outfile?: string;
  cache: boolean;
}

export interface TestSettings {
  jobs: number;
  timeout: number;
  fileTimeout: number;
  pattern: string | undefined;
  bail: boolean;
  watch: boolean;
  reporter: 'default' | 'tap' | 'junit';
  outfile: string | undefined;
  cache: boolean;
}

const REPORTERS = { default: defaultReporter, tap: tapReporter, junit: junitReporter } as const;

export function parseTestFlags(flags: TestFlags): TestSettings {
  const jobs = flags.jobs === undefined ? os().availableParallelism() : positiveInteger(flags.jobs, '--jobs');
  const timeout = flags.timeout === undefined ? 5_000 : positiveInteger(flags.timeout, '--timeout');
  if (timeout > 2 ** 31 - 1) throw usage(`--timeout must be at most ${2 ** 31 - 1} ms, got ${flags.timeout}`);
  const reporter = flags.reporter ?? 'default';
  if (!Object.hasOwn(REPORTERS, reporter)) throw usage(`--reporter must be default, tap or junit, got '${reporter}'`);
  if (flags.testNamePattern !== undefined) {
    try {
      new RegExp(flags.testNamePattern);
    } catch (error) {
      throw usage(`-t: ${(error as Error).message}`);
    }
  }
  return {
    jobs,
    timeout,
    fileTimeout: Math.max(timeout, MIN_FILE_TIMEOUT_MS),
    pattern: flags.testNamePattern,
    bail: Boolean(flags.bail),
    watch: Boolean(flags.watch),
    reporter: reporter as TestSettings['reporter'],
    outfile: flags.outfile,
    cache: flags.cache,
  };
}

export async function testCommand(paths: string[], flags: TestFlags): Promise<void> {
  const settings = parseTestFlags(flags);
  // Failing until the reports say otherwise: a run cut short can never exit 0.
  process.exitCode = 1;
  const cwd = process.cwd();
  const files = discoverTestFiles(paths, cwd);
  if (files.length === 0) process.stderr.write(`krandog: no test files under ${cwd} (*.test.js, .ts, .mjs, .cjs, or scripts under a test/ folder)\n`);
  const argv0 = takeExecutablePath();
  const run = (subset: readonly string[]) => runAndReport(subset, settings, cwd, argv0);
  if (settings.watch) {
    const { watchTests } = await import('./watch.ts');
    await watchTests(files, run);
    return;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killRunningFiles();
      process.exit(128 + os().constants.signals[signal]);
    });
  }
  const summary = await run(files);
  process.exitCode = runPassed(summary) ? 0 : 1;
}

/** One run of `files` with the reporters the flags ask for; resolves once the reports are written. */
async function runAndReport(files: readonly string[], settings: TestSettings, cwd: string, argv0: string): Promise<FilesRun> {
  const { reporters, fileText } = makeReporters(settings);
  const summary = await runTestFiles(files, {
    ...settings,
    argv0,
    cwd,
    onFile: (result) => {
      for (const reporter of reporters) reporter.file(result);
    },
  });
  for (const reporter of reporters) reporter.end(summary);
  if (settings.outfile !== undefined) writeOutfile(settings.outfile, fileText());
  return summary;
}

/**
 * The --reporter's report goes to stdout; with --outfile it goes to that file, and stdout gets
 * the readable one.
 */
function makeReporters(settings: TestSettings): { reporters: Reporter[]; fileText: () => string } {
  const toStdout = (text: string) => void process.stdout.write(text);
  const color = useColor(process.stdout);
  const chosen = REPORTERS[settings.reporter];
  if (settings.outfile === undefined) {
    return { reporters: [chosen({ write: toStdout, color: settings.reporter === 'default' && color })], fileText: () => '' };
  }
  const collected: string[] = [];
  const toFile = chosen({ write: (text) => void collected.push(text), color: false });
  return { reporters: [defaultReporter({ write: toStdout, color }), toFile], fileText: () => collected.join('') };
}

function writeOutfile(outfile: string, text: string): void {
  const target = path.resolve(outfile);
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  } catch (error) {
    throw new KrandogError(`cannot write --outfile ${outfile}: ${(error as Error).message}`, 1);
  }
}

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) throw usage(`${flag} must be a whole number from 1, got '${value}'`);
  return number;
}

function usage(message: string): KrandogError {
  return new KrandogError(message, USAGE_EXIT_CODE);
}
