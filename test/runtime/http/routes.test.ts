// The route table of a handler object (runtime/http/routes.ts), through a real server and fetch:
// params, precedence, methods and 405, the static-file value, the fallback, and WebSocket upgrades
// beside routes (the `ws` package as the peer).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createServer, type HandlerSpec, type Server } from '../../../runtime/http/server.ts';
import { file } from '../../../runtime/http/static/file-response.ts';
import { RouteTable } from '../../../runtime/http/routes.ts';

let server: Server | undefined;
afterEach(async () => {
  await server?.close({ force: true });
  server = undefined;
});

async function start(handler: unknown): Promise<string> {
  return listen(createServer(handler as HandlerSpec, { quiet: true }));
}

async function listen(created: Server): Promise<string> {
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${created.port}`;
}

const echoParams = (req: { params: Record<string, string> }) => ({ body: { ...req.params } });

describe('routes', () => {
  it('match :params (percent-decoded) and a final * into req.params', async () => {
    const base = await start({
      routes: {
        '/users/:id': echoParams,
        '/users/:id/posts/:post': echoParams,
        '/files/*': echoParams,
      },
    });
    expect(await (await fetch(`${base}/users/42`)).json()).toEqual({ id: '42' });
    expect(await (await fetch(`${base}/users/a%20b`)).json()).toEqual({ id: 'a b' });
    expect(await (await fetch(`${base}/users/7/posts/9?x=1`)).json()).toEqual({ id: '7', post: '9' });
    expect(await (await fetch(`${base}/files/a/b/c.txt`)).json()).toEqual({ '*': 'a/b/c.txt' });
    // An empty segment is no :param, and a route is matched whole.
    expect((await fetch(`${base}/users/`)).status).toBe(404);
    expect((await fetch(`${base}/users/1/extra`)).status).toBe(404);
  });

  it('prefer a literal over a :param over a *, whatever the order of the table', async () => {
    const base = await start({
      routes: {
        '/*': () => ({ body: 'rest' }),
        '/users/:id': () => ({ body: 'param' }),
        '/users/me': () => ({ body: 'literal' }),
      },
    });
    expect(await (await fetch(`${base}/users/me`)).text()).toBe('literal');
    expect(await (await fetch(`${base}/users/5`)).text()).toBe('param');
    expect(await (await fetch(`${base}/other/thing`)).text()).toBe('rest');
  });

  it('match a literal route written with non-ASCII characters, which clients send percent-encoded', async () => {
    const base = await start({ routes: { '/café': () => ({ body: 'coffee' }), '/a/b': () => ({ body: 'a/b' }) } });
    expect(await (await fetch(`${base}/café`)).text()).toBe('coffee'); // sent as /caf%C3%A9
    expect((await fetch(`${base}/a%2Fb`)).status).toBe(404); // an encoded slash is no segment boundary
  });

  it('answer a method table by method: HEAD by GET, others 405 with Allow', async () => {
    const base = await start({
      routes: { '/items': { GET: () => ({ body: 'list' }), POST: (req: { body: string }) => ({ status: 201, body: req.body }) } },
    });
    expect(await (await fetch(`${base}/items`)).text()).toBe('list');
    const created = await fetch(`${base}/items`, { method: 'POST', body: 'new' });
    expect([created.status, await created.text()]).toEqual([201, 'new']);
    const head = await fetch(`${base}/items`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '4']);
    const refused = await fetch(`${base}/items`, { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET, POST, HEAD');
  });

  it('send an http.file() value to GET and HEAD, 405 to other methods', async () => {
    const base = await start({ routes: { '/': file(import.meta.filename, { type: 'text/plain' }) } });
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/plain');
    expect(await page.text()).toContain('send an http.file() value');
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('leave unmatched paths to `request`, or 404 without one; an http.file() result of any handler is sent', async () => {
    const base = await start({ routes: { '/a': () => ({ body: 'a' }) }, request: async () => file(import.meta.filename) });
    expect(await (await fetch(`${base}/elsewhere`)).text()).toContain('an http.file() result');
    await server!.close({ force: true });
    const bare = await start({ routes: { '/a': () => ({ body: 'a' }) } });
    expect((await fetch(`${bare}/b`)).status).toBe(404);
    await server!.close({ force: true });
    // A function handler too (this test file's .ts has no listed type: bytes).
    const plain = await start(() => file(import.meta.filename, { headers: { 'Cache-Control': 'no-store' } }));
    const response = await fetch(`${plain}/`);
    expect([response.status, response.headers.get('cache-control'), response.headers.get('content-type')]).toEqual([200, 'no-store', 'application/octet-stream']);
  });

  it('refuse http.file() given as a body (it would send its path as JSON) with a 500 that says why', async () => {
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      const base = await start(() => ({ body: file(import.meta.filename) }));
      const response = await fetch(`${base}/`);
      expect(response.status).toBe(500);
      expect(await response.text()).not.toContain(import.meta.filename);
      expect(errors.join('\n')).toContain('return http.file(path), not { body: http.file(path) }');
    } finally {
      console.error = original;
    }
  });

  it('keep WebSocket upgrades automatic beside the routes', async () => {
    const base = await start({
      routes: { '/api/ping': () => ({ body: 'pong' }) },
      websocket: { message: (ws: { send(data: string): void }, data: string) => ws.send(`echo ${data}`) },
    });
    expect(await (await fetch(`${base}/api/ping`)).text()).toBe('pong');
    const client = new WebSocket(base.replace('http', 'ws') + '/api/ping');
    await once(client, 'open');
    client.send('hi');
    const [reply] = await once(client, 'message');
    expect(String(reply)).toBe('echo hi');
    client.close();
    await once(client, 'close');
  });

  it('take routes and static from the options too, in either argument order', async () => {
    const folder = import.meta.dirname;
    // Node's order: options first.
    const base = await listen(createServer({ quiet: true, static: folder }, () => ({ body: 'handler' })));
    expect(await (await fetch(`${base}/routes.test.ts`)).text()).toContain('take routes and static from the options');
    expect(await (await fetch(`${base}/elsewhere`)).text()).toBe('handler');
    await server!.close({ force: true });
    const routed = await listen(createServer(() => ({ body: 'handler' }), { quiet: true, routes: { '/r': () => ({ body: 'route' }) } }));
    expect(await (await fetch(`${routed}/r`)).text()).toBe('route');
    await server!.close({ force: true });
    // Options with static before a handler object: the object with `request`/`websocket` is the handler.
    const mixed = await listen(createServer({ quiet: true, static: folder }, { request: () => ({ body: 'request' }) }));
    expect(await (await fetch(`${mixed}/routes.test.ts`)).text()).toContain('take routes and static from the options');
    expect(await (await fetch(`${mixed}/elsewhere`)).text()).toBe('request');
    expect(() => createServer({ routes: {} } as HandlerSpec, { routes: {} } as object)).toThrow(/not both/);
    expect(() => createServer(((_req: unknown, _res: unknown) => {}) as HandlerSpec, { static: folder } as object)).toThrow(/not a \(req, res\) listener/);
  });

  it('refuse a malformed table when the server is created', () => {
    expect(() => new RouteTable({ 'users/:id': () => {} })).toThrow(/must start with \//);
    expect(() => new RouteTable({ '/a/*/b': () => {} })).toThrow(/\* may only end a route/);
    expect(() => new RouteTable({ '/a/:': () => {} })).toThrow(/needs a name/);
    expect(() => new RouteTable({ '/a': { get: () => {} } })).toThrow(/not a method name in capitals/);
    expect(() => new RouteTable({ '/a': { GET: 'text' } })).toThrow(/GET must be a handler or http.file/);
    expect(() => new RouteTable({ '/a': 42 })).toThrow(/must be a handler, http.file/);
    expect(() => createServer({ routes: {}, static: 42 } as unknown as HandlerSpec)).toThrow(/static must be a folder path/);
  });
});
