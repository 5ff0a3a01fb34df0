import { Command } from 'commander';
import { runScript } from './run-command.ts';

declare const KRANDOG_VERSION: string;

/** Builds the commander program; no side effects until it is parsed. */
export function createProgram(): Command {
  const program = new Command('krandog')
    .version(KRANDOG_VERSION, '-v, --version')
    .usage('[options] <script> [args...]')
    .argument('<script>', 'the script to run (.js .mjs .cjs .ts .tsx .jsx)')
    .argument('[args...]', 'arguments passed to the script as process.argv.slice(2)')
    .passThroughOptions()
    .action(async (script: string, args: string[]) => {
      await runScript(script, args);
    });
  return program;
}
