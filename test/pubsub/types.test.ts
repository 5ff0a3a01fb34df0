// The pub/sub declarations (types/http.d.ts), checked the way a user would: tsc on a script.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function tsc(project: string): { status: number | null; output: string } {
  const result = spawnSync('node_modules/.bin/tsc', ['-p', `test/fixtures/pubsub/types/${project}`], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('pub/sub type declarations', () => {
  it('type-check topics, publish, subscriberCount, pubsub status and the pubsub option', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('reject a number topic, an object message, misused results and a port as the pubsub option', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    const errorLines = output
      .split('\n')
      .filter((line) => line.includes('error TS'))
      .map((line) => Number(/wrong\.ts\((\d+),/.exec(line)?.[1]));
    expect([...new Set(errorLines)].sort((a, b) => a - b)).toEqual([8, 9, 10, 12, 16]);
  });
});
