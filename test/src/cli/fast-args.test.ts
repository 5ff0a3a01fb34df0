import { describe, expect, it } from 'vitest';
import { parsePlainRun } from '../../../src/cli/fast-args.ts';

describe('parsePlainRun (the start-up fast path)', () => {
  it('takes a plain run, with everything after the script as its arguments', () => {
    expect(parsePlainRun(['app.js'])).toEqual({ script: 'app.js', args: [], cache: true });
    expect(parsePlainRun(['app.ts', '--watch', '-h', 'x'])).toEqual({ script: 'app.ts', args: ['--watch', '-h', 'x'], cache: true });
  });

  it('understands the fast-path flags of the option table', () => {
    expect(parsePlainRun(['--no-cache', 'app.js', 'a'])).toEqual({ script: 'app.js', args: ['a'], cache: false });
  });

  it.each([[[]], [['--help']], [['-v']], [['--watch', 'app.js']], [['--unknown', 'app.js']], [['build', 'app.js']], [['test', 'app.test.js']], [['--no-cache']]])(
    'leaves %j to the full program',
    (argv) => {
      expect(parsePlainRun(argv)).toBeUndefined();
    },
  );
});
