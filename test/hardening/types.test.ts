// The TLS server and limit options in krandog's type declarations, checked as a user would: tsc on a script.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', `test/fixtures/hardening/types/${project}`], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('type declarations of the TLS server and the limits', () => {
  it('type-check createServer with tls (both argument orders), the https module and the limit options', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('reject a string limit and a key of the wrong type', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    const errorLines = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => Number(/wrong\.ts\((\d+),/.exec(line)?.[1]));
    expect([...new Set(errorLines)]).toEqual([5, 6]);
  });
});
