import { prepareBundle } from '../bundle/prepare.ts';
import { runBundle } from '../exec/execute.ts';
import { resolveEntry, takeExecutablePath } from './entry.ts';

export interface RunOptions {
  cache: boolean;
}

/** `krandog [options] <script> [args...]`: bundle (or take from the cache) and run in this process. */
export async function runScript(script: string, args: string[], options: RunOptions): Promise<void> {
  const entry = resolveEntry(script);
  const argv0 = takeExecutablePath();
  const bundle = await prepareBundle(entry, options);
  // Another krandog replaced the cached bundle between our lookup and import: build our own.
  await runBundle(bundle.file, entry, args, argv0, async () => (await prepareBundle(entry, { cache: false })).file);
}
