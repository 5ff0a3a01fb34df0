// Type declarations are checked the way a user would meet them: tsc on a script in a fixture folder.
// One `tsc -b` builds every fixture project in one process (one start-up, one read of @types/node)
// instead of one tsc per project; --verbose marks where each project's diagnostics begin.
import { spawnSync } from 'node:child_process';
import { repoRoot } from './repo.ts';

/** What tsc said about one project: whether it reported an error, and its diagnostics (no build chatter). */
export interface TscResult {
  ok: boolean;
  output: string;
}

/** Type-checks `test/fixtures/<project>` for each project in one `tsc -b`; the result of each, by project. */
export function tscAll(projects: readonly string[]): Map<string, TscResult> {
  const paths = projects.map((project) => `test/fixtures/${project}`);
  // --force: check every project now, whatever the .tsbuildinfo files left by an earlier run say.
  const result = spawnSync('node_modules/.bin/tsc', ['-b', '--verbose', '--force', '--pretty', 'false', ...paths], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.error) throw result.error;
  const sections = diagnosticsByProject(result.stdout + result.stderr);
  return new Map(
    projects.map((project, i) => {
      const lines = sections.get(paths[i]);
      if (!lines) throw new Error(`tsc -b did not build ${paths[i]}:\n${result.stdout}${result.stderr}`);
      return [project, { ok: !lines.some((line) => line.includes('error TS')), output: lines.join('\n') }];
    }),
  );
}

/** Splits `tsc -b --verbose` output into the diagnostic lines printed after each "Building project" line. */
function diagnosticsByProject(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split(/\r?\n/)) {
    const building = / - Building project '(.+)'\.\.\.$/.exec(line);
    if (building) sections.set(building[1], (current = []));
    else if (/^[^']* - Projects? /.test(line)) current = undefined; // a status line about the next project
    else if (current && line.trim() !== '') current.push(line);
  }
  return sections;
}

/** The distinct lines of `wrong.ts` that tsc reported errors on, in order. */
export function errorLinesOfWrongTs(output: string): number[] {
  const lines = output
    .split('\n')
    .filter((line) => line.includes('error TS'))
    .map((line) => Number(/wrong\.ts\((\d+),/.exec(line)?.[1]));
  return [...new Set(lines)].sort((a, b) => a - b);
}
