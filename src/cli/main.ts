// krandog's entry point (dist/cli.js). A plain run takes the fast path: no commander, no esbuild
// on a cache hit; everything else loads the full program (full.ts, dist/cli-full.js).
import { parsePlainRun } from './fast-args.ts';
import { reportCliError } from './report-error.ts';
import { runScript } from './run-command.ts';

const plain = parsePlainRun(process.argv.slice(2));
try {
  if (plain) {
    await runScript(plain.script, plain.args, { cache: plain.cache });
  } else {
    const { runProgram } = await import('./full.ts');
    await runProgram(process.argv);
  }
} catch (error) {
  reportCliError(error);
}
