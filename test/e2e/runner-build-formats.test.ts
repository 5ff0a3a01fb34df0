// `krandog build` writes the module format node will load the outfile as, so that plain `node`
// runs it in a CommonJS package, an ES-module package, a package.json without "type", and outside
// any package, under any of the names .js, .cjs and .mjs. CI runs this file on each tested Node.
// Every case builds into a folder of its own, so they all run at the same time.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, makeTempDir, runKrandogAsync } from '../helpers/krandog-cli.ts';

type Place = 'commonjs' | 'module' | 'no type' | 'no package';

/** A new folder for `place`: with a package.json of that "type", one without "type", or none. */
function folderFor(place: Place): string {
  const dir = makeTempDir('krandog-build-');
  if (place === 'commonjs' || place === 'module') writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', type: place }));
  if (place === 'no type') writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app' }));
  return dir;
}

/** Node's rule: .mjs is an ES module, .cjs CommonJS; .js follows the nearest package.json's "type". */
function formatNodeLoads(place: Place, name: string): 'ES module' | 'CommonJS' {
  if (name.endsWith('.mjs')) return 'ES module';
  if (name.endsWith('.cjs')) return 'CommonJS';
  return place === 'module' ? 'ES module' : 'CommonJS';
}

const build = (args: string[]) => runKrandogAsync(['build', ...args]);
const spawnNode = (file: string) => runKrandogAsync([file], { command: process.execPath, cwd: path.dirname(file) });

describe.concurrent('krandog build: a file plain node runs wherever it is put', () => {
  beforeAll(() => {
    // 'no package' relies on os.tmpdir() having no package.json above it.
    for (let dir = os.tmpdir(); ; dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'package.json')), `${dir}/package.json`).toBe(false);
      if (path.dirname(dir) === dir) break;
    }
  });

  const places: Place[] = ['commonjs', 'module', 'no type', 'no package'];
  const cases = places.flatMap((place) => ['server.js', 'server.cjs', 'server.mjs'].map((name) => [place, name] as const));

  it.each(cases)('under %s, %s: an http + WebSocket server answers itself and exits 0', async (place, name) => {
    const outfile = path.join(folderFor(place), name);
    const format = formatNodeLoads(place, name);
    const built = await build([fixture('built-server.js'), '-o', outfile]);
    expect(built).toMatchObject({ status: 0, stdout: '' });
    expect(built.stderr).toMatch(new RegExp(`^krandog: wrote .*${name} \\(${format}, [\\d.]+ KiB\\)`));
    // Neither node's "Identifier 'require' has already been declared" nor its reparsing warning.
    expect(await spawnNode(outfile)).toMatchObject({
      status: 0,
      stdout: 'built-server.js true function\nhello node\necho ping\nclosed 1005\n',
      stderr: '',
    });
  });

  it('runs the test globals in a CommonJS file too', async () => {
    const script = path.join(makeTempDir(), 'tests.js');
    // run() not awaited: a CommonJS file has no top-level await.
    writeFileSync(script, readFileSync(fixture('tests-pass.js'), 'utf8').replace('await run();', 'run();'));
    const outfile = path.join(folderFor('commonjs'), 'tests.js');
    expect((await build([script, '-o', outfile])).status).toBe(0);
    const result = await spawnNode(outfile);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('2 tests passed');
  });

  describe('top-level await', () => {
    const script = path.join(makeTempDir(), 'awaits.js');
    // import.meta.url on line 1: the error's column is the script's, not that of krandog's prelude there.
    const source = "console.log(typeof import.meta.url, typeof WebSocket, await Promise.resolve('awaited'));\n";
    writeFileSync(script, source);

    it.each([
      ['module', 'out.js'],
      ['commonjs', 'out.mjs'],
      ['no package', 'out.mjs'],
    ] as const)('builds and runs under %s as %s, an ES module', async (place, name) => {
      const outfile = path.join(folderFor(place), name);
      expect((await build([script, '-o', outfile])).status).toBe(0);
      expect(await spawnNode(outfile)).toMatchObject({ status: 0, stdout: 'string function awaited\n', stderr: '' });
    });

    it.each([
      ['commonjs', 'out.js', /node loads out\.js as CommonJS \(.*package\.json has "type": "commonjs"\): name the outfile .*out\.mjs\./],
      ['no type', 'out.js', /node loads out\.js as CommonJS \(.*package\.json has no "type": "module"\)/],
      ['no package', 'out.js', /node loads out\.js as CommonJS \(no package\.json above it says "type": "module"\)/],
      ['module', 'out.cjs', /node loads a \.cjs file as CommonJS: name the outfile .*out\.mjs\./],
    ] as const)('is an error under %s as %s, which node loads as CommonJS; nothing is written', async (place, name, advice) => {
      const outfile = path.join(folderFor(place), name);
      const result = await build([script, '-o', outfile]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Top-level await cannot be used in a CommonJS file');
      expect(result.stderr).toContain(`awaits.js:1:${source.indexOf('await ')}:`);
      expect(result.stderr).toMatch(advice);
      expect(existsSync(outfile)).toBe(false);
    });
  });

  it('warns that the rest of import.meta is empty in a CommonJS file, and names the .mjs that has it', async () => {
    const script = path.join(makeTempDir(), 'meta.js');
    const source = 'console.log(typeof import.meta.filename, typeof import.meta.resolve);\n';
    writeFileSync(script, source);
    const outfile = path.join(folderFor('commonjs'), 'meta.js');
    const esm = path.join(folderFor('commonjs'), 'meta.mjs');
    const [built, moduleBuild] = await Promise.all([build([script, '-o', outfile]), build([script, '-o', esm])]);
    expect(built.status).toBe(0);
    expect(built.stderr).toContain('"import.meta" is empty in a CommonJS file, but for .url, .dirname and .filename');
    expect(built.stderr).toContain(`meta.js:1:${source.indexOf('import.meta.resolve')}:`);
    expect(built.stderr).toMatch(/name the outfile .*meta\.mjs to have all of import\.meta/);
    expect(built.stderr.match(/WARNING/g)).toHaveLength(1); // import.meta.filename works
    expect(moduleBuild.stderr).not.toContain('WARNING');
    const [cjsRun, esmRun] = await Promise.all([spawnNode(outfile), spawnNode(esm)]);
    expect(cjsRun).toMatchObject({ status: 0, stdout: 'string undefined\n', stderr: '' });
    expect(esmRun).toMatchObject({ status: 0, stdout: 'string function\n', stderr: '' });
  });
});
