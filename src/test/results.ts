// What `krandog test` learns about each file, and the counts the reporters and the exit code use.

export interface TestError {
  name: string;
  message: string;
  stack?: string;
}

export interface TestResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  ms: number;
  error?: TestError;
}

export interface OutputChunk {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface FileResult {
  /** Absolute path. */
  file: string;
  /** As the reports show it: relative to the working folder. */
  name: string;
  tests: TestResult[];
  /**
   * Why the file failed as a whole (it did not build, crashed, hung, registered no tests), on
   * one line; undefined when it ran and exited cleanly.
   */
  problem?: string;
  /** Stopped by --bail before it finished; its unfinished work is not counted. */
  cancelled?: boolean;
  /** The child's stdout and stderr, in the order they arrived. */
  output: OutputChunk[];
  ms: number;
}

export interface RunSummary {
  files: FileResult[];
  /** Files --bail kept from starting. */
  notRun: string[];
  ms: number;
}

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  filesPassed: number;
  filesFailed: number;
}

export function countResults(files: readonly FileResult[]): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0, filesPassed: 0, filesFailed: 0 };
  for (const file of files) {
    for (const test of file.tests) counts[test.status]++;
    if (fileFailed(file)) counts.filesFailed++;
    else if (!file.cancelled) counts.filesPassed++;
  }
  return counts;
}

export function fileFailed(file: FileResult): boolean {
  return file.problem !== undefined || file.tests.some((test) => test.status === 'failed');
}

/** The one rule for the exit code: every test passed, no file failed, and at least one test ran. */
export function runPassed(summary: RunSummary): boolean {
  const counts = countResults(summary.files);
  return counts.failed === 0 && counts.filesFailed === 0 && counts.passed > 0 && summary.notRun.length === 0;
}

/** The child's output as one text, in arrival order. */
export function outputText(file: FileResult, stream?: OutputChunk['stream']): string {
  return file.output
    .filter((chunk) => stream === undefined || chunk.stream === stream)
    .map((chunk) => chunk.text)
    .join('');
}
