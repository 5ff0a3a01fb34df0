// The WebSocket server's type declarations, checked the way a user would: tsc on a script.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', `test/fixtures/ws/types/${project}`], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('WebSocket server type declarations', () => {
  it('type-check hooks, verdicts, options and the ws object as the README uses them', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('reject an object sent as a message, a string close code and a string timeout', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    const errorLines = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => Number(/wrong\.ts\((\d+),/.exec(line)?.[1]));
    expect([...new Set(errorLines)].sort((a, b) => a - b)).toEqual([7, 8, 12]);
  });
});
