// The proxy pattern `return fetch(upstream)` against a real node:http upstream that compresses, and
// streamed bodies whose handler-given Content-Length or Transfer-Encoding is wrong: never a length
// that is not the body's, never Transfer-Encoding with Content-Length (fixture: proxy.js).
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { RawHttpConnection, rawRequest } from '../../helpers/raw-http.ts';

const PAGE = 'a page worth compressing. '.repeat(200);
let upstream: http.Server;
let server: RunningKrandogServer;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const plain = req.url === '/plain';
    const body = plain ? Buffer.from(PAGE) : gzipSync(PAGE);
    const headers: Record<string, string | number> = { 'Content-Type': 'text/plain', 'Content-Length': body.length, 'Keep-Alive': 'timeout=77', 'X-Upstream': 'yes' };
    if (!plain) headers['Content-Encoding'] = 'gzip';
    res.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  server = await startKrandogServer(fixture('proxy.js'), [`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`]);
});
afterAll(async () => {
  await server.stop();
  await new Promise((resolve) => upstream.close(resolve));
});

async function rawGet(target: string) {
  const connection = await RawHttpConnection.connect(server.port);
  connection.write(rawRequest('GET', target));
  try {
    return await connection.readResponse();
  } finally {
    connection.close();
  }
}

/** Waits until stderr contains `text` (it may arrive after the response). */
async function stderrWith(text: string): Promise<string> {
  for (let waited = 0; !server.stderr().includes(text) && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
  return server.stderr();
}

/** What the client of a response that is cut short sees: the bytes, then the connection closed. */
async function cutShort(target: string): Promise<{ head: string; received: string }> {
  const connection = await RawHttpConnection.connect(server.port);
  connection.write(rawRequest('GET', target));
  await connection.closed;
  return { head: connection.received.toString('latin1').split('\r\n\r\n')[0], received: connection.received.toString('latin1') };
}

describe('return fetch(upstream) with a gzip upstream', () => {
  it('curl --compressed gets the page: no Content-Encoding or encoded length for the decoded body', async () => {
    const { stdout } = await promisify(execFile)('curl', ['-sS', '--fail', '--compressed', '--max-time', '10', '-D', '-', `${server.url}/page`]);
    const [head, body] = stdout.split('\r\n\r\n');
    expect(body).toBe(PAGE);
    expect(head).not.toMatch(/content-encoding|content-length|timeout=77/i);
    expect(head).toMatch(/transfer-encoding: chunked/i);
    expect(head).toMatch(/x-upstream: yes/i);
  });

  it('a keep-alive client gets two proxied pages in a row on one connection', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    for (const round of [1, 2]) {
      connection.write(rawRequest('GET', `/page?round=${round}`, { 'Accept-Encoding': 'gzip' }));
      const response = await connection.readResponse();
      expect(response.status).toBe(200);
      expect(response.headers.has('content-encoding')).toBe(false);
      expect(response.headers.has('content-length')).toBe(false);
      expect(response.body.toString()).toBe(PAGE);
    }
    expect(connection.ended).toBe(false);
    connection.close();
  });

  it("keeps the upstream's Content-Length when fetch did not decode the body", async () => {
    const response = await rawGet('/plain');
    expect(response.headers.get('content-length')).toEqual([String(PAGE.length)]);
    expect(response.headers.has('transfer-encoding')).toBe(false);
    expect(response.body.toString()).toBe(PAGE);
  });
});

describe("a handler's Content-Length on a streamed body", () => {
  it('is sent when the body matches it', async () => {
    const response = await rawGet('/cl-right');
    expect(response.headers.get('content-length')).toEqual(['11']);
    expect(response.headers.has('transfer-encoding')).toBe(false);
    expect(response.body.toString()).toBe('hello world');
  });

  it('exceeded by the first chunk: 500 instead (nothing was sent yet)', async () => {
    const response = await rawGet('/cl-too-small');
    expect([response.status, response.body.toString()]).toEqual([500, 'Internal Server Error']);
    expect(await stderrWith('krandog: the streamed body is longer than its Content-Length (3 bytes); answered 500 (GET /cl-too-small)')).toContain('krandog: the streamed body is longer than its Content-Length (3 bytes); answered 500 (GET /cl-too-small)');
  });

  it('exceeded later, or not reached: the connection is cut, never more or fewer bytes than announced', async () => {
    // What was written before the mistake may or may not have left; the rest never does.
    const longer = await cutShort('/cl-exceeded-later');
    expect(longer.received).not.toContain('lo world');
    if (longer.received !== '') expect(longer.head).toMatch(/^HTTP\/1\.1 200 [^]*content-length: 6/i);
    const shorter = await cutShort('/cl-too-large');
    if (shorter.received !== '') expect(shorter.received).toMatch(/^HTTP\/1\.1 200 [^]*content-length: 10\r\n[^]*\r\n\r\n(hello)?$/i);
    expect(await stderrWith('krandog: the streamed body is longer than its Content-Length (6 bytes); the connection was cut (GET /cl-exceeded-later)')).toContain('krandog: the streamed body is longer than its Content-Length (6 bytes); the connection was cut (GET /cl-exceeded-later)');
    expect(await stderrWith('krandog: the streamed body ended after 5 of the 10 bytes its Content-Length announced; the connection was cut (GET /cl-too-large)')).toContain('krandog: the streamed body ended after 5 of the 10 bytes its Content-Length announced; the connection was cut (GET /cl-too-large)');
  });

  it('that is not a number of bytes: 500 naming it', async () => {
    const response = await rawGet('/cl-not-a-number');
    expect(response.status).toBe(500);
    expect(await stderrWith('krandog: response Content-Length must be one number of bytes, got "ten" (GET /cl-not-a-number)')).toContain('krandog: response Content-Length must be one number of bytes, got "ten" (GET /cl-not-a-number)');
  });
});

describe('Transfer-Encoding from a handler', () => {
  it.each(['/te-and-cl', '/te-on-stream'])('%s: dropped, so Content-Length is never sent with it', async (target) => {
    const response = await rawGet(target);
    expect(response.headers.has('transfer-encoding')).toBe(false);
    expect(response.headers.get('content-length')).toEqual(['5']);
    expect(response.body.toString()).toBe('hello');
  });
});

describe('a streamed body that fails', () => {
  it.each(['/fails-at-once', '/rejecting-stream'])('%s, before its first byte: 500 without internals', async (target) => {
    const response = await rawGet(target);
    expect(response.status).toBe(500);
    expect(response.body.toString()).toBe('Internal Server Error');
    expect(await stderrWith(`krandog: response body stream failed (GET ${target}):`)).toContain(`krandog: response body stream failed (GET ${target}):`);
  });

  it('after its first byte: the connection is aborted (the status is already sent)', async () => {
    const { head, received } = await cutShort('/fails-after-first');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(received).toContain('first');
    expect(received.endsWith('0\r\n\r\n')).toBe(false); // no last chunk: the client knows it is incomplete
  });
});
