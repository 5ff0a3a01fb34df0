// TAP version 13 (https://testanything.org/tap-version-13-specification.html): one point per
// test, named `<file> > <test>`, and one per file that failed as a whole; failures carry a YAML
// block; a failing file's output follows as `#` comment lines. The plan comes last (then `Bail out!`
// when --bail stopped the run). A failed run
// with no failing point (no tests ran) gets one of its own: `1..0`, or skips only, read as a pass.
import { countResults, fileFailed, outputText, runPassed } from '../results.ts';
import type { Reporter, ReporterContext } from './reporter.ts';

export function tapReporter({ write }: ReporterContext): Reporter {
  let count = 0;
  let notOk = 0;
  const point = (ok: boolean, description: string, directive = '') => {
    count++;
    if (!ok) notOk++;
    write(`${ok ? 'ok' : 'not ok'} ${count} - ${escapeDescription(description)}${directive}\n`);
  };
  write('TAP version 13\n');

  return {
    file(result) {
      for (const test of result.tests) {
        const name = `${result.name} > ${test.name}`;
        if (test.status === 'skipped') point(true, name, ' # SKIP does not match -t');
        else point(test.status === 'passed', name);
        if (test.status === 'failed') write(yaml({ message: test.error?.message ?? '', name: test.error?.name, duration_ms: test.ms, stack: test.error?.stack }));
      }
      if (result.problem) {
        point(false, result.name);
        write(yaml({ message: result.problem, duration_ms: result.ms }));
      }
      if (fileFailed(result)) {
        const output = outputText(result).replace(/\n$/, '');
        if (output !== '') write(output.replace(/^/gm, '# ') + '\n');
      }
    },

    end(summary) {
      const counts = countResults(summary.files);
      if (!runPassed(summary) && notOk === 0) point(false, summary.notRun.length > 0 ? 'stopped by --bail' : 'no tests ran');
      write(`1..${count}\n`);
      write(`# tests ${counts.passed + counts.failed}\n# pass ${counts.passed}\n# fail ${counts.failed}\n# skip ${counts.skipped}\n`);
      write(`# files ${summary.files.length + summary.notRun.length}, failed ${counts.filesFailed}, not run ${summary.notRun.length}\n`);
      write(`# duration_ms ${summary.ms}\n`);
      const stopped = summary.notRun.length > 0 || summary.files.some((file) => file.cancelled);
      if (stopped) write('Bail out! stopped after the first failure (--bail)\n');
    },
  };
}

/** `#` starts a directive and `\` escapes: both are escaped in a description. */
function escapeDescription(text: string): string {
  return text.replace(/[\\#]/g, '\\$&').replace(/\n/g, ' ');
}

/**
 * A YAML diagnostic block, indented two spaces. A one-line string is a JSON string (a valid YAML
 * double-quoted scalar), a longer one a block scalar: nothing in it needs escaping.
 */
function yaml(fields: Record<string, string | number | undefined>): string {
  const lines = ['  ---'];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (typeof value === 'number' || !value.includes('\n')) lines.push(`  ${key}: ${JSON.stringify(value)}`);
    else lines.push(`  ${key}: |-`, ...value.split('\n').map((line) => `    ${line}`));
  }
  lines.push('  ...');
  return lines.join('\n') + '\n';
}
