// The http examples run as documented.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startKrandogServer, type RunningKrandogServer } from '../helpers/krandog-server.ts';

let server: RunningKrandogServer | undefined;
afterEach(() => server?.stop());

describe('examples', () => {
  it('http-hello.js greets and answers 404 elsewhere', async () => {
    server = await startKrandogServer('examples/http-hello.js', [], { PORT: '0' });
    expect(await (await fetch(server.url + '/?x=1')).text()).toBe('Hello from krandog! You asked for /?x=1\n');
    expect((await fetch(server.url + '/missing')).status).toBe(404);
  });

  it('http-json-api.js creates, lists, searches, reads and deletes notes', async () => {
    server = await startKrandogServer('examples/http-json-api.js', [], { PORT: '0' });
    const post = (text: unknown) =>
      fetch(server!.url + '/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text }) });
    const created = await post('buy milk');
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/notes/1');
    await post('walk the dog');
    expect((await post(42)).status).toBe(400);
    expect((await (await fetch(server.url + '/notes')).json()).map((note: { text: string }) => note.text)).toEqual(['buy milk', 'walk the dog']);
    expect(await (await fetch(server.url + '/notes?search=dog')).json()).toMatchObject([{ id: 2, text: 'walk the dog' }]);
    expect(await (await fetch(server.url + '/notes/1')).json()).toMatchObject({ id: 1, text: 'buy milk' });
    expect((await fetch(server.url + '/notes/1', { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(server.url + '/notes/1')).status).toBe(404);
  });

  it('http-routes-and-files.js serves its site folder, files, API routes and a WebSocket', async () => {
    server = await startKrandogServer('examples/http-routes-and-files.js', [], { PORT: '0' });
    const curl = (...args: string[]) => execFileSync('curl', ['-s', ...args], { encoding: 'latin1', timeout: 20_000 });
    expect(curl(server.url + '/')).toBe(readFileSync('examples/site/index.html', 'latin1'));
    expect(curl('-o', '/dev/null', '-w', '%{content_type}', server.url + '/style.css')).toBe('text/css; charset=utf-8');
    // app.js.gz is kept in step with app.js (regenerate with `gzip -9 -n -k -f examples/site/app.js`).
    const app = readFileSync('examples/site/app.js', 'latin1');
    expect(gunzipSync(readFileSync('examples/site/app.js.gz')).toString('latin1')).toBe(app);
    expect(curl('--compressed', '-o', '/dev/null', '-w', '%header{content-encoding}', server.url + '/app.js')).toBe('gzip');
    expect(curl('--compressed', server.url + '/app.js')).toBe(app);
    expect(curl('-r', '0-1', server.url + '/app.js')).toBe(app.slice(0, 2));
    const about = await fetch(server.url + '/about');
    expect([about.status, about.headers.get('cache-control')]).toEqual([200, 'max-age=300']);

    const created = await fetch(server.url + '/api/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"text":"read"}' });
    expect([created.status, created.headers.get('location')]).toEqual([201, '/api/notes/3']);
    expect(await (await fetch(server.url + '/api/notes/3')).json()).toEqual({ id: 3, text: 'read' });
    expect((await (await fetch(server.url + '/api/notes')).json()).length).toBe(3);
    expect((await fetch(server.url + '/api/notes/3', { method: 'DELETE' })).status).toBe(204);
    const refused = await fetch(server.url + '/api/notes', { method: 'PUT' });
    expect([refused.status, refused.headers.get('allow')]).toEqual([405, 'GET, POST, HEAD']);

    const client = new WebSocket(server.url.replace('http', 'ws') + '/live');
    await once(client, 'open');
    client.send('hi');
    const [reply] = await once(client, 'message');
    expect(String(reply)).toBe('live: 2 notes (you said hi)');
    client.close();
    await once(client, 'close');
  });
});
