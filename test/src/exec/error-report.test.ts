import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatUncaughtError } from '../../../src/exec/error-report.ts';

const dist = '/opt/krandog/dist/';
const bundle = '/home/u/.cache/krandog/bundles/abc.mjs';

function errorWithStack(message: string, frames: string[]): Error {
  const error = new Error(message);
  error.stack = [`Error: ${message}`, ...frames.map((frame) => `    at ${frame}`)].join('\n');
  return error;
}

describe('formatUncaughtError', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'krandog-error-report-'));
  const source = path.join(dir, 'app.ts');
  writeFileSync(source, 'const a = 1;\nfunction go() { throw new Error("boom"); }\n');

  it("shows the user's frames only, after the source line with a caret", () => {
    const error = errorWithStack('boom', [
      `go (${source}:2:23)`,
      `${source}:3:1`,
      'ModuleJob.run (node:internal/modules/esm/module_job:234:25)',
      `async executeBundle (file://${dist}cli.js:600:5)`,
      `__require (file://${bundle}:1:200)`,
      'lazy (krandog:lazy-globals:12:3)',
    ]);
    const text = formatUncaughtError(error, [dist, bundle], false);
    expect(text).toBe(
      `${source}:2\nfunction go() { throw new Error("boom"); }\n                      ^\n\n` +
        `Error: boom\n    at go (${source}:2:23)\n    at ${source}:3:1\n`,
    );
  });

  it('cleans the cause and the errors of an AggregateError too', () => {
    const cause = errorWithStack('inner', ['ModuleJob.run (node:internal/x:1:1)', `inner (${source}:1:1)`]);
    const outer = new AggregateError([errorWithStack('one', [`one (file://${dist}cli.js:1:1)`])], 'outer', { cause });
    outer.stack = `AggregateError: outer\n    at top (${source}:2:1)\n    at x (node:internal/y:1:1)`;
    const text = formatUncaughtError(outer, [dist], false);
    expect(text).not.toMatch(/node:internal|cli\.js/);
    expect(text).toContain(`inner (${source}:1:1)`);
  });

  it('prints a thrown non-error value', () => {
    expect(formatUncaughtError('just a string', [dist], false)).toBe("Uncaught 'just a string'\n");
  });

  it('colours only when asked', () => {
    const error = Object.assign(errorWithStack('x', [`f (${source}:1:1)`]), { code: 'E_X' });
    expect(formatUncaughtError(error, [dist], false)).not.toContain('\x1b[');
    expect(formatUncaughtError(error, [dist], true)).toContain('\x1b[');
  });
});
