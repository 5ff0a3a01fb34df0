// The README's table of KRANDOG_WS_* error codes lists exactly the codes the runtime can produce,
// so adding, renaming or removing a code fails here until the table says so too.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../helpers/repo.ts';

const CODE = /KRANDOG_WS_[A-Z0-9_]+/g;

function codesInRuntime(): Set<string> {
  const codes = new Set<string>();
  const files = readdirSync(path.join(repoRoot, 'runtime'), { recursive: true, encoding: 'utf8' });
  for (const file of files.filter((name) => name.endsWith('.ts'))) {
    for (const code of readFileSync(path.join(repoRoot, 'runtime', file), 'utf8').match(CODE) ?? []) codes.add(code);
  }
  return codes;
}

/** The first column of the table under "### WebSocket error codes". */
function codesInReadmeTable(): string[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split('\n### WebSocket error codes\n')[1]?.split('\n#')[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^\| `(KRANDOG_WS_[A-Z0-9_]+)` \|/.exec(line)?.[1])
    .filter((code): code is string => code !== undefined);
}

describe('README table of WebSocket error codes', () => {
  it('lists every KRANDOG_WS_* code in runtime/, once, and no other', () => {
    const runtime = [...codesInRuntime()].sort();
    const table = codesInReadmeTable();
    expect(runtime.length).toBeGreaterThanOrEqual(20);
    expect(new Set(table).size).toBe(table.length);
    expect([...table].sort()).toEqual(runtime);
  });
});
