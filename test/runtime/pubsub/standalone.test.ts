// A `krandog build` file does not carry the Redis client: configured for Redis without ioredis
// beside it, it says so once and keeps topics within its process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, killAll, startTrackedKrandog, Subscriber, topicServer } from '../../helpers/pubsub-processes.ts';
import { within } from '../../helpers/within.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'krandog-standalone-'));
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('a standalone build with KRANDOG_PUBSUB set', () => {
  // .cjs: a CommonJS build loads the client by the same dynamic import().
  it.each(['server.mjs', 'server.cjs'])('%s reports once that the Redis client is missing and delivers to its own subscribers', async (name) => {
    const outfile = path.join(dir, name);
    const build = startTrackedKrandog(['build', topicServer, '--outfile', outfile]);
    expect(await build.exited).toBe(0);

    const child = spawn(process.execPath, [outfile], { cwd: dir, env: { ...process.env, KRANDOG_PUBSUB: 'redis://127.0.0.1:1' } });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    try {
      const port = await within(
        new Promise<number>((resolve) =>
          child.stdout.setEncoding('utf8').on('data', (text: string) => {
            stdout += text;
            const match = /listening on http:\/\/localhost:(\d+)/.exec(stdout);
            if (match) resolve(Number(match[1]));
          }),
        ),
        20_000,
        `the standalone server never listened: ${stderr}`,
      );
      const [a, b] = await Promise.all([Subscriber.connect(port), Subscriber.connect(port)]);
      a.send('one');
      a.send('two');
      expect(await b.received(2)).toEqual(['one', 'two']);
      expect(await call(port, '/status')).toMatchObject({ pubsub: { backplane: 'redis', connected: false } });
      expect(stderr).toMatch(/^krandog: pub\/sub: cannot load the Redis client: .*ioredis.*`npm install ioredis` next to the script; topics stay within this process\n$/);
      await Promise.all([a.close(), b.close()]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
