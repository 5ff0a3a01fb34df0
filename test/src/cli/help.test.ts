import { describe, expect, it } from 'vitest';
import { formatHelp } from '../../../src/cli/help.ts';
import { buildOptions, environmentVariables, examples, runOptions, testOptions } from '../../../src/cli/options.ts';

describe('formatHelp', () => {
  const help = formatHelp();
  const lines = help.split('\n');

  it("follows node's shape: usage first, sections, the documentation last", () => {
    expect(lines[0]).toBe('Usage: krandog [options] <script> [args...]');
    expect(lines[1]).toBe('       krandog build <script> --outfile <file>');
    expect(lines[2]).toBe('       krandog test [options] [paths...]');
    const titles = lines.filter((line) => /^[A-Z][\w ]+:$/.test(line));
    expect(titles).toEqual(['Options:', 'Build options:', 'Test options:', 'Environment variables:', 'Examples:']);
    expect(lines.at(-2)).toMatch(/^Documentation can be found in .*README\.md$/);
  });

  it('lists every row of the option table, each on one line with its description', () => {
    const rows: (readonly string[])[] = [...runOptions, ...buildOptions, ...testOptions].map((o) => [o.flags, o.description]);
    rows.push(...environmentVariables);
    rows.push(...examples);
    for (const [left, right] of rows) {
      expect(lines.some((line) => line.startsWith(`  ${left} `) && line.endsWith(right))).toBe(true);
    }
  });

  it('aligns the description column within each section', () => {
    const options = lines.slice(lines.indexOf('Options:') + 1, lines.indexOf('', lines.indexOf('Options:')));
    const columns = options.map((line) => line.indexOf(runOptions.find((o) => line.includes(o.flags))!.description));
    expect(new Set(columns).size).toBe(1);
  });
});
