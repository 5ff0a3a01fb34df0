// The start-up fast path: a plain `krandog [--no-cache] script.js args...` is recognised here
// without loading commander (it costs milliseconds on every start). Anything else (help,
// version, watch, build, test, an unknown or malformed option) goes to the full program.
import { runOptions } from './options.ts';

export interface PlainRun {
  script: string;
  args: string[];
  cache: boolean;
}

/** `--no-cache` → { name: 'cache', value: false }, from the option table's fast-path entries. */
const fastFlags = new Map<string, { name: string; value: boolean }>(
  runOptions
    .filter((option) => option.fastPath)
    .map((option) => {
      const long = option.flags.split(/[ ,]+/).find((flag) => flag.startsWith('--'))!;
      const negated = long.startsWith('--no-');
      return [long, { name: long.slice(negated ? 5 : 2), value: !negated }];
    }),
);

export function parsePlainRun(argv: readonly string[]): PlainRun | undefined {
  const flags: Record<string, boolean> = {};
  let index = 0;
  for (; index < argv.length && argv[index].startsWith('-'); index++) {
    const flag = fastFlags.get(argv[index]);
    if (!flag) return undefined;
    flags[flag.name] = flag.value;
  }
  const script = argv[index];
  if (script === undefined || script === 'build' || script === 'test') return undefined;
  return { script, args: argv.slice(index + 1), cache: flags.cache ?? true };
}
