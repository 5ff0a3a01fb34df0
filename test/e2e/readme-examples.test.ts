// Every fenced JavaScript/TypeScript example of README.md runs as written (test/helpers/readme-examples.ts
// says how, and which `<!-- readme-test: … -->` comments steer it). Those that listen on a fixed
// port (most on 3000) run one after the other; the rest, and the runner's own tests, beside them.
// The runner waits while a fixed port is busy, so a wrong guess here costs time, never a result.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUnavailableReason, sharedRedis } from '../helpers/redis-server.ts';
import { extractExamples, runExample, type ReadmeExample } from '../helpers/readme-examples.ts';
import { repoRoot } from '../helpers/repo.ts';

const examples = extractExamples(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'));
// Examples that need Redis run where the pub/sub tests do (CI's KRANDOG_TEST_REDIS, or a redis-server started here).
const noRedis = redisUnavailableReason();
let redis: Promise<{ url: string; stop(): Promise<void> }> | undefined;
const redisUrl = async (): Promise<string> => (await (redis ??= sharedRedis())).url;
afterAll(async () => {
  await (await redis)?.stop();
});

/** listen(3000), serve(8443, …), listen(Number(process.argv[2] ?? 3000)): a port number in the call. */
const onFixedPort = (example: ReadmeExample) => /\b(?:listen|serve)\([^)]*?\b[1-9]\d{2,4}\b/.test(example.code);

function exampleTest(example: ReadmeExample, test: typeof it): void {
  const title = `line ${example.line}: ${example.code.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#!'))}`;
  const skip = example.directives.skip ?? (example.directives.needsRedis ? noRedis : undefined);
  test.skipIf(skip !== undefined)(title + (skip ? ` (skipped: ${skip})` : ''), async () => {
    await runExample(example, example.directives.needsRedis ? { redisUrl: await redisUrl() } : {});
  }, 60_000);
}

describe.concurrent('README.md examples', () => {
  it('has examples to run, and skips few of them, each for a reason', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    const skipped = examples.filter((example) => example.directives.skip !== undefined);
    expect(skipped.length).toBeLessThanOrEqual(1);
  });

  describe.concurrent('on a fixed port, one after the other', () => {
    for (const example of examples.filter(onFixedPort)) exampleTest(example, it.sequential);
  });

  for (const example of examples.filter((example) => !onFixedPort(example))) exampleTest(example, it);
});

describe.concurrent('the example runner itself', () => {
  const [server, broken, unsettled, hanging, client, workers, pubsub] = extractExamples(
    [
      '<!-- readme-test: args 0 -->',
      '```js',
      "serve(Number(process.argv[2]), () => ({ body: 'ok' }));",
      '```',
      '```javascript',
      "throw new Error('broken example');",
      '```',
      '```ts',
      'await new Promise<void>(() => {});',
      '```',
      '```js',
      'setInterval(() => {}, 1000);',
      '```',
      '<!-- readme-test: needs-echo-server -->',
      '<!-- readme-test: args --verbose -->',
      '```js',
      'const ws = new WebSocket(process.argv[3]);',
      "ws.onopen = () => ws.send('hi');",
      'ws.onmessage = (event) => console.log(process.argv[2], event.data);',
      '```',
      '<!-- readme-test: flags --workers 2 -->',
      '```js',
      "serve(0, () => ({ body: `worker ${process.env.KRANDOG_WORKER}` }));",
      '```',
      '<!-- readme-test: needs-redis -->',
      '```js',
      "const server = http.createServer({ websocket: {} }, { quiet: true });",
      'console.log(server.pubsub.backplane); // prints: redis',
      'await server.close();',
      '```',
      '```sh',
      'echo not an example',
      '```',
    ].join('\n'),
  );

  it('reads the directives above a fence', () => {
    expect(server.directives.args).toEqual(['0']);
    expect([broken.extension, unsettled.extension]).toEqual(['.js', '.ts']);
    expect(client.directives).toMatchObject({ needsEchoServer: true, args: ['--verbose'] });
    expect(() => extractExamples('<!-- readme-test: skip -->\n```js\n```\n')).toThrow(/needs a reason/);
    expect(() => extractExamples('<!-- readme-test: slip typo -->\n```js\n```\n')).toThrow(/unknown readme-test directive "slip"/);
  });

  it('passes a server that answers and stops on SIGTERM, and a client of the echo server', async () => {
    await expect(runExample(server)).resolves.toMatchObject({ kind: 'server' });
    await expect(runExample(client)).resolves.toEqual({ kind: 'script', stdout: '--verbose hi\n' });
  }, 60_000);

  it('passes krandog the flags (--workers), before the script', async () => {
    expect(workers.directives.flags).toEqual(['--workers', '2']);
    const { stdout } = await runExample(workers);
    expect(stdout).toMatch(/^Server listening on http:\/\/localhost:\d+\n/);
  }, 60_000);

  it.skipIf(noRedis !== undefined)('gives a needs-redis example KRANDOG_PUBSUB', async () => {
    await expect(runExample(pubsub)).rejects.toThrow(/needs a Redis/);
    await expect(runExample(pubsub, { redisUrl: await redisUrl() })).resolves.toEqual({ kind: 'script', stdout: 'redis\n' });
  }, 60_000);

  it('waits for a fixed port that is busy for a moment, within a limit', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as net.AddressInfo).port);
    const onBusyPort = { ...server, directives: { ...server.directives, args: [port] } };
    try {
      await expect(runExample(onBusyPort, { portWaitMs: 0 })).rejects.toThrow(`port ${port} is already in use`);
      setTimeout(() => blocker.close(), 1_000);
      await expect(runExample(onBusyPort, { portWaitMs: 15_000 })).resolves.toMatchObject({ kind: 'server' });
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('fails an example whose "// prints:" comment is not what it prints', async () => {
    const [wrongComment] = extractExamples("```js\nconsole.log('hello'); // prints: goodbye\n```\n");
    await expect(runExample(wrongComment)).rejects.toThrow(/it says it prints "goodbye"/);
  }, 60_000);

  it('fails an example that throws, one whose await never settles, and one that never ends', async () => {
    await Promise.all([
      expect(runExample(broken)).rejects.toThrow(/exit code 1[^]*broken example/),
      expect(runExample(unsettled)).rejects.toThrow(/exit code 13/),
      expect(runExample(hanging, { timeoutMs: 1_000 })).rejects.toThrow(/did not finish within 1000 ms/),
    ]);
  }, 60_000);
});
