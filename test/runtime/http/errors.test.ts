// Failures: handler errors, bad responses, bad requests, too large bodies, a port in use (fixture: failures.js).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, runScript, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { repoRoot } from '../../helpers/repo.ts';
import { RawHttpConnection, rawRequest } from '../../helpers/raw-http.ts';

let server: RunningKrandogServer;
beforeAll(async () => {
  server = await startKrandogServer(fixture('failures.js'));
});
afterAll(() => server.stop());

async function stillServing(): Promise<void> {
  const response = await fetch(server.url + '/');
  expect(await response.text()).toBe('still serving');
}

/** Waits until stderr contains `text` (it is written just before or after the response). */
async function stderrWith(text: string): Promise<string> {
  while (!server.stderr().includes(text)) await new Promise((resolve) => setTimeout(resolve, 10));
  return server.stderr();
}

/** The report that starts with `header`, up to the next `krandog:` line. */
function reportAfter(stderr: string, header: string): string {
  const start = stderr.indexOf(header);
  const next = stderr.indexOf('\nkrandog:', start);
  return stderr.slice(start, next === -1 ? undefined : next + 1);
}

const failuresJs = `${repoRoot}test/fixtures/http/failures.js`;

describe('handler errors', () => {
  it('answers 500 with a short body when the handler throws, and logs it like an uncaught error', async () => {
    const response = await fetch(server.url + '/throw');
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toBe('Internal Server Error');
    const report = reportAfter(await stderrWith('boom from the handler'), 'krandog: the request handler failed (GET /throw):');
    // The script's source line with a caret, then the stack: the script's frames only, none of
    // krandog's runtime (runtime/, dist/) or of Node's internals.
    expect(report).toBe(
      `krandog: the request handler failed (GET /throw):\n${failuresJs}:7\n      throw new Error('boom from the handler');\n            ^\n\n` +
        `Error: boom from the handler\n    at failingHandler (${failuresJs}:7:13)\n`,
    );
    await stillServing();
  });

  it("answers 500 when an async handler rejects, and logs only the script's frames", async () => {
    const response = await fetch(server.url + '/reject');
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
    const report = reportAfter(await stderrWith('async boom'), 'krandog: the request handler failed (GET /reject):');
    expect(report).toContain(`${failuresJs}:9\n      return Promise.reject(new Error('async boom'));\n`);
    expect(report).toContain('\nError: async boom\n');
    expect(report.split('\n').filter((line) => line.startsWith('    at ') && !line.includes(failuresJs))).toEqual([]);
    await stillServing();
  });

  it('answers 500 saying so when the handler returns nothing', async () => {
    const response = await fetch(server.url + '/nothing');
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error: the request handler returned no response');
    expect(await stderrWith('(GET /nothing)')).toContain('the request handler returned no response; return { status, headers, body } or a Response');
  });

  it.each([
    ['/string-result', 'the request handler returned "just a string"'],
    ['/bad-status', 'response status must be an integer from 200 to 599, got 1000'],
    ['/bad-header', 'Header name must be a valid HTTP token ["bad header"]'],
    ['/bad-header-204', 'Invalid character in header content ["x-bad"]'],
    ['/bigint', 'Do not know how to serialize a BigInt'],
    ['/array-result', 'the request handler returned an array of 2; return it as the body: { body }'],
    ['/function-result', 'the request handler returned the function failingHandler; return { status, headers, body } or a Response'],
    ['/object-status', 'response status must be an integer from 200 to 599, got a plain object {code}'],
    ['/map-type', 'response type must be a string, got a Map'],
    ['/symbol-body', 'response body Symbol(s) cannot be sent as JSON'],
    ['/null-result', 'the request handler returned null; return { status, headers, body } or a Response'],
  ])('answers 500 for an unsendable result (%s) and names the problem on stderr', async (target, message) => {
    const response = await fetch(server.url + target);
    expect(response.status).toBe(500);
    expect(response.statusText).toBe('Internal Server Error');
    expect(await response.text()).toBe('Internal Server Error');
    expect(await stderrWith(message)).toContain(message);
    await stillServing();
  });

  it('cuts the response short when a streamed body fails midway', async () => {
    const response = await fetch(server.url + '/stream-fails');
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    const report = reportAfter(await stderrWith('stream broke'), 'krandog: response body stream failed (GET /stream-fails):');
    expect(report).toContain(`${failuresJs}:39\n          throw new Error('stream broke');\n`);
    expect(report.split('\n').filter((line) => line.startsWith('    at ') && !line.includes(failuresJs))).toEqual([]);
    await stillServing();
  });

  it('answers 500 when a stream fails before its first chunk (here: yields something that is not a chunk)', async () => {
    const response = await fetch(server.url + '/bad-chunk');
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('Internal Server Error');
    const report = reportAfter(await stderrWith('got 42'), 'krandog: response body stream failed (GET /bad-chunk):');
    expect(report).toContain('a streamed body chunk must be a string or bytes, got 42');
    await stillServing();
  });

  it('never sends a stack to the peer', async () => {
    for (const target of ['/throw', '/reject', '/bad-header']) {
      const text = await (await fetch(server.url + target)).text();
      expect(text).not.toMatch(/\bat |Error:|failures\.js/);
    }
  });
});

