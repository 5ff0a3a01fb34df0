// Which files `krandog test` picks (src/test/discover.ts) and the glob matcher it uses, in-process.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverTestFiles } from '../../../src/test/discover.ts';
import { globBase, globToRegExp } from '../../../src/test/glob.ts';
import { makeTempDir } from '../../helpers/krandog-cli.ts';

describe('globToRegExp', () => {
  it.each([
    ['*.test.js', 'a.test.js', true],
    ['*.test.js', 'dir/a.test.js', false],
    ['**/*.test.js', 'a.test.js', true],
    ['**/*.test.js', 'a/b/c.test.js', true],
    ['src/**', 'src/a/b.js', true],
    ['src/*.{js,ts}', 'src/a.ts', true],
    ['src/*.{js,ts}', 'src/a.mjs', false],
    ['t?st/[ab].js', 'test/a.js', true],
    ['t?st/[!ab].js', 'test/a.js', false],
    ['a.b(c)+.js', 'a.b(c)+.js', true],
    ['a.js', 'aXjs', false],
  ])('%s against %s: %s', (pattern, file, matches) => {
    expect(globToRegExp(pattern).test(file)).toBe(matches);
  });

  it('starts looking at the folder before the first wildcard', () => {
    expect(globBase('src/lib/**/*.ts')).toBe('src/lib');
    expect(globBase('**/*.ts')).toBe('.');
    expect(globBase('/abs/x/*.js')).toBe('/abs/x');
  });
});

describe('discoverTestFiles', () => {
  const dir = makeTempDir('krandog-discover-');
  const files = [
    'a.test.js',
    'b.test.ts',
    'c.test.mjs',
    'd.test.cjs',
    'e.test.jsx',
    'plain.js',
    'test/helper.js',
    'test/data.json',
    'pkg/test/deep/x.ts',
    'node_modules/dep/z.test.js',
    '.hidden/h.test.js',
    'docs/readme.md',
  ];
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '');
  }
  const relative = (found: string[]) => found.map((file) => path.relative(dir, file));

  it('by default: *.test.{js,ts,mjs,cjs} and scripts under a test/ folder, sorted, node_modules and dot-folders left out', () => {
    expect(relative(discoverTestFiles([], dir))).toEqual(['a.test.js', 'b.test.ts', 'c.test.mjs', 'd.test.cjs', 'pkg/test/deep/x.ts', 'test/helper.js']);
  });

  it('takes a named file whatever its name, searches a folder, matches a glob, and lists each file once', () => {
    expect(relative(discoverTestFiles(['plain.js', 'test', 'plain.js'], dir))).toEqual(['plain.js', 'test/helper.js']);
    expect(relative(discoverTestFiles(['**/*.test.{ts,mjs}'], dir))).toEqual(['b.test.ts', 'c.test.mjs']);
    expect(relative(discoverTestFiles([path.join(dir, 'pkg')], dir))).toEqual(['pkg/test/deep/x.ts']);
  });

  it('refuses a path that does not exist, and one with no test files, as usage errors', () => {
    expect(() => discoverTestFiles(['nope.test.js'], dir)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/^cannot find 'nope\.test\.js'/) }));
    expect(() => discoverTestFiles(['docs'], dir)).toThrow(/no test files in/);
    expect(() => discoverTestFiles(['*.nothing'], dir)).toThrow("no test files in '*.nothing'");
  });
});
