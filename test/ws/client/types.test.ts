// The client's type declarations (types/), checked the way a user would: tsc on a script, with and
// without the DOM lib (whose WebSocket, CloseEvent and ErrorEvent must not clash with krandog's).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', `test/fixtures/ws-client/types/${project}`], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('WebSocket client type declarations', () => {
  it.each(['tsconfig.json', 'tsconfig.dom.json'])('type-check the client as scripts use it (%s)', (project) => {
    expect(tsc(project)).toEqual({ status: 0, output: '' });
  });

  it('reject an object sent as a message, a string close code, an unknown binaryType and a string CloseEvent code', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    const errorLines = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => Number(/wrong\.ts\((\d+),/.exec(line)?.[1]));
    expect([...new Set(errorLines)].sort((a, b) => a - b)).toEqual([5, 6, 7, 8]);
  });
});
