// The WebSocket examples and the seed script, run through ./krandog, driven by `ws` clients.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startKrandogServer, type RunningKrandogServer } from '../helpers/krandog-server.ts';
import { repoRoot } from '../helpers/repo.ts';
import { clientClosed, nextMessages, openClient } from '../helpers/ws-server.ts';

const scripts: RunningKrandogServer[] = [];
afterEach(async () => {
  await Promise.all(scripts.splice(0).map((script) => script.stop()));
});

async function run(script: string, env: NodeJS.ProcessEnv = { PORT: '0' }): Promise<RunningKrandogServer & { ws: string }> {
  const server = await startKrandogServer(script, [], env);
  scripts.push(server);
  return { ...server, ws: `ws://127.0.0.1:${server.port}` };
}

async function texts(client: WebSocket, count: number): Promise<string[]> {
  return (await nextMessages(client, count)).map((message) => message.data.toString());
}

/** The seed script with its fixed port 3000 swapped for 0 (any free port); every other byte as written. */
function seedOnAnyPort(): string {
  const text = readFileSync(path.join(repoRoot, 'test/fixtures/ws/seed-broadcast.js'), 'utf8');
  expect(text.match(/server\.listen\(3000\)/g)).toHaveLength(1);
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'krandog-seed-')), 'seed-broadcast.js');
  writeFileSync(copy, text.replace('server.listen(3000)', 'server.listen(0)'));
  return copy;
}

describe('the seed example of issue 4, unchanged but for its port', () => {
  it('broadcasts every message to every client that has sent one, and answers HTTP with ok', async () => {
    // Port 0, not 3000: a fixed port may be taken on a shared machine, and a probe for it races.
    const script = seedOnAnyPort();
    const server = await run(script, {});
    expect(await (await fetch(`${server.url}/`)).text()).toBe('ok');
    const ann = await openClient(server.ws);
    const bob = await openClient(server.ws);
    ann.send('ann here');
    expect(await texts(ann, 1)).toEqual(['ann here']); // bob has not sent yet: not in the list
    bob.send('bob here');
    expect(await texts(ann, 1)).toEqual(['bob here']);
    expect(await texts(bob, 1)).toEqual(['bob here']);
    ann.send(Buffer.from([1, 2, 3]));
    const [toAnn, toBob] = await Promise.all([nextMessages(ann, 1), nextMessages(bob, 1)]);
    expect([toAnn[0].isBinary, [...toAnn[0].data]]).toEqual([true, [1, 2, 3]]);
    expect([toBob[0].isBinary, [...toBob[0].data]]).toEqual([true, [1, 2, 3]]);
    ann.close();
    bob.close();
  });
});

describe('examples/websocket-echo.js', () => {
  it('echoes text as text and binary as binary', async () => {
    const server = await run('examples/websocket-echo.js');
    const client = await openClient(server.ws);
    client.send('héllo');
    client.send(Buffer.from([0, 255]));
    const [text, binary] = await nextMessages(client, 2);
    expect([text.isBinary, text.data.toString()]).toEqual([false, 'héllo']);
    expect([binary.isBinary, [...binary.data]]).toEqual([true, [0, 255]]);
    client.close();
  });
});

describe('examples/websocket-broadcast.js', () => {
  it('sends each message to every open client and forgets closed ones', async () => {
    const server = await run('examples/websocket-broadcast.js');
    const clients = await Promise.all([0, 1, 2].map(() => openClient(server.ws)));
    expect(await (await fetch(`${server.url}/`)).text()).toBe('3 client(s) connected\n');
    clients[1].send('to all');
    expect(await Promise.all(clients.map((client) => texts(client, 1)))).toEqual([['to all'], ['to all'], ['to all']]);
    const closed = clientClosed(clients[2]);
    clients[2].close();
    await closed;
    await expect.poll(async () => (await fetch(`${server.url}/`)).text()).toBe('2 client(s) connected\n');
    clients[0].close();
    clients[1].close();
  });
});

describe('examples/websocket-chat-server.js (plain text clients)', () => {
  it('serves the page, names members from ?name=, broadcasts messages and join/leave notices', async () => {
    const server = await run('examples/websocket-chat-server.js');
    const page = await fetch(`${server.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('new WebSocket(');
    // From examples/websocket-chat.html, found next to the script (the cwd is the repository root).
    expect(page.headers.get('etag')).toMatch(/^"/);
    expect((await fetch(`${server.url}/`, { headers: { 'If-None-Match': page.headers.get('etag')! } })).status).toBe(304);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);

    const ann = await openClient(`${server.ws}/chat?name=Ann`);
    expect(await texts(ann, 1)).toEqual(['* Ann joined (1 here)']);
    const guest = await openClient(`${server.ws}/chat`);
    expect(await texts(guest, 1)).toEqual(['* guest-1 joined (2 here)']);
    expect(await texts(ann, 1)).toEqual(['* guest-1 joined (2 here)']);
    ann.send('  hello everyone  ');
    expect(await texts(ann, 1)).toEqual(['Ann: hello everyone']);
    expect(await texts(guest, 1)).toEqual(['Ann: hello everyone']);
    guest.close();
    expect(await texts(ann, 1)).toEqual(['* guest-1 left']);
    ann.close();
  });
});

describe('a throwing message handler in a krandog script', () => {
  it('logs the error like an uncaught one, with the script\'s frames only, and keeps the connection working', async () => {
    const server = await run('test/fixtures/ws/throwing-handler.js');
    const client = await openClient(server.ws);
    client.send('boom');
    client.send('reject');
    client.send('after');
    expect(await texts(client, 1)).toEqual(['echo after']);
    await expect.poll(() => server.stderr()).toContain('handler rejected');
    const script = path.join(repoRoot, 'test/fixtures/ws/throwing-handler.js');
    expect(server.stderr()).toContain(
      `krandog: WebSocket message handler failed:\n${script}:5\n  throw new Error(\`handler exploded on \${data}\`);\n        ^\n\n` +
        `Error: handler exploded on boom\n    at explode (${script}:5:9)\n`,
    );
    expect(server.stderr()).toContain(`krandog: WebSocket message handler failed:\n${script}:12\n`);
    // No frame of krandog's runtime (runtime/, dist/) or of Node's internals.
    const frames = server.stderr().split('\n').filter((line) => line.startsWith('    at '));
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.filter((frame) => !frame.includes(script))).toEqual([]);
    client.close();
  });
});
