// krandog's entry point (dist/cli.cjs, dist/cli.js). A plain `krandog script.js args...` whose
// cached bundle is fresh by its inputs' sizes and mtimes runs from here: this file's code is all
// that start-up reads and compiles (its size is measurable in a hello world's start-up), so it
// holds nothing else. Everything else (options, help, a cache miss or a closer check by content,
// --watch, build) loads the full program (full.ts, dist/cli-full.js).
//
// No top-level await here: Node's own check for an unsettled top-level await (exit 13) only
// covers the main module, which this file is under ./krandog but not under bin/krandog.js (npm's
// bin link). krandog makes that check itself, for the script, in exec/execute.ts: the same exit
// code and message however krandog was started, on every Node version.
import { freshBundle } from '../bundle/cache-manifest.ts';
import { resolvePath } from '../resolve-path.ts';
import { runBundle } from '../exec/execute.ts';
import { takeExecutablePath } from './entry.ts';
import { reportCliError } from './report-error.ts';

/** './cli-full.js' (build.mjs), through a variable: esbuild leaves the import to Node, without helpers. */
declare const KRANDOG_FULL_PROGRAM: string;
const fullProgram = KRANDOG_FULL_PROGRAM;
const loadFull = (): Promise<typeof import('./full.ts')> => import(fullProgram);

const [script, ...args] = process.argv.slice(2);
// An option, or the build or test command, goes to the full program.
const entry = script === undefined || script.startsWith('-') || script === 'build' || script === 'test' ? undefined : resolvePath(script);
const cached = entry === undefined ? undefined : freshBundle(entry);
const done = cached
  ? runBundle(cached.file, entry!, args, takeExecutablePath(), async () => {
      const { prepareBundle } = await loadFull();
      return (await prepareBundle(entry!, { cache: false })).file;
    })
  : loadFull().then(({ runProgram }) => runProgram(process.argv));
done.catch(reportCliError);
