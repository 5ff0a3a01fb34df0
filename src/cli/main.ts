// krandog's entry point (dist/cli.js). A plain run takes the fast path: no commander, no esbuild
// on a cache hit; everything else loads the full program (full.ts, dist/cli-full.js).
//
// No top-level await here: Node's own check for an unsettled top-level await (exit 13) only
// covers the main module, which this file is under ./krandog but not under bin/krandog.js (npm's
// bin link). krandog makes that check itself, for the script, in exec/execute.ts: the same exit
// code and message however krandog was started, on every Node version.
import { parsePlainRun } from './fast-args.ts';
import { reportCliError } from './report-error.ts';
import { runScript } from './run-command.ts';

const plain = parsePlainRun(process.argv.slice(2));
const done = plain
  ? runScript(plain.script, plain.args, { cache: plain.cache })
  : import('./full.ts').then(({ runProgram }) => runProgram(process.argv));
done.catch(reportCliError);
