// A handler or upgrade hook whose result fights back (a throwing `then` getter, a Proxy whose every
// trap throws, throwing getters, a thenable that answers twice) gets a 500 and a line on stderr;
// the process, its other connections and its WebSockets carry on. Through ./krandog, so that a
// crash is a dead process, not a failed assertion (fixture: hardening/hostile-results.js).
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startKrandogServer, type RunningKrandogServer } from '../helpers/krandog-server.ts';
import { RawHttpConnection, rawRequest } from '../helpers/raw-http.ts';
import { nextMessages, openClient, RawClient, upgradeRequest } from '../helpers/ws-server.ts';
import { within } from '../helpers/within.ts';

let server: RunningKrandogServer;
let keptAlive: RawHttpConnection;
let ws: WebSocket;
beforeAll(async () => {
  server = await startKrandogServer(fixture('../hardening/hostile-results.js'));
  // Opened before the hostile requests: they must still work after them.
  keptAlive = await RawHttpConnection.connect(server.port);
  ws = await openClient(`ws://127.0.0.1:${server.port}/echo`);
});
afterAll(async () => {
  keptAlive.close();
  ws.terminate();
  await server.stop();
});

/** Waits until stderr has `count` lines starting with `header` (each is logged once per request). */
async function reportsOf(header: string, count: number): Promise<void> {
  const seen = () => server.stderr().split('\n').filter((line) => line.startsWith(header)).length;
  await within(
    (async () => {
      while (seen() < count) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    10_000,
    `stderr never had ${count} × ${header}:\n${server.stderr()}`,
  );
}

const hostileResults = [
  '/then-getter',
  '/proxy',
  '/async-proxy',
  '/thenable-of-proxy',
  '/then-throws',
  '/status-getter',
  '/headers-getter',
  '/body-getter',
  '/headers-proxy',
  '/body-proxy',
  '/iterator-getter',
  '/next-throws',
  '/locked-stream',
  '/response-subclass',
  '/throws-proxy',
];

describe('hostile handler results', () => {
  it.each(hostileResults)('%s: 500 without internals, a logged error, and the server carries on', async (target) => {
    const before = server.stderr().length;
    const response = await fetch(server.url + target);
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
    await within(
      (async () => {
        while (!server.stderr().slice(before).includes(`(GET ${target})`)) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      10_000,
      `no error logged for ${target}:\n${server.stderr()}`,
    );
    expect(server.stderr().slice(before)).toMatch(new RegExp(`^krandog: (the request handler failed|response body stream failed) \\(GET ${target}\\):`, 'm'));
    expect(server.child.exitCode).toBeNull();
  });

  it('a function with a then method is awaited like any thenable', async () => {
    const response = await fetch(server.url + '/function-thenable');
    expect([response.status, await response.text()]).toEqual([200, 'from a function thenable']);
  });

  it('a thenable that answers twice, rejects and throws: the first answer is sent, once', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/answers-twice') + rawRequest('GET', '/'));
    const first = await connection.readResponse();
    expect([first.status, first.body.toString()]).toEqual([200, 'first answer']);
    const second = await connection.readResponse();
    expect(second.body.toString()).toBe('still serving');
    connection.close();
  });
});

const hostileVerdicts = ['/then-getter', '/proxy', '/async-proxy', '/then-throws', '/status-getter', '/headers-getter', '/refusal-headers-proxy', '/throws-proxy'];

describe('hostile upgrade hook results', () => {
  it.each(hostileVerdicts)('%s: 500 without internals, a logged error, and the server carries on', async (target) => {
    const failures = server.stderr().split('\nkrandog: WebSocket upgrade handler failed:').length - 1;
    const raw = await RawClient.connect(server.port);
    raw.write(upgradeRequest(target));
    expect(await raw.response()).toMatchObject({ status: 500, body: 'Internal Server Error' });
    await within(raw.closed, 10_000, 'the refused upgrade was not closed');
    await reportsOf('krandog: WebSocket upgrade handler failed:', failures + 1);
    expect(server.child.exitCode).toBeNull();
  });
});

describe('after all of them', () => {
  it('the process still runs, and the connections opened before still work', async () => {
    expect(server.child.exitCode).toBeNull();
    keptAlive.write(rawRequest('GET', '/'));
    expect((await keptAlive.readResponse()).body.toString()).toBe('still serving');
    ws.send('still echoing');
    const [echo] = await nextMessages(ws, 1);
    expect(echo.data.toString()).toBe('still echoing');
    expect(await (await fetch(server.url + '/')).text()).toBe('still serving');
  });
});
