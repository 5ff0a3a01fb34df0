// `krandog test --watch`: run every file, then rerun the files whose inputs change (the test
// file, what it imports, the package.json/tsconfig.json that steer its bundle). Changes made
// during a run are taken together once it ends. Ctrl-C ends the watch with the last run's verdict.
import { path } from '../builtins.ts';
import { FileWatcher } from '../watch/file-watcher.ts';
import { runPassed } from './results.ts';
import { killRunningFiles } from './run-file.ts';
import type { FilesRun } from './run-files.ts';

export async function watchTests(files: readonly string[], run: (files: readonly string[]) => Promise<FilesRun>): Promise<void> {
  const inputs = new Map<string, string[]>();
  let passed = false;
  const changed = new Set<string>();
  let running = false;

  const runAndWatch = async (subset: readonly string[]) => {
    const result = await run(subset);
    passed = runPassed(result);
    for (const [file, fileInputs] of result.inputs) inputs.set(file, fileInputs);
    watcher.setFiles(new Set([...inputs.values()].flat()));
    process.stderr.write('krandog: watching for changes (Ctrl-C to stop)\n');
  };

  const onChange = async (files: string[]) => {
    for (const file of files) changed.add(file);
    if (running) return;
    running = true;
    while (changed.size > 0) {
      const batch = [...changed];
      changed.clear();
      const affected = [...inputs.keys()].filter((file) => inputs.get(file)!.some((input) => batch.some((change) => touches(change, input))));
      if (affected.length === 0) continue;
      const names = batch.map((file) => path.relative(process.cwd(), file) || file).join(', ');
      process.stderr.write(`\nkrandog: ${names} changed; rerunning ${affected.length} ${affected.length === 1 ? 'file' : 'files'}\n`);
      await runAndWatch(affected);
    }
    running = false;
  };

  const watcher = new FileWatcher((files) => void onChange(files));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      watcher.close();
      killRunningFiles();
      process.exit(passed ? 0 : 1);
    });
  }
  running = true;
  await runAndWatch(files);
  running = false;
  if (changed.size > 0) await onChange([]);
}

/** A change names a file, or only its folder when the platform could not tell which file. */
function touches(change: string, input: string): boolean {
  return change === input || path.dirname(input) === change.replace(/[\\/]$/, '');
}
