// The shipped .d.ts files, checked the way a user would: tsc on a script, with the tsconfig the
// README shows.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, repoRoot } from './runner-helpers.ts';

function tsc(project: string) {
  const bin = path.join(repoRoot, 'node_modules/.bin/tsc');
  const result = spawnSync(bin, ['-p', fixture(`types-project/${project}`)], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('type declarations', () => {
  it('type-check a script using the http module (events, address(), once(server, "listening")), a WebSocket server and client, and the test globals', () => {
    expect(tsc('tsconfig.json')).toEqual({ status: 0, output: '' });
  });

  it('catch misuse of the handler, serve(), the server\'s events and address(), and test()', () => {
    const { status, output } = tsc('tsconfig.wrong.json');
    expect(status).not.toBe(0);
    const errors = output.split('\n').filter((line) => line.includes('error TS'));
    const at = (line: number) => errors.filter((error) => error.includes(`wrong.ts(${line},`));
    expect(at(5)[0]).toContain("Type 'string' is not assignable to type 'number'"); // req.method is krandog's string
    expect(at(4)).toHaveLength(1); // status: '200' is not a number
    expect(at(8)[0]).toContain('Expected 2-3 arguments'); // serve(port) without a handler
    expect(at(9)[0]).toContain('Expected 2-3 arguments'); // test(name) without a function
    expect(at(10)[0]).toContain("Type 'string' is not assignable to type 'number'"); // run({ timeout: '5s' })
    expect(at(11)).toHaveLength(1); // a server event that does not exist
    expect(at(12)[0]).toContain("Type 'number' is not assignable to type 'string'"); // address().port is a number
  });
});
