// removeFirstLinePreludes, checked through Node's own source-map reader.
import { SourceMap } from 'node:module';
import * as esbuild from 'esbuild';
import { describe, expect, it } from 'vitest';
import { removeFirstLinePreludes, type RawSourceMap } from '../../../src/bundle/source-map.ts';

const prelude = 'var __krandog_dirname = "/some/where";';

async function bundleWithPrelude(files: Record<string, string>, withPrelude: Set<string>) {
  const result = await esbuild.build({
    stdin: { contents: Object.keys(files).map((name) => `import './${name}';`).join('\n'), resolveDir: '/virtual', sourcefile: 'entry.js' },
    bundle: true,
    write: false,
    format: 'esm',
    sourcemap: 'external',
    outfile: '/virtual/out.js',
    logLevel: 'silent',
    plugins: [
      {
        name: 'virtual',
        setup(build) {
          build.onResolve({ filter: /^\.\// }, (args) => ({ path: `/virtual/${args.path.slice(2)}` }));
          build.onLoad({ filter: /.*/ }, (args) => {
            const name = args.path.slice('/virtual/'.length);
            return { contents: (withPrelude.has(name) ? prelude : '') + files[name], loader: 'js' };
          });
        },
      },
    ],
  });
  const code = result.outputFiles.find((file) => file.path.endsWith('out.js'))!.text;
  const map = JSON.parse(result.outputFiles.find((file) => file.path.endsWith('.map'))!.text) as RawSourceMap;
  return { code, map };
}

/** Original position of the first occurrence of `needle` in the generated code. */
function originalOf(code: string, map: RawSourceMap, needle: string) {
  const before = code.slice(0, code.indexOf(needle)).split('\n');
  const entry = new SourceMap(map as never).findEntry(before.length - 1, before.at(-1)!.length) as {
    originalSource: string;
    originalLine: number;
    originalColumn: number;
  };
  return { source: entry.originalSource.split('/').at(-1), line: entry.originalLine, column: entry.originalColumn };
}

describe('removeFirstLinePreludes', () => {
  const files = {
    'a.js': 'console.log("a-one", __krandog_dirname); console.log("a-two");\nconsole.log("a-three");\n',
    'b.js': 'console.log("b-one"); console.log("b-two");\n',
  };

  it('moves the columns of line 1 back by the prelude, for that source only', async () => {
    const { code, map } = await bundleWithPrelude(files, new Set(['a.js']));
    const aIndex = map.sources.findIndex((source) => source.endsWith('a.js'));
    const aTwo = files['a.js'].indexOf('console.log("a-two")');
    expect(originalOf(code, map, 'console.log("a-two")').column).toBe(prelude.length + aTwo);
    removeFirstLinePreludes(map, new Map([[aIndex, prelude.length]]));
    expect(originalOf(code, map, 'console.log("a-one"')).toEqual({ source: 'a.js', line: 0, column: 0 });
    expect(originalOf(code, map, 'console.log("a-two")')).toEqual({ source: 'a.js', line: 0, column: aTwo });
    expect(originalOf(code, map, 'console.log("a-three")')).toEqual({ source: 'a.js', line: 1, column: 0 });
    expect(originalOf(code, map, 'console.log("b-two")')).toEqual({ source: 'b.js', line: 0, column: files['b.js'].indexOf('console.log("b-two")') });
    expect(map.sourcesContent![aIndex]).toBe(files['a.js']);
  });

  it('leaves a map without preludes as it is', async () => {
    const { map } = await bundleWithPrelude(files, new Set());
    const before = JSON.stringify(map);
    removeFirstLinePreludes(map, new Map());
    expect(JSON.stringify(map)).toBe(before);
  });

  it('re-encodes large and negative deltas exactly', async () => {
    const long = `${'x'.repeat(5000)}`;
    const source = `var ${long} = 1; console.log(${long});\nconsole.log(2);\n`;
    const { code, map } = await bundleWithPrelude({ 'c.js': source }, new Set(['c.js']));
    removeFirstLinePreludes(map, new Map([[map.sources.findIndex((s) => s.endsWith('c.js')), prelude.length]]));
    expect(originalOf(code, map, 'console.log(x')).toEqual({ source: 'c.js', line: 0, column: source.indexOf('console.log(x') });
    expect(originalOf(code, map, 'console.log(2)')).toEqual({ source: 'c.js', line: 1, column: 0 });
  });
});
