// --watch: a supervisor reruns the script (a new child process each time) when an input changes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, makeTempDir, startKrandog } from '../helpers/krandog-cli.ts';

/** A script that prints its PID and what lib.js says, then stays alive (as a server would). */
function makeWatchedScript() {
  const dir = makeTempDir();
  const main = path.join(dir, 'main.js');
  const lib = path.join(dir, 'lib.js');
  writeFileSync(main, "import { value } from './lib.js';\nconsole.log(`run ${value} pid ${process.pid}`);\nsetInterval(() => {}, 1000);\n");
  writeFileSync(lib, "export const value = 'one';\n");
  return { dir, main, lib };
}

describe('krandog --watch', () => {
  it('reruns when an imported file changes, stopping the previous run', async () => {
    const { main, lib } = makeWatchedScript();
    const live = startKrandog(['--watch', main, 'arg']);
    try {
      const [, firstPid] = await live.waitFor(/run one pid (\d+)/);
      writeFileSync(lib, "export const value = 'two';\n");
      const [, secondPid] = await live.waitFor(/run two pid (\d+)/);
      expect(secondPid).not.toBe(firstPid);
      expect(isAlive(Number(firstPid))).toBe(false);
      expect(live.output().stderr).toMatch(/lib\.js changed; restarting/);

      // A syntax error is reported; the fix starts the script again.
      writeFileSync(lib, 'export const value = ;\n');
      await live.waitFor(/waiting for changes/, 'stderr');
      expect(live.output().stderr).toContain('lib.js:1:21');
      writeFileSync(lib, "export const value = 'three';\n");
      const [, thirdPid] = await live.waitFor(/run three pid (\d+)/);
      expect(isAlive(Number(thirdPid))).toBe(true);
    } finally {
      live.child.kill('SIGTERM');
    }
    const { code, signal } = await live.exited;
    // SIGTERM is passed on to the script, which dies of it: 128 + 15.
    expect({ code, signal }).toEqual({ code: 143, signal: null });
  });

  it('keeps the server answering while a save does not build, and restarts it once the fix builds', async () => {
    const { main, lib } = makeWatchedScript();
    writeFileSync(
      main,
      "import { value } from './lib.js';\n" +
        'const server = http.createServer(() => ({ body: value }), { quiet: true });\n' +
        "server.listen(0, '127.0.0.1', () => console.log(`serving ${value} on ${server.port} pid ${process.pid}`));\n",
    );
    const live = startKrandog(['--watch', main]);
    try {
      const [, firstPort, firstPid] = await live.waitFor(/serving one on (\d+) pid (\d+)/);
      const get = async (port: string) => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5_000) })).text();
      expect(await get(firstPort)).toBe('one');

      writeFileSync(lib, 'export const value = ;\n');
      await live.waitFor(/lib\.js changed but does not build; the running script keeps running, waiting for changes/, 'stderr');
      expect(live.output().stderr).toContain('lib.js:1:21');
      expect(await get(firstPort)).toBe('one');
      expect(isAlive(Number(firstPid))).toBe(true);

      writeFileSync(lib, "export const value = 'two';\n");
      const [, secondPort, secondPid] = await live.waitFor(/serving two on (\d+) pid (\d+)/);
      expect(await get(secondPort)).toBe('two');
      expect(secondPid).not.toBe(firstPid);
      expect(isAlive(Number(firstPid))).toBe(false);
    } finally {
      live.child.kill('SIGTERM');
    }
    await live.exited;
  });

  it('waits for changes after the script exits, then runs it again', async () => {
    const { main, lib } = makeWatchedScript();
    writeFileSync(main, "import { value } from './lib.js';\nconsole.log(`done ${value}`);\n");
    const live = startKrandog(['--watch', main]);
    try {
      await live.waitFor(/done one/);
      await live.waitFor(/script exited with code 0; waiting for changes/, 'stderr');
      writeFileSync(lib, "export const value = 'again';\n");
      await live.waitFor(/done again/);
      await live.waitFor(/(script exited with code 0; waiting for changes[\s\S]*){2}/, 'stderr');
    } finally {
      live.child.kill('SIGINT');
    }
    // Nothing running when Ctrl-C came: the supervisor itself exits 0.
    expect(await live.exited).toEqual({ code: 0, signal: null });
  });
});
