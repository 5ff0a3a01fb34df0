// Type declarations are checked the way a user would meet them: tsc on a script in a fixture folder.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs the repository's tsc on `test/fixtures/<project>`; status and everything it printed. */
export function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', `test/fixtures/${project}`], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

/** The distinct lines of `wrong.ts` that tsc reported errors on, in order. */
export function errorLinesOfWrongTs(output: string): number[] {
  const lines = output
    .split('\n')
    .filter((line) => line.includes('error TS'))
    .map((line) => Number(/wrong\.ts\((\d+),/.exec(line)?.[1]));
  return [...new Set(lines)].sort((a, b) => a - b);
}
