// The CLI as data: one table feeds both commander (program.ts) and the help text (help.ts),
// and the start-up fast path (fast-args.ts) reads it without loading commander.

export interface OptionSpec {
  /** Commander flag syntax, e.g. `-w, --watch` or `-o, --outfile <file>`. */
  flags: string;
  description: string;
  /** Which command the option belongs to. */
  command: 'run' | 'build' | 'test' | 'global';
  /** A flag the start-up fast path understands by itself, so a plain run never loads commander. */
  fastPath?: true;
  /** Commander reports a missing required option as a usage error. */
  required?: true;
}

export const runOptions: readonly OptionSpec[] = [
  { flags: '-w, --watch', description: 'rerun the script when any bundled input changes', command: 'run' },
  { flags: '--no-cache', description: 'bundle afresh; neither read nor write the bundle cache', command: 'run', fastPath: true },
  {
    flags: '--workers <n>',
    description: "run the script in n processes sharing its ports (node:cluster); 'auto': one per core",
    command: 'run',
  },
  { flags: '-h, --help', description: 'print this help and exit', command: 'global' },
  { flags: '-v, --version', description: "print krandog's version and exit", command: 'global' },
];

export const buildOptions: readonly OptionSpec[] = [
  { flags: '-o, --outfile <file>', description: 'where to write the standalone file (required)', command: 'build', required: true },
];

export const testOptions: readonly OptionSpec[] = [
  { flags: '-j, --jobs <n>', description: 'run n test files at a time (default: one per core)', command: 'test' },
  { flags: '--timeout <ms>', description: 'fail a test that takes longer (default 5000)', command: 'test' },
  { flags: '-t, --test-name-pattern <regex>', description: 'run only the tests whose name matches', command: 'test' },
  { flags: '--bail', description: 'stop at the first failure', command: 'test' },
  { flags: '-w, --watch', description: 'rerun the test files whose inputs change', command: 'test' },
  { flags: '--reporter <name>', description: 'default, tap or junit', command: 'test' },
  { flags: '-o, --outfile <file>', description: "write the reporter's report there; stdout gets the default one", command: 'test' },
  { flags: '--no-cache', description: 'bundle afresh; neither read nor write the bundle cache', command: 'test' },
];

/** A line of the help's two-column lists: what (a variable, a command line), then what it does. */
export type HelpEntry = readonly [term: string, description: string];

export const environmentVariables: readonly HelpEntry[] = [
  ['NO_COLOR', 'set to any non-empty value to turn coloured output off'],
  ['XDG_CACHE_HOME', 'the bundle cache lives in $XDG_CACHE_HOME/krandog (default ~/.cache/krandog)'],
  ['KRANDOG_PUBSUB', "redis://host:port: publish reaches WebSocket subscribers in every process through Redis"],
];

export const examples: readonly HelpEntry[] = [
  ['krandog server.js', 'run a script'],
  ['krandog server.ts --port 3000', 'everything after the script is passed to it'],
  ['krandog --watch server.ts', 'rerun the script whenever one of its files changes'],
  ['krandog --no-cache script.js', 'bundle again even if nothing changed'],
  ['krandog --workers auto server.js', 'one server process per core, restarted if it crashes'],
  ['krandog test --reporter junit -o report.xml', 'run the *.test.js/.ts files, each in its own process'],
  ['krandog build server.ts -o server.mjs', 'write one standalone file; run it with `node server.mjs`'],
];

/** The run command's usage line; also the first line of the help. */
export const runUsage = 'krandog [options] <script> [args...]';
export const buildUsage = 'krandog build <script> --outfile <file>';
export const testUsage = 'krandog test [options] [paths...]';
