// Listening, connections and closing (fixture: lifecycle.js, one mode per argument).
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, runScript, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { RawHttpConnection, rawRequest } from '../../helpers/raw-http.ts';

const script = fixture('lifecycle.js');
const started: RunningKrandogServer[] = [];
async function start(mode = 'default', env: NodeJS.ProcessEnv = {}): Promise<RunningKrandogServer> {
  const server = await startKrandogServer(script, [mode], env);
  started.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

describe('listen', () => {
  it('prints the real port for listen(0), and server.port says the same', async () => {
    const server = await start();
    expect(server.stdout()).toBe(`Server listening on http://localhost:${server.port}\n`);
    expect(await (await fetch(`${server.url}/port`)).text()).toBe(String(server.port));
  });

  it('works through the global serve()', async () => {
    const server = await start('serve-global');
    expect(await (await fetch(server.url)).text()).toBe('ok');
  });

  it.each([
    ['quiet-option', {}],
    ['quiet-env', { KRANDOG_QUIET: '1' }],
  ])('prints nothing when silenced (%s)', async (mode, env) => {
    const run = runScript(script, [mode], env);
    try {
      const [, port] = await run.waitForOutput(/listening quietly on (\d+)\n/);
      expect(run.stdout()).toBe(`listening quietly on ${port}\n`);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    } finally {
      await run.stop();
    }
  });

  it('accepts a Node-style (req, res) listener', async () => {
    const server = await start('node-style');
    expect(await (await fetch(`${server.url}/x?y`)).text()).toBe('node style /x?y');
  });

  it('accepts an object handler { request }', async () => {
    const server = await start('object-handler');
    expect(await (await fetch(server.url)).text()).toBe('from request()');
  });
});

describe('connections', () => {
  it('serves two requests on one kept-alive connection', async () => {
    const server = await start();
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/first'));
    const first = await connection.readResponse();
    expect(first.headers.get('connection')).toEqual(['keep-alive']);
    connection.write(rawRequest('GET', '/port'));
    const second = await connection.readResponse();
    expect(second.body.toString()).toBe(String(server.port));
    expect(connection.ended).toBe(false);
    connection.close();
  });

  it('answers pipelined requests in order', async () => {
    const server = await start();
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/slow?ms=50') + rawRequest('GET', '/port') + rawRequest('GET', '/'));
    expect((await connection.readResponse()).body.toString()).toBe('slow done');
    expect((await connection.readResponse()).body.toString()).toBe(String(server.port));
    expect((await connection.readResponse()).body.toString()).toBe('ok');
    connection.close();
  });

  it('closes a connection whose headers never finish (headersTimeout) with 408', async () => {
    const server = await start('timeouts');
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await connection.closed;
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection whose body never finishes (requestTimeout) with 408', async () => {
    const server = await start('timeouts');
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    await connection.closed;
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('server.close()', () => {
  it('closes idle connections, lets a response in progress finish, then settles', async () => {
    const server = await start();
    const idle = await RawHttpConnection.connect(server.port);
    idle.write(rawRequest('GET', '/'));
    await idle.readResponse();

    const busy = await RawHttpConnection.connect(server.port);
    busy.write(rawRequest('GET', '/slow?ms=300'));
    await server.waitForOutput(/slow request started\n/);

    const closing = await fetch(`${server.url}/close`, { headers: { Connection: 'close' } });
    expect(await closing.text()).toBe('closing');

    await idle.closed; // closed by close() right away, while /slow still runs
    const slow = await busy.readResponse();
    expect(slow.body.toString()).toBe('slow done');
    await busy.closed; // and closed once its response is written

    await server.waitForOutput(/server closed\n/);
    // Nothing else keeps the script alive: it exits by itself.
    expect(await server.exited).toBe(0);
  });

  it('refuses new connections once closed', async () => {
    const server = await start();
    await (await fetch(`${server.url}/close`, { headers: { Connection: 'close' } })).text();
    await server.waitForOutput(/server closed\n/);
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