describe('bad requests', () => {
  it('answers garbage with 400 and closes that connection only', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('THIS IS NOT HTTP\r\n\r\n');
    await connection.closed;
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    await stillServing();
  });

  it('answers a request without Host with 400 (RFC 9112 §3.2)', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('GET / HTTP/1.1\r\n\r\n');
    const response = await connection.readResponse();
    expect(response.status).toBe(400);
    connection.close();
  });

  it('answers an oversized request head with 431', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(rawRequest('GET', '/', { 'X-Big': 'x'.repeat(20_000) }));
    await connection.closed;
    expect(connection.received.toString('latin1')).toMatch(/^HTTP\/1\.1 431 /);
  });
});

describe('request body limit (default 1 MiB)', () => {
  const MiB = 1024 * 1024;

  it('accepts a body of exactly 1 MiB', async () => {
    const response = await fetch(server.url + '/upload', { method: 'POST', body: Buffer.alloc(MiB, 1) });
    expect(await response.json()).toEqual({ received: MiB });
  });

  it('answers 413 on the Content-Length alone, without waiting for the body', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    // Announce 100 MiB but send none of it: the answer must come anyway.
    connection.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${100 * MiB}\r\n\r\n`);
    const response = await connection.readResponse();
    expect(response.status).toBe(413);
    expect(response.headers.get('connection')).toEqual(['close']);
    expect(response.body.toString()).toBe(`Request body larger than ${MiB} bytes`);
    await connection.closed;
  });

  it('answers 413 to a chunked body as soon as it passes the limit', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    // 1 MiB + 64 KiB, then the body stays open: the 413 must not wait for its end.
    for (let i = 0; i < 17; i++) connection.write(Buffer.concat([Buffer.from('10000\r\n'), chunk, Buffer.from('\r\n')]));
    const response = await connection.readResponse();
    expect(response.status).toBe(413);
    connection.close();
  });

  it('answers 413 to fetch sending 2 MiB', async () => {
    const response = await fetch(server.url + '/upload', { method: 'POST', body: Buffer.alloc(2 * MiB) }).catch((error) => error);
    // undici may see the connection close before it finishes sending; the status, if it got one, is 413.
    if (response instanceof Response) expect(response.status).toBe(413);
    else expect(String(response.cause?.code ?? response.message)).toMatch(/ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed|fetch failed/);
    await stillServing();
  });

  it('answers 413 instead of 100 Continue when the announced body is too large', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write(`POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${2 * MiB}\r\n\r\n`);
    const response = await connection.readResponse();
    expect(response.status).toBe(413);
    connection.close();
  });

  it('sends 100 Continue, then the answer, when the announced body fits', async () => {
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
    const interim = await connection.readResponse({ bodiless: true });
    expect(interim.status).toBe(100);
    connection.write('hello');
    const response = await connection.readResponse();
    expect(JSON.parse(response.body.toString())).toEqual({ received: 5 });
    connection.close();
  });

  it('honours options.maxBodySize', async () => {
    const small = await startKrandogServer(fixture('failures.js'), ['10']);
    try {
      const fits = await fetch(small.url + '/upload', { method: 'POST', body: '0123456789' });
      expect(await fits.json()).toEqual({ received: 10 });
      const tooLarge = await fetch(small.url + '/upload', { method: 'POST', body: '0123456789X' });
      expect(tooLarge.status).toBe(413);
    } finally {
      await small.stop();
    }
  });
});

describe('listen errors', () => {
  it('prints "port N is already in use" and exits with code 1 when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const run = runScript(fixture('listen-port.js'), [String(port)]);
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toBe(`port ${port} is already in use\n`);
      expect(run.stdout()).toBe('');
    } finally {
      blocker.close();
    }
  });
});
