// The full command line, with commander: help, version, --watch, `build`, and one-line errors
// with exit code 2 for anything it cannot parse. Only used off the fast path (main.ts), so
// commander is imported when needed, not on every start.
import type { Command } from 'commander';
import { module } from '../builtins.ts';
import { KrandogError, USAGE_EXIT_CODE } from '../errors.ts';
import { formatHelp } from './help.ts';
import { buildOptions, runOptions, testOptions, type OptionSpec } from './options.ts';
import { runScript } from './run-command.ts';

declare const KRANDOG_VERSION: string;

interface RunFlags {
  watch?: boolean;
  cache: boolean;
  workers?: string;
}

/** Builds the commander program; no side effects until it is parsed. */
export async function createProgram(): Promise<Command> {
  const { Command } = loadCommander();
  const program = configure(new Command('krandog'))
    .version(KRANDOG_VERSION, '-v, --version', "print krandog's version and exit")
    .usage('[options] <script> [args...]')
    .argument('<script>', 'the script to run')
    .argument('[args...]', 'arguments for the script')
    // Options after the script name are the script's, not krandog's.
    .enablePositionalOptions()
    .passThroughOptions()
    .action(async (script: string, args: string[], flags: RunFlags) => {
      if (flags.workers !== undefined) {
        if (flags.watch) throw new KrandogError('--workers cannot be combined with --watch', USAGE_EXIT_CODE);
        const { parseWorkerCount, runWorkers } = await import('../exec/workers.ts');
        await runWorkers(script, args, { cache: flags.cache, workers: parseWorkerCount(flags.workers) });
      } else if (flags.watch) {
        const { watchScript } = await import('./watch-command.ts');
        await watchScript(script, args, { cache: flags.cache });
      } else {
        await runScript(script, args, { cache: flags.cache });
      }
    });
  addOptions(program, runOptions);
  const build = configure(program.command('build'))
    .argument('<script>', 'the script to bundle')
    .action(async (script: string, flags: { outfile: string }) => {
      const { buildScript } = await import('./build-command.ts');
      await buildScript(script, flags.outfile);
    });
  addOptions(build, buildOptions);
  const testing = configure(program.command('test'))
    .argument('[paths...]', 'test files, folders or globs')
    .action(async (paths: string[], flags: import('../test/command.ts').TestFlags) => {
      const { testCommand } = await import('../test/command.ts');
      await testCommand(paths, flags);
    });
  addOptions(testing, testOptions);
  return program;
}

/**
 * Parses `argv` (process.argv shape) and runs the command. Usage errors print one line
 * (`krandog: unknown option '--x' ...`) and set exit code 2; help and version exit 0.
 */
export async function runProgram(argv: string[]): Promise<void> {
  const { CommanderError } = loadCommander();
  const program = await createProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
  }
}

/** require(), not import(): Node would first scan the CommonJS source for its export names. */
function loadCommander(): typeof import('commander') {
  return module().createRequire(import.meta.url)('commander') as typeof import('commander');
}

function configure(command: Command): Command {
  return command
    .helpOption('-h, --help', 'print this help and exit')
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (message, write) => write(`krandog: ${message.replace(/^error: /, '').trimEnd()} (see krandog --help)\n`),
    })
    .configureHelp({ formatHelp: () => formatHelp() });
}

function addOptions(command: Command, options: readonly OptionSpec[]): void {
  for (const option of options) {
    if (option.command === 'global') continue; // help and version are commander's own
    if (option.required) command.requiredOption(option.flags, option.description);
    else command.option(option.flags, option.description);
  }
}
