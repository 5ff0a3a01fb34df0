// What krandog bundles and how the bundled modules see themselves: entry types, imports, packages,
// the http mapping, per-module __dirname/__filename/import.meta.url, shebang scripts.
import { chmodSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, fixturesDir, makeProject, makeTempDir, runKrandog } from '../helpers/krandog-cli.ts';
import { repoRoot } from '../helpers/repo.ts';

describe('krandog bundling', () => {
  const cacheHome = makeTempDir('krandog-cache-');
  const run = (args: string[], cwd?: string) => runKrandog(args, { cacheHome, cwd });

  it('runs a TypeScript entry that imports another .ts file', () => {
    const result = run([fixture('ts-entry.ts')]);
    expect(result).toMatchObject({ status: 0, stdout: 'hello from typescript\n', stderr: '' });
  });

  it.each([
    ['component.tsx', '<p class="greeting">hello tsx</p>\n'],
    ['component.jsx', '<b>hello jsx</b>\n'],
    ['common.cjs', 'hello from common.cjs\n'],
    ['top-level-await.mjs', 'awaited\n'],
  ])('runs %s', (file, stdout) => {
    expect(run([fixture(file)])).toMatchObject({ status: 0, stdout, stderr: '' });
  });

  it('imports JSON, default and named', () => {
    expect(run([fixture('json-import.js')])).toMatchObject({ status: 0, stdout: 'fixture-data 1.2.3 3\n' });
  });

  it('resolves CommonJS and ESM packages from node_modules above the script, not from krandog', () => {
    // node_modules two folders up from the script, as in a project with src/app/.
    const project = makeProject(['packages.js'], { packages: true, into: 'src/app' });
    const result = run([path.join(project, 'src/app/packages.js')], makeTempDir());
    expect(result).toMatchObject({ status: 0, stdout: 'CJS! true 42\n', stderr: '' });
  });

  it("gives user modules krandog's http for 'http' and 'node:http', and packages Node's", () => {
    const project = makeProject(['http-modules.js'], { packages: true });
    const result = run([path.join(project, 'http-modules.js')]);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')).toEqual([
      'user http is krandog true',
      'node:http is the same true',
      'global http is the same true true',
      'package gets node http true true',
      '',
    ]);
  });

  it("loads krandog's runtime on the first use of one of its globals", () => {
    run([fixture('lazy-globals.js')]); // bundles (and so loads esbuild's node:module and node:os)
    expect(run([fixture('lazy-globals.js')])).toMatchObject({
      status: 0,
      stderr: '',
      stdout:
        'defined before use true loaded false\n' +
        'typeof http object typeof serve function loaded true\n' +
        'assigned replaced by the script function\n',
    });
  });

  it('loads the runtime up front where Node cannot require() an ES module (before 20.19)', () => {
    const env = { NODE_OPTIONS: '--no-experimental-require-module' };
    const lazy = runKrandog([fixture('lazy-globals.js')], { cacheHome, env });
    expect(lazy).toMatchObject({ status: 0, stderr: '' });
    expect(lazy.stdout).toContain('defined before use true loaded true\n');
    const project = makeProject(['http-modules.js'], { packages: true });
    const result = runKrandog([path.join(project, 'http-modules.js')], { cacheHome, env });
    expect(result.stdout).toContain('global http is the same true true');
  });

  it('gives each module its own __dirname, __filename and import.meta.url, naming the source file', () => {
    const result = run([fixture('locations.js')]);
    expect(result.status).toBe(0);
    const [entryLine, nestedLine] = result.stdout.trim().split('\n');
    const entry = fixture('locations.js');
    expect(entryLine).toBe(`entry ${fixturesDir.replace(/\/$/, '')} ${entry} file://${entry}`);
    const nested = fixture('nested/deep/where.ts');
    expect(JSON.parse(nestedLine.replace(/^nested /, ''))).toEqual({
      dirname: path.dirname(nested),
      filename: nested,
      url: `file://${nested}`,
      metaDirname: path.dirname(nested),
    });
  });

  it('runs a shebang script directly after chmod +x, with krandog on PATH', () => {
    const dir = makeTempDir();
    const script = path.join(dir, 'shebang.js');
    const tool = path.join(dir, 'tool'); // scripts on PATH often have no extension
    cpSync(fixture('shebang.js'), script);
    cpSync(fixture('shebang.js'), tool);
    chmodSync(script, 0o755);
    chmodSync(tool, 0o755);
    const env = { PATH: `${repoRoot}${path.delimiter}${process.env.PATH}` };
    const direct = runKrandog(['one', 'two'], { command: script, env, cwd: dir });
    expect(direct).toMatchObject({ status: 0, stdout: 'hello from shebang one two true\n', stderr: '' });
    const extensionless = runKrandog([], { command: tool, env, cwd: dir });
    expect(extensionless).toMatchObject({ status: 0, stdout: 'hello from shebang  false\n', stderr: '' });
  });

  it('keeps line and column right in a file whose first line uses __dirname', () => {
    const dir = makeTempDir();
    const script = path.join(dir, 'first-line.js');
    writeFileSync(script, 'const where = __dirname; throw new Error(`first line in ${where}`);\n');
    const result = run([script]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Error: first line in ${dir}`);
    expect(result.stderr).toContain(`(${script}:1:32)`);
  });

  it("points a syntax error on the first line of a file that uses __dirname at the script's own column", () => {
    const dir = makeTempDir();
    const script = path.join(dir, 'first-line-syntax.js');
    writeFileSync(script, 'const where = __dirname; where(;\n');
    const result = run([script]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('first-line-syntax.js:1:31:');
    expect(result.stderr).toContain('1 │ const where = __dirname; where(;');
  });
});

describe('krandog build', () => {
  it('writes one standalone ES-module file that plain node runs elsewhere, runtime and packages inlined', () => {
    const project = makeProject(['http-modules.js'], { packages: true });
    const out = path.join(makeTempDir(), 'nested', 'http-modules.mjs');
    const build = runKrandog(['build', path.join(project, 'http-modules.js'), '--outfile', out]);
    expect(build.status).toBe(0);
    expect(build.stderr).toMatch(/wrote .*http-modules\.mjs/);
    const code = readFileSync(out, 'utf8');
    expect(code).not.toMatch(/from ["'][^"']*dist\/runtime/); // nothing left to import from krandog
    expect(code).toContain('sourceMappingURL=data:application/json;base64,');
    // Run it with plain node in a folder with no node_modules and no krandog.
    const elsewhere = makeTempDir();
    cpSync(out, path.join(elsewhere, 'app.mjs'));
    const result = spawnNode([path.join(elsewhere, 'app.mjs')], elsewhere);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('user http is krandog true');
    expect(result.stdout).toContain('global http is the same true true');
    expect(result.stdout).toContain('package gets node http true true');
  });

  it('puts the test globals in the standalone file too', () => {
    const out = path.join(makeTempDir(), 'tests.mjs');
    expect(runKrandog(['build', fixture('tests-pass.js'), '-o', out]).status).toBe(0);
    const result = spawnNode([out], repoRoot);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('2 tests passed');
  });

  it('reports a syntax error and writes nothing', () => {
    const out = path.join(makeTempDir(), 'never.mjs');
    const result = runKrandog(['build', fixture('syntax-error.js'), '-o', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('syntax-error.js:2:15');
    expect(() => readFileSync(out)).toThrow();
  });

  it('requires --outfile', () => {
    const result = runKrandog(['build', fixture('argv.js')]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('--outfile');
  });
});

function spawnNode(args: string[], cwd: string) {
  return runKrandog(args, { command: process.execPath, cwd });
}
