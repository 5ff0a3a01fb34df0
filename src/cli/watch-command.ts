import { WatchSupervisor } from '../watch/supervisor.ts';
import { resolveEntry, takeExecutablePath } from './entry.ts';

/** `krandog --watch <script> [args...]`: run, and rerun whenever a bundled input changes. */
export async function watchScript(script: string, args: string[], options: { cache: boolean }): Promise<void> {
  const entry = resolveEntry(script);
  await new WatchSupervisor({ entry, args, argv0: takeExecutablePath(), cache: options.cache }).start();
}
