// The bundle cache: hits without esbuild, invalidation by content, concurrent writers.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, krandogBin, krandogEnv, makeTempDir, makeProject, runKrandog } from '../helpers/krandog-cli.ts';

/** NODE_OPTIONS that make krandog fail if it loads esbuild (by require() or import()). */
const withoutEsbuild = {
  NODE_OPTIONS: `--require=${fixture('hooks/forbid-esbuild.cjs')} --import=${fixture('hooks/forbid-esbuild.mjs')}`,
};

/** A temporary project: main.js prints what lib.js exports. */
function makeScript(libText = "export const value = 'v1';\n") {
  const dir = makeTempDir();
  writeFileSync(path.join(dir, 'main.js'), "import { value } from './lib.js';\nconsole.log(value);\n");
  writeFileSync(path.join(dir, 'lib.js'), libText);
  return { dir, main: path.join(dir, 'main.js'), lib: path.join(dir, 'lib.js') };
}

function cacheFiles(cacheHome: string): string[] {
  const root = path.join(cacheHome, 'krandog');
  try {
    return readdirSync(root, { recursive: true }).map(String).filter((file) => statSync(path.join(root, file)).isFile());
  } catch {
    return [];
  }
}

describe('bundle cache', () => {
  it('serves an unchanged script from $XDG_CACHE_HOME/krandog without importing esbuild', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main } = makeScript();
    // The hook works: a run that has to bundle fails with it.
    const cold = runKrandog([main], { cacheHome, env: withoutEsbuild });
    expect(cold.status).not.toBe(0);
    expect(cold.stderr).toContain('forbid-esbuild');

    expect(runKrandog([main], { cacheHome })).toMatchObject({ status: 0, stdout: 'v1\n' });
    expect(cacheFiles(cacheHome).some((file) => /^bundles\/[0-9a-f]{32}\.cjs$/.test(file))).toBe(true);
    expect(runKrandog([main], { cacheHome, env: withoutEsbuild })).toMatchObject({ status: 0, stdout: 'v1\n', stderr: '' });
  });

  it('caches a script as CommonJS in strict mode, and one with a top-level await or import.meta.resolve as an ES module', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const dir = makeTempDir();
    const scripts = {
      plain: "console.log('strict', (function () { return this; })() === undefined, typeof require);\n",
      awaits: "await new Promise((resolve) => setTimeout(resolve, 1));\nconsole.log('awaited');\n",
      resolves: "console.log(typeof import.meta.resolve);\n",
    };
    for (const [name, text] of Object.entries(scripts)) writeFileSync(path.join(dir, `${name}.js`), text);
    const outputs = Object.keys(scripts).map((name) => runKrandog([path.join(dir, `${name}.js`)], { cacheHome }));
    expect(outputs.map(({ status, stdout, stderr }) => ({ status, stdout, stderr }))).toEqual([
      { status: 0, stdout: 'strict true function\n', stderr: '' },
      { status: 0, stdout: 'awaited\n', stderr: '' },
      { status: 0, stdout: 'function\n', stderr: '' },
    ]);
    const bundles = cacheFiles(cacheHome).filter((file) => file.startsWith('bundles/'));
    expect(bundles.map((file) => path.extname(file)).sort()).toEqual(['.cjs', '.mjs', '.mjs']);
  });

  it('bundles again when an import changes, even to the same size within the same mtime', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main, lib } = makeScript();
    expect(runKrandog([main], { cacheHome }).stdout).toBe('v1\n');

    // A fixed mtime (in the future, so never older than when it was recorded: no timing here).
    const mtime = new Date(Date.now() + 60_000);
    writeFileSync(lib, "export const value = 'v2';\n");
    utimesSync(lib, mtime, mtime);
    expect(runKrandog([main], { cacheHome })).toMatchObject({ status: 0, stdout: 'v2\n' });

    // Same size, same mtime as recorded: only the content hash can tell.
    writeFileSync(lib, "export const value = 'v3';\n");
    utimesSync(lib, mtime, mtime);
    expect(runKrandog([main], { cacheHome })).toMatchObject({ status: 0, stdout: 'v3\n' });
    // Each new bundle replaced the previous one: the cache holds one bundle and one manifest.
    expect(cacheFiles(cacheHome).filter((file) => file.startsWith('bundles/'))).toHaveLength(1);
    expect(cacheFiles(cacheHome).filter((file) => file.startsWith('manifests/'))).toHaveLength(1);
  });

  it('keeps the cache when a file is touched but its content is the same', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main, lib } = makeScript();
    expect(runKrandog([main], { cacheHome }).stdout).toBe('v1\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(lib, later, later);
    expect(runKrandog([main], { cacheHome, env: withoutEsbuild })).toMatchObject({ status: 0, stdout: 'v1\n' });
  });

  it("bundles again when a package's package.json changes where its entry is", () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const project = makeProject(['packages.js'], { packages: true });
    const script = path.join(project, 'packages.js');
    expect(runKrandog([script], { cacheHome }).stdout).toBe('CJS! true 42\n');
    const esmPackage = path.join(project, 'node_modules/esm-pkg');
    writeFileSync(path.join(esmPackage, 'other.js'), 'export const esmAnswer = 43;\n');
    writeFileSync(
      path.join(esmPackage, 'package.json'),
      JSON.stringify({ name: 'esm-pkg', version: '1.0.1', type: 'module', exports: { '.': './other.js' } }),
    );
    expect(runKrandog([script], { cacheHome }).stdout).toBe('CJS! true 43\n');
  });

  it('reports a deleted import instead of running the stale bundle', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main, lib } = makeScript();
    expect(runKrandog([main], { cacheHome }).status).toBe(0);
    rmSync(lib);
    const result = runKrandog([main], { cacheHome });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Could not resolve "./lib.js"');
  });

  it('survives several krandog processes starting at once on an empty cache', async () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main } = makeScript();
    const runs = Array.from({ length: 4 }, () => {
      const child = spawn(krandogBin, [main], { env: krandogEnv({ cacheHome }) });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      return new Promise<{ code: number | null; stdout: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout })));
    });
    for (const result of await Promise.all(runs)) expect(result).toEqual({ code: 0, stdout: 'v1\n' });
    expect(cacheFiles(cacheHome).filter((file) => file.endsWith('.tmp'))).toEqual([]);
    expect(runKrandog([main], { cacheHome, env: withoutEsbuild })).toMatchObject({ status: 0, stdout: 'v1\n' });
  });

  it('bundles again over a corrupt manifest', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main } = makeScript();
    expect(runKrandog([main], { cacheHome }).status).toBe(0);
    const manifests = path.join(cacheHome, 'krandog/manifests');
    for (const file of readdirSync(manifests)) writeFileSync(path.join(manifests, file), '{"key": trunc');
    expect(runKrandog([main], { cacheHome })).toMatchObject({ status: 0, stdout: 'v1\n', stderr: '' });
    expect(runKrandog([main], { cacheHome, env: withoutEsbuild }).status).toBe(0);
  });

  it('bundles again when the cached bundle file was deleted', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main } = makeScript();
    expect(runKrandog([main], { cacheHome }).status).toBe(0);
    rmSync(path.join(cacheHome, 'krandog/bundles'), { recursive: true });
    expect(runKrandog([main], { cacheHome })).toMatchObject({ status: 0, stdout: 'v1\n', stderr: '' });
  });

  it('--no-cache bundles every time and leaves the cache alone', () => {
    const cacheHome = makeTempDir('krandog-cache-');
    const { main } = makeScript();
    expect(runKrandog(['--no-cache', main], { cacheHome })).toMatchObject({ status: 0, stdout: 'v1\n' });
    expect(cacheFiles(cacheHome)).toEqual([]);
    expect(runKrandog([main], { cacheHome }).status).toBe(0);
    expect(runKrandog(['--no-cache', main], { cacheHome, env: withoutEsbuild }).status).not.toBe(0);
  });
});
