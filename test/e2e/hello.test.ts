import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';

describe('krandog launcher', () => {
  it('runs examples/hello.js with its arguments', () => {
    const result = spawnSync('./krandog', ['examples/hello.js', 'a', 'b'], { encoding: 'utf8' });
    expect(result.stdout).toBe('hello from krandog a b\n');
    expect(result.status).toBe(0);
  });
});
