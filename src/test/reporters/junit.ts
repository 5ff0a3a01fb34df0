// JUnit XML, the shape CI systems read (Jenkins, GitLab, GitHub actions): one <testsuite> per
// file, one <testcase> per test, <failure> for a failed test, <skipped> for one -t left out,
// and a testcase named "(file)" with an <error> for a file that failed as a whole. Written at the
// end, when the totals are known. Text is escaped, and characters XML 1.0 forbids (terminal
// colour codes among them) are dropped.
import { countResults, outputText, type FileResult } from '../results.ts';
import type { Reporter, ReporterContext } from './reporter.ts';

export function junitReporter({ write }: ReporterContext): Reporter {
  return {
    file() {},
    end(summary) {
      const counts = countResults(summary.files);
      const errors = summary.files.filter((file) => file.problem !== undefined).length;
      const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
      // A file --bail kept from starting counts as one skipped testcase.
      const skipped = counts.skipped + summary.notRun.length;
      const tests = counts.passed + counts.failed + skipped + errors;
      lines.push(`<testsuites name="krandog test" tests="${tests}" failures="${counts.failed}" errors="${errors}" skipped="${skipped}" time="${seconds(summary.ms)}">`);
      for (const file of summary.files) lines.push(...suite(file));
      for (const name of summary.notRun) {
        lines.push(`  <testsuite name="${attr(name)}" tests="1" failures="0" errors="0" skipped="1" time="0">`);
        lines.push(`    <testcase name="(file)" classname="${attr(name)}" time="0"><skipped message="not run: --bail stopped the run"/></testcase>`);
        lines.push('  </testsuite>');
      }
      lines.push('</testsuites>');
      write(lines.join('\n') + '\n');
    },
  };
}

function suite(file: FileResult): string[] {
  const failures = file.tests.filter((test) => test.status === 'failed').length;
  const skipped = file.tests.filter((test) => test.status === 'skipped').length;
  const errors = file.problem === undefined ? 0 : 1;
  const classname = attr(file.name);
  const lines = [
    `  <testsuite name="${classname}" tests="${file.tests.length + errors}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(file.ms)}">`,
  ];
  for (const test of file.tests) {
    const open = `    <testcase name="${attr(test.name)}" classname="${classname}" time="${seconds(test.ms)}"`;
    if (test.status === 'passed') lines.push(`${open}/>`);
    else if (test.status === 'skipped') lines.push(`${open}><skipped message="does not match -t"/></testcase>`);
    else {
      const error = test.error ?? { name: 'Error', message: '' };
      lines.push(`${open}>`, `      <failure message="${attr(error.message)}" type="${attr(error.name)}">${text(error.stack ?? error.message)}</failure>`, '    </testcase>');
    }
  }
  if (file.problem !== undefined) {
    lines.push(`    <testcase name="(file)" classname="${classname}" time="${seconds(file.ms)}">`);
    lines.push(`      <error message="${attr(file.problem)}" type="FileError">${text(file.problem)}</error>`, '    </testcase>');
  }
  const stdout = outputText(file, 'stdout');
  const stderr = outputText(file, 'stderr');
  if (stdout !== '') lines.push(`    <system-out>${text(stdout)}</system-out>`);
  if (stderr !== '') lines.push(`    <system-err>${text(stderr)}</system-err>`);
  lines.push('  </testsuite>');
  return lines;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Characters outside XML 1.0's Char production: most C0 controls, lone surrogates, U+FFFE/U+FFFF. */
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function text(value: string): string {
  return value.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
