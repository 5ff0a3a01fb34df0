// The readable report: one line per file as it finishes (a failing file also shows its failed
// tests and its output), then a summary that fits on one screen: every failure on one line,
// the counts, and PASS or FAIL.
import { path } from '../../builtins.ts';
import { countResults, fileFailed, outputText, runPassed, type FileResult } from '../results.ts';
import type { Reporter, ReporterContext } from './reporter.ts';

/** Failures listed in the summary; the rest are counted. */
const MAX_SUMMARY_FAILURES = 15;
/** Output lines shown per failing file; its last ones, where a crash is. */
const MAX_OUTPUT_LINES = 40;

export function defaultReporter({ write, color }: ReporterContext): Reporter {
  const paint = (code: number) => (text: string) => (color ? `\x1b[${code}m${text}\x1b[39m` : text);
  const green = paint(32);
  const red = paint(31);
  const dim = (text: string) => (color ? `\x1b[2m${text}\x1b[22m` : text);
  const line = (text = '') => write(text + '\n');

  return {
    file(result) {
      if (result.cancelled && !fileFailed(result)) {
        line(dim(`- ${result.name}: stopped (--bail)`));
        return;
      }
      const failed = fileFailed(result);
      line(`${failed ? red('✗') : green('✓')} ${result.name} ${dim(`(${fileCounts(result)}, ${result.ms} ms)`)}${result.problem ? red(`: ${result.problem}`) : ''}`);
      if (!failed) return;
      for (const test of result.tests) {
        if (test.status !== 'failed') continue;
        line(red(`    ✗ ${test.name}`));
        line(indent(test.error?.message ?? '', '        '));
        const where = firstFrame(test.error?.stack);
        if (where) line(dim(`        at ${where}`));
      }
      const output = outputText(result).replace(/\n$/, '');
      if (output !== '') {
        const lines = output.split('\n');
        const shown = lines.slice(-MAX_OUTPUT_LINES);
        line(dim(`    output${shown.length < lines.length ? ` (last ${shown.length} of ${lines.length} lines)` : ''}:`));
        line(indent(shown.join('\n'), '    │ '));
      }
    },

    end(summary) {
      const counts = countResults(summary.files);
      const failures = summaryFailures(summary.files);
      line();
      if (failures.length > 0) {
        line(red(`Failures (${failures.length}):`));
        for (const failure of failures.slice(0, MAX_SUMMARY_FAILURES)) line(red(`  ✗ ${failure}`));
        if (failures.length > MAX_SUMMARY_FAILURES) line(red(`  … and ${failures.length - MAX_SUMMARY_FAILURES} more (above)`));
        line();
      }
      const tests = [`${counts.passed} passed`, `${counts.failed} failed`];
      if (counts.skipped > 0) tests.push(`${counts.skipped} skipped (-t)`);
      const files = [`${counts.filesPassed} passed`, `${counts.filesFailed} failed`];
      const stopped = summary.files.filter((file) => file.cancelled && !fileFailed(file)).length + summary.notRun.length;
      if (stopped > 0) files.push(`${stopped} not run (--bail)`);
      line(`Tests  ${tests.join(', ')}`);
      line(`Files  ${files.join(', ')}`);
      line(`Time   ${(summary.ms / 1000).toFixed(2)} s`);
      if (runPassed(summary)) line(green(`PASS`));
      else line(red(`FAIL${counts.passed + counts.failed === 0 && counts.filesFailed === 0 ? ': no tests ran' : ''}`));
    },
  };
}

function fileCounts(result: FileResult): string {
  const failed = result.tests.filter((test) => test.status === 'failed').length;
  const ran = result.tests.filter((test) => test.status !== 'skipped').length;
  const skipped = result.tests.length - ran;
  const parts = [failed > 0 ? `${failed} of ${plural(ran, 'test')} failed` : plural(ran, 'test')];
  if (skipped > 0) parts.push(`${skipped} skipped`);
  return parts.join(', ');
}

/** One line per failed test and per failed file. */
function summaryFailures(files: readonly FileResult[]): string[] {
  const failures: string[] = [];
  for (const file of files) {
    for (const test of file.tests) {
      if (test.status === 'failed') failures.push(`${file.name} › ${test.name}: ${firstLine(test.error?.message ?? '')}`);
    }
    if (file.problem) failures.push(`${file.name}: ${file.problem}`);
  }
  return failures;
}

/** `file.test.js:3:22` from the first frame of a stack (already cut to the user's frames). */
function firstFrame(stack: string | undefined): string | undefined {
  const match = stack?.match(/^\s+at (?:.*? \()?(.+?:\d+:\d+)\)?$/m);
  return match ? path.relative(process.cwd(), match[1].replace(/^file:\/\//, '')) : undefined;
}

function firstLine(text: string): string {
  const [first, ...rest] = text.split('\n');
  return rest.length > 0 ? `${first} …` : first;
}

function indent(text: string, prefix: string): string {
  return text.replace(/^/gm, prefix);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
