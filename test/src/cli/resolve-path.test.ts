// resolve-path.ts: the start-up path's path.resolve() without Node's normalisation, the same results.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinPath, resolvePath } from '../../../src/resolve-path.ts';

const segment = fc.constantFrom('', '.', '..', '...', '.a', 'a.', 'ab', 'node_modules', 'x y', '-');
const pathText = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 })).map(([absolute, parts]) => (absolute ? '/' : '') + parts.join('/'));

describe('resolvePath', () => {
  it('equals path.resolve for any mix of segments, absolute or relative', () => {
    fc.assert(
      fc.property(pathText, (text) => {
        expect(resolvePath(text)).toBe(path.resolve(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a normal path as it is', () => {
    expect(resolvePath('/a/b.js')).toBe('/a/b.js');
    expect(resolvePath('a/.b/c...js')).toBe(path.join(process.cwd(), 'a/.b/c...js'));
    expect(resolvePath('/')).toBe('/');
  });
});

describe('joinPath', () => {
  it('equals path.join for a resolved folder and a plain name', () => {
    for (const dir of ['/', '/a', '/a/b']) expect(joinPath(dir, 'c.json')).toBe(path.join(dir, 'c.json'));
  });
});
