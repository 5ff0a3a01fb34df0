// Every kind of response a handler can return, checked on the wire (fixture: bodies.js).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { RawHttpConnection, rawRequest } from '../../helpers/raw-http.ts';

let server: RunningKrandogServer;
beforeAll(async () => {
  server = await startKrandogServer(fixture('bodies.js'));
});
afterAll(() => server.stop());

/** GET over a raw socket, to see the exact headers (Content-Length vs chunked). */
async function rawGet(target: string, method = 'GET') {
  const connection = await RawHttpConnection.connect(server.port);
  connection.write(rawRequest(method, target));
  const response = await connection.readResponse({ bodiless: method === 'HEAD' });
  connection.close();
  return response;
}

describe('body kinds', () => {
  it.each([
    ['/string', 'text/plain; charset=utf-8', Buffer.from('héllo wörld')],
    ['/buffer', 'application/octet-stream', Buffer.from([0, 1, 2, 255])],
    ['/uint8array', 'application/octet-stream', Buffer.from([10, 20, 30])],
    ['/arraybuffer', 'application/octet-stream', Buffer.from([7, 8, 9, 10])],
    ['/typed-view', 'application/octet-stream', Buffer.from(new Uint16Array([0x0304]).buffer)],
    ['/shared-arraybuffer', 'application/octet-stream', Buffer.from([4, 5, 6])],
    ['/object', 'application/json', Buffer.from('{"hello":"world","list":[1,2]}')],
    ['/array', 'application/json', Buffer.from('[1,"two",null]')],
  ])('sends %s whole, with its type and Content-Length', async (target, type, bytes) => {
    const response = await rawGet(target);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toEqual([type]);
    expect(response.headers.get('content-length')).toEqual([String(bytes.length)]);
    expect(response.headers.has('transfer-encoding')).toBe(false);
    expect(response.body).toEqual(bytes);
  });

  it.each(['/null', '/no-body'])('sends %s as an empty body with Content-Length 0', async (target) => {
    const response = await rawGet(target);
    expect(response.status).toBe(target === '/no-body' ? 202 : 200);
    expect(response.headers.get('content-length')).toEqual(['0']);
    expect(response.headers.has('content-type')).toBe(false);
    expect(response.body.length).toBe(0);
  });

  it('sends a Blob with its own type and size', async () => {
    const response = await rawGet('/blob');
    expect(response.headers.get('content-type')).toEqual(['text/x-blob']);
    expect(response.headers.get('content-length')).toEqual(['9']);
    expect(response.body.toString()).toBe('blob body');
  });

  it('streams an async iterable of strings and bytes, chunked', async () => {
    const response = await rawGet('/async-iterable');
    expect(response.headers.get('transfer-encoding')).toEqual(['chunked']);
    expect(response.headers.get('content-type')).toEqual(['text/plain']);
    expect(response.body.toString()).toBe('one,two,three');
  });

  it('streams SharedArrayBuffer chunks as bytes', async () => {
    const response = await rawGet('/shared-chunks');
    expect(response.status).toBe(200);
    expect([...response.body]).toEqual([1, 2, ...Buffer.from('ok')]);
  });

  it('streams a ReadableStream', async () => {
    const response = await fetch(server.url + '/readable-stream');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(await response.text()).toBe('stream body');
  });

  it('sends the head of a stream at once when its first chunk is not ready (server-sent events)', async () => {
    // fetch resolves on the head; were it held back with the first chunk, this would never resolve.
    const response = await fetch(server.url + '/held');
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    await fetch(server.url + '/release');
    expect(await response.text()).toBe('data: released\n\n');
  });

  it('streams a Node Readable', async () => {
    const response = await fetch(server.url + '/node-readable');
    expect(await response.text()).toBe('node readable');
  });

  it('waits for an async handler', async () => {
    const response = await fetch(server.url + '/async');
    expect(await response.text()).toBe('waited');
  });
});

describe('status and headers', () => {
  it('sends status, headers, numbers and several Set-Cookie from an array', async () => {
    const response = await rawGet('/status-and-headers');
    expect(response.status).toBe(201);
    expect(response.headers.get('x-single')).toEqual(['one']);
    expect(response.headers.get('x-number')).toEqual(['42']);
    expect(response.headers.get('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.body.toString()).toBe('created');
  });

  it('lets `type` override a Content-Type header, and a Content-Type header override the default', async () => {
    expect((await rawGet('/type-wins')).headers.get('content-type')).toEqual(['text/html; charset=utf-8']);
    expect((await rawGet('/header-type')).headers.get('content-type')).toEqual(['text/csv']);
  });

  it('replaces a wrong Content-Length with the real one', async () => {
    const response = await rawGet('/wrong-length');
    expect(response.headers.get('content-length')).toEqual(['5']);
    expect(response.body.toString()).toBe('short');
  });

  it('accepts a Headers object and [name, value] pairs', async () => {
    expect((await rawGet('/headers-object')).headers.get('x-from')).toEqual(['Headers']);
    expect((await rawGet('/header-pairs')).headers.get('x-pair')).toEqual(['p1', 'p2']);
  });

  it('sends 204 without body or Content-Length (RFC 9110 §8.6)', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/no-content') + rawRequest('GET', '/string'));
    const first = await connection.readResponse();
    expect(first.status).toBe(204);
    expect(first.headers.has('content-length')).toBe(false);
    // The next response starts right after the head: no body bytes were sent.
    const second = await connection.readResponse();
    expect(second.body.toString()).toBe('héllo wörld');
    connection.close();
  });
});

describe('WHATWG Response objects', () => {
  it('sends status, headers and body of a Response', async () => {
    const response = await fetch(server.url + '/response');
    expect(response.status).toBe(203);
    expect(response.headers.get('x-kind')).toBe('fetch');
    expect(response.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(await response.text()).toBe('from a Response');
  });

  it('sends Response.json()', async () => {
    const response = await fetch(server.url + '/response-json');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ ok: true });
  });

  it('keeps several Set-Cookie of a Response apart, and sends a null body as empty', async () => {
    const response = await rawGet('/response-cookies');
    expect(response.headers.get('set-cookie')).toEqual(['x=1', 'y=2']);
    expect(response.headers.get('content-length')).toEqual(['0']);
    expect(response.body.length).toBe(0);
  });

  it('streams the body of a Response resolved by an async handler', async () => {
    const response = await fetch(server.url + '/response-stream');
    expect(await response.text()).toBe('pulled');
  });
});

describe('HEAD', () => {
  it.each(['/string', '/object', '/async-iterable', '/response'])('answers HEAD %s with headers only', async (target) => {
    const get = await rawGet(target);
    const connection = await RawHttpConnection.connect(server.port);
    // A second request on the same connection proves no body bytes followed the HEAD response.
    connection.write(rawRequest('HEAD', target) + rawRequest('GET', '/string'));
    const head = await connection.readResponse({ bodiless: true });
    expect(head.status).toBe(get.status);
    expect(head.headers.get('content-type')).toEqual(get.headers.get('content-type'));
    expect(head.headers.get('content-length')).toEqual(get.headers.get('content-length'));
    const next = await connection.readResponse();
    expect(next.body.toString()).toBe('héllo wörld');
    connection.close();
  });
});
