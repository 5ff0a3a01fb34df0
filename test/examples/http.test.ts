// The http examples run as documented.
import { afterEach, describe, expect, it } from 'vitest';
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
});
