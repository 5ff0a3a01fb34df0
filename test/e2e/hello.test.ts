import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, runKrandog } from '../helpers/krandog-cli.ts';

describe('krandog launcher', () => {
  it('runs examples/hello.js with its arguments', () => {
    const result = spawnSync('./krandog', ['examples/hello.js', 'a', 'b'], { encoding: 'utf8' });
    expect(result.stdout).toBe('hello from krandog a b\n');
    expect(result.status).toBe(0);
  });

  // CI runs the suite once per Node version with that version first on PATH (.ci/run): the
  // scripts krandog runs must be on that version too, not on some other `node`.
  it('runs the script on the first node on PATH, the one running these tests', () => {
    const script = path.join(makeTempDir(), 'version.js');
    writeFileSync(script, 'console.log(process.version);\n');
    expect(runKrandog([script])).toMatchObject({ status: 0, stdout: `${process.version}\n` });
  });
});
