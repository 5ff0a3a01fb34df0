// Runs test files, `jobs` at a time: each is bundled here (so its child finds the bundle in the
// cache, and --watch learns its inputs), then run in its own process (run-file.ts). With --bail
// the first failure stops the rest: running files are killed, the others not started.
import { path } from '../builtins.ts';
import { prepareBundle } from '../bundle/prepare.ts';
import { isBundleError, isKrandogError } from '../errors.ts';
import { fileFailed, type FileResult, type RunSummary } from './results.ts';
import { runTestFile, type FileRunOptions } from './run-file.ts';

/** What every file's run takes (the signal and the event listener are this module's), and the pool's own. */
export interface RunFilesOptions extends Omit<FileRunOptions, 'signal' | 'onEvent'> {
  jobs: number;
  /** Each file's result, in the order of `files`, as soon as it and those before it are known. */
  onFile: (result: FileResult) => void;
}

export interface FilesRun extends RunSummary {
  /** Each file's bundle inputs (for --watch); the files an error names when it does not build. */
  inputs: Map<string, string[]>;
}

export async function runTestFiles(files: readonly string[], options: RunFilesOptions): Promise<FilesRun> {
  const startedAt = Date.now();
  const queue = [...files];
  const results: FileResult[] = [];
  const inputs = new Map<string, string[]>();
  const bail = new AbortController();
  // One bundle at a time: each build stops esbuild's service when it is done (bundle.ts), which
  // would strand a build running beside it.
  let bundling: Promise<unknown> = Promise.resolve();
  const bundle = (file: string) => {
    const next = bundling.then(() => prepareBundle(file, { cache: options.cache }));
    bundling = next.catch(() => {});
    return next;
  };

  const runOne = async (file: string): Promise<FileResult> => {
    const name = path.relative(options.cwd, file) || file;
    const started = Date.now();
    try {
      inputs.set(file, [file, ...(await bundle(file)).inputs]);
    } catch (error) {
      if (isBundleError(error)) {
        inputs.set(file, [file, ...error.files]);
        return { file, name, tests: [], problem: 'does not build', output: [{ stream: 'stderr', text: error.formatted }], ms: Date.now() - started };
      }
      inputs.set(file, [file]);
      if (isKrandogError(error)) return { file, name, tests: [], problem: error.message, output: [], ms: Date.now() - started };
      throw error;
    }
    if (bail.signal.aborted) return { file, name, tests: [], cancelled: true, output: [], ms: 0 };
    return runTestFile(file, name, {
      ...options,
      signal: bail.signal,
      onEvent: (event) => {
        if (options.bail && event.type === 'fail') bail.abort();
      },
    });
  };

  // Reported in order, so that every report reads the same from run to run.
  const finished = new Map<string, FileResult>();
  let reported = 0;
  const report = () => {
    for (; reported < files.length && finished.has(files[reported]); reported++) options.onFile(finished.get(files[reported])!);
  };
  const worker = async () => {
    while (queue.length > 0 && !bail.signal.aborted) {
      const result = await runOne(queue.shift()!);
      results.push(result);
      if (options.bail && fileFailed(result)) bail.abort();
      finished.set(result.file, result);
      report();
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.jobs, files.length) }, worker));
  return { files: sortLike(files, results), notRun: queue.map((file) => path.relative(options.cwd, file) || file), inputs, ms: Date.now() - startedAt };
}

function sortLike(files: readonly string[], results: FileResult[]): FileResult[] {
  const order = new Map(files.map((file, index) => [file, index]));
  return results.sort((a, b) => order.get(a.file)! - order.get(b.file)!);
}
