// Every field of the request object, as a real server script sees it (fixture: echo.js).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { RawHttpConnection, rawRequest } from '../../helpers/raw-http.ts';

let server: RunningKrandogServer;
beforeAll(async () => {
  server = await startKrandogServer(fixture('echo.js'));
});
afterAll(() => server.stop());

async function echo(target: string, init?: RequestInit): Promise<Record<string, any>> {
  const response = await fetch(server.url + target, init);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  return response.json();
}

describe('request fields', () => {
  it('gives method, url, pathname, type and remoteAddress of a GET', async () => {
    const req = await echo('/echo/a%20b/c?x=1&y=two#ignored');
    expect(req.type).toBe('http');
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/echo/a%20b/c?x=1&y=two');
    expect(req.pathname).toBe('/echo/a%20b/c');
    expect(req.remoteAddress).toBe('127.0.0.1');
    expect(req.serialized).toBe('/echo/a%20b/c');
  });

  it('gives headers with lower-case names', async () => {
    const req = await echo('/echo', { headers: { 'X-Custom-Header': 'Value One', Accept: 'text/plain' } });
    expect(req.headers['x-custom-header']).toBe('Value One');
    expect(req.headers.accept).toBe('text/plain');
    expect(req.headers.host).toBe(`127.0.0.1:${server.port}`);
  });

  it("gives body '' and empty bytes when there is no body", async () => {
    const req = await echo('/echo');
    expect(req.body).toBe('');
    expect(req.bytesIsBuffer).toBe(true);
    expect(req.bytesBase64).toBe('');
    expect(req.json).toBe('<undefined>');
  });

  it('gives the body as a UTF-8 string and as raw bytes', async () => {
    const req = await echo('/echo', { method: 'PUT', body: 'grüße ✓', headers: { 'Content-Type': 'text/plain' } });
    expect(req.method).toBe('PUT');
    expect(req.body).toBe('grüße ✓');
    expect(Buffer.from(req.bytesBase64, 'base64').toString('utf8')).toBe('grüße ✓');
    expect(req.json).toBe('<undefined>');
  });

  it('keeps binary bytes exactly, including invalid UTF-8', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    const req = await echo('/echo', { method: 'POST', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(Buffer.from(req.bytesBase64, 'base64')).toEqual(bytes);
  });

  it('reads a chunked request body', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('POST', '/echo', { 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json' }));
    connection.write('5\r\n{"a":\r\n');
    connection.write('3\r\n12}\r\n0\r\n\r\n');
    const response = await connection.readResponse();
    const req = JSON.parse(response.body.toString());
    expect(req.body).toBe('{"a":12}');
    expect(req.json).toEqual({ a: 12 });
    connection.close();
  });
});

describe('JSON request bodies', () => {
  it('parses a JSON body into json', async () => {
    const payload = { name: 'krandog', list: [1, 2, { deep: true }] };
    const req = await echo('/echo', { method: 'POST', body: JSON.stringify(payload), headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    expect(req.json).toEqual(payload);
    expect(req.body).toBe(JSON.stringify(payload));
  });

  it('parses +json media types', async () => {
    const req = await echo('/echo', { method: 'POST', body: '{"x":1}', headers: { 'Content-Type': 'application/vnd.api+json' } });
    expect(req.json).toEqual({ x: 1 });
  });

  it('gives json undefined (never a throw) for malformed JSON', async () => {
    const req = await echo('/echo', { method: 'POST', body: '{"broken":', headers: { 'Content-Type': 'application/json' } });
    expect(req.json).toBe('<undefined>');
    expect(req.body).toBe('{"broken":');
  });

  it('gives json undefined when the content type is not JSON', async () => {
    const req = await echo('/echo', { method: 'POST', body: '{"x":1}', headers: { 'Content-Type': 'text/plain' } });
    expect(req.json).toBe('<undefined>');
  });
});

describe('query parsing', () => {
  it('decodes values as a form (WHATWG rules: bad UTF-8 becomes U+FFFD) and turns repeated keys into arrays', async () => {
    const req = await echo('/echo?a=1&b=hello+world&a=2&c=%C3%A9t%C3%A9&a=3&empty=&flag&bad=%E0%A4%A');
    expect(req.query).toEqual({ a: ['1', '2', '3'], b: 'hello world', c: 'été', empty: '', flag: '', bad: '\uFFFD%A' });
  });

  it('treats __proto__, constructor and friends as plain keys without polluting prototypes', async () => {
    const req = await echo(
      '/echo?__proto__=p&constructor=c&hasOwnProperty=h&toString=t&__proto__%5Bpolluted%5D=yes&constructor%5Bprototype%5D%5Bpolluted%5D=yes&__proto__=again',
    );
    expect(req.queryPrototypeIsNull).toBe(true);
    expect(req.queryOwnKeys).toEqual([
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'toString',
      '__proto__[polluted]',
      'constructor[prototype][polluted]',
    ]);
    expect(req.query.__proto__).toEqual(['p', 'again']);
    expect(req.query.constructor).toBe('c');
    expect(req.objectPrototypeIntact).toBe(true);
  });

  it('gives an empty query object when there is no query string', async () => {
    const req = await echo('/echo');
    expect(req.query).toEqual({});
    expect(req.queryPrototypeIsNull).toBe(true);
  });
});

describe('routing', () => {
  it('answers 404 for paths the script does not route', async () => {
    const response = await fetch(server.url + '/nowhere');
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('not found');
  });

  it('takes the pathname of an absolute-form request target (RFC 9112 §3.2.2)', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', `http://127.0.0.1:${server.port}/echo/abs?k=v`));
    const response = await connection.readResponse();
    const req = JSON.parse(response.body.toString());
    expect(req.pathname).toBe('/echo/abs');
    expect(req.query).toEqual({ k: 'v' });
    connection.close();
  });
});
