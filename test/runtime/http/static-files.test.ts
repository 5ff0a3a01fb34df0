// Static files (runtime/http/static/): a `static` folder and http.file() served by a krandog script
// in a temporary folder, run from the repository root (so its relative paths must resolve against
// the script's folder, not the cwd), fetched by curl (Range, If-None-Match, If-Modified-Since,
// --compressed, HEAD) and, for traversal attempts that curl would normalize, by raw requests.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { RawHttpConnection } from '../../helpers/raw-http.ts';

const MiB = 1024 * 1024;
const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';
const SCRIPT = `
import fs from 'node:fs';
const readBytes = () => Number(/rchar: (\\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))[1]);
const openFiles = (name) => fs.readdirSync('/proc/self/fd').filter((fd) => {
  try { return fs.readlinkSync('/proc/self/fd/' + fd).endsWith(name); } catch { return false; }
}).length;
const server = http.createServer({
  routes: {
    '/stats': () => ({ body: { rchar: readBytes(), bigOpen: openFiles('big.bin') } }),
    '/page': http.file('public/index.html', { headers: { 'cache-control': 'max-age=60' } }),
    '/missing-file': http.file('public/nope.html'),
  },
  static: './public',
  request: (req) => ({ status: 404, body: 'fallback ' + req.method + ' ' + req.pathname }),
});
server.listen(0, '127.0.0.1');
`;

let dir: string;
let server: RunningKrandogServer;
const INDEX = '<!doctype html><title>krandog</title><h1>hello</h1>\n';
const APP = 'console.log("krandog");\n'.repeat(400);
const BIG_SIZE = 50 * MiB;
// Past the 64 KiB read whole: streamed. Every byte differs from its neighbours' pattern.
const MEDIUM = Buffer.from(Array.from({ length: 200 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'krandog-static-'));
  const site = path.join(dir, 'site');
  const pub = path.join(site, 'public');
  mkdirSync(path.join(pub, 'docs'), { recursive: true });
  mkdirSync(path.join(dir, 'outside'));
  writeFileSync(path.join(dir, 'outside', 'secret.txt'), SECRET);
  writeFileSync(path.join(dir, 'secret.txt'), SECRET);
  writeFileSync(path.join(site, 'server.js'), SCRIPT);
  writeFileSync(path.join(pub, 'index.html'), INDEX);
  writeFileSync(path.join(pub, 'app.js'), APP);
  writeFileSync(path.join(pub, 'app.js.br'), brotliCompressSync(APP));
  writeFileSync(path.join(pub, 'app.js.gz'), gzipSync(APP));
  writeFileSync(path.join(pub, 'style.css'), 'h1 { color: red }\n');
  writeFileSync(path.join(pub, 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(pub, 'font.woff2'), 'wOF2');
  writeFileSync(path.join(pub, 'data.unknownext'), 'bytes');
  writeFileSync(path.join(pub, 'docs', 'index.html'), '<h1>docs</h1>');
  writeFileSync(path.join(pub, '.env'), SECRET);
  writeFileSync(path.join(pub, 'big.bin'), Buffer.alloc(BIG_SIZE, 7));
  writeFileSync(path.join(pub, 'medium.bin'), MEDIUM);
  symlinkSync(path.join(dir, 'secret.txt'), path.join(pub, 'leak.txt'));
  symlinkSync(path.join(dir, 'outside'), path.join(pub, 'outdir'));
  symlinkSync(path.join(pub, 'style.css'), path.join(pub, 'alias.css'));
  server = await startKrandogServer(path.join(site, 'server.js'));
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs curl against the server; the head (`-D -`) and body are split apart. */
function curl(target: string, ...args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const headFile = path.join(dir, `head-${Math.random().toString(16).slice(2)}`);
    execFile('curl', ['-s', '--max-time', '20', '-D', headFile, ...args, server.url + target], { encoding: 'latin1', maxBuffer: 64 * MiB }, (error, stdout) => {
      if (error) return reject(error);
      // The last head (curl writes one per response).
      const heads = readFileSync(headFile, 'latin1').trim().split(/\r\n\r\n/);
      const [statusLine, ...lines] = heads[heads.length - 1].split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: stdout });
    });
  });
}

/** One raw request, its path sent exactly as given. */
async function raw(target: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const connection = await RawHttpConnection.connect(server.port);
  try {
    connection.write(`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const response = await connection.readResponse();
    return { status: response.status, body: response.body.toString('latin1') };
  } finally {
    connection.close();
  }
}

async function stats(): Promise<{ rchar: number; bigOpen: number }> {
  return (await fetch(server.url + '/stats')).json();
}

describe('a static folder, fetched by curl', () => {
  it('serves a file with its type, length, ETag and Last-Modified', async () => {
    const page = await curl('/index.html');
    expect(page.status).toBe(200);
    expect(page.body).toBe(INDEX);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-length']).toBe(String(INDEX.length));
    expect(page.headers['etag']).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(new Date(page.headers['last-modified']).toUTCString()).toBe(page.headers['last-modified']);
    expect(page.headers['accept-ranges']).toBe('bytes');
    // Revalidated every time, so an edited file shows at once.
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it.each([
    ['/style.css', 'text/css; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/logo.svg', 'image/svg+xml'],
    ['/font.woff2', 'font/woff2'],
    ['/data.unknownext', 'application/octet-stream'],
  ])('sends %s as %s', async (target, type) => {
    expect((await curl(target)).headers['content-type']).toBe(type);
  });

  it('serves index.html for / and for a folder, and redirects a folder without its slash', async () => {
    expect((await curl('/')).body).toBe(INDEX);
    expect((await curl('/docs/')).body).toBe('<h1>docs</h1>');
    const redirect = await curl('/docs?x=1');
    expect([redirect.status, redirect.headers['location']]).toEqual([301, '/docs/?x=1']);
    // Never to another host: `//host` would be one.
    expect(await raw('//docs')).toMatchObject({ status: 301 });
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('GET //docs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await connection.readResponse()).headers.get('location')).toEqual(['/docs/']);
    connection.close();
  });

  it('answers If-None-Match and If-Modified-Since with 304 (curl -H, curl -z)', async () => {
    const { headers } = await curl('/index.html');
    const notModified = await curl('/index.html', '-H', `If-None-Match: ${headers['etag']}`);
    expect([notModified.status, notModified.body, notModified.headers['etag']]).toEqual([304, '', headers['etag']]);
    expect((await curl('/index.html', '-H', `If-None-Match: "other", W/${headers['etag']}`)).status).toBe(304);
    expect((await curl('/index.html', '-H', 'If-None-Match: "other"')).status).toBe(200);
    expect((await curl('/index.html', '-z', headers['last-modified'])).status).toBe(304);
    expect((await curl('/index.html', '-z', 'Mon, 01 Jan 2001 00:00:00 GMT')).status).toBe(200);
    // If-None-Match decides when both are sent.
    expect((await curl('/index.html', '-H', 'If-None-Match: "other"', '-z', headers['last-modified'])).status).toBe(200);
  });

  it('answers Range with 206, 416 past the end, and the whole file for several ranges (curl -r)', async () => {
    const first = await curl('/app.js', '-r', '0-9');
    expect([first.status, first.body, first.headers['content-range'], first.headers['content-length']]).toEqual([206, APP.slice(0, 10), `bytes 0-9/${APP.length}`, '10']);
    const suffix = await curl('/app.js', '-r', '-5');
    expect([suffix.status, suffix.body]).toEqual([206, APP.slice(-5)]);
    const open = await curl('/app.js', '-r', '100-');
    expect([open.status, open.body]).toEqual([206, APP.slice(100)]);
    const past = await curl('/app.js', '-r', `${APP.length}-`);
    expect([past.status, past.headers['content-range']]).toEqual([416, `bytes */${APP.length}`]);
    const several = await curl('/app.js', '-r', '0-1,5-6');
    expect([several.status, several.body.length]).toEqual([200, APP.length]);
    // If-Range with an old validator: the whole file instead of the range.
    expect((await curl('/app.js', '-r', '0-9', '-H', 'If-Range: "old"')).status).toBe(200);
    const { headers } = await curl('/app.js');
    expect((await curl('/app.js', '-r', '0-9', '-H', `If-Range: ${headers['etag']}`)).status).toBe(206);
  });

  it('sends the same bytes read whole (up to 64 KiB) and streamed (larger), whole or as a range', async () => {
    const whole = await curl('/medium.bin');
    expect([whole.status, whole.headers['content-length']]).toEqual([200, String(MEDIUM.length)]);
    expect(Buffer.from(whole.body, 'latin1').equals(MEDIUM)).toBe(true);
    for (const [first, last] of [[1000, 150_000], [70_000, 70_009], [0, 65_535], [0, 65_536]]) {
      const part = await curl('/medium.bin', '-r', `${first}-${last}`);
      expect([part.status, part.headers['content-range']]).toEqual([206, `bytes ${first}-${last}/${MEDIUM.length}`]);
      expect(Buffer.from(part.body, 'latin1').equals(MEDIUM.subarray(first, last + 1))).toBe(true);
    }
  });

  it('answers HEAD with the headers a GET would get and no body (curl -I)', async () => {
    const head = await curl('/app.js', '-I');
    expect([head.status, head.headers['content-length'], head.headers['content-type']]).toEqual([200, String(APP.length), 'text/javascript; charset=utf-8']);
    expect(head.body).not.toContain('console.log');
    const rangeHead = await curl('/app.js', '-I', '-r', '0-9');
    expect([rangeHead.status, rangeHead.headers['content-length']]).toEqual([206, '10']);
    // No body bytes follow the head: a request pipelined behind it is read as the next response.
    const connection = await RawHttpConnection.connect(server.port);
    connection.write('HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\nGET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await connection.readResponse({ bodiless: true })).status).toBe(200);
    expect((await connection.readResponse()).body.toString()).toBe('h1 { color: red }\n');
    connection.close();
  });

  it('sends the .br or .gz sibling to a client that accepts it, with Vary: Accept-Encoding', async () => {
    const compressed = await curl('/app.js', '--compressed');
    expect([compressed.headers['content-encoding'], compressed.headers['vary'], compressed.body]).toEqual(['br', 'Accept-Encoding', APP]);
    expect(compressed.headers['content-length']).toBe(String(brotliCompressSync(APP).length));
    const gzip = await curl('/app.js', '-H', 'Accept-Encoding: br;q=0, gzip');
    expect([gzip.headers['content-encoding'], gzip.body.length]).toEqual(['gzip', gzipSync(APP).length]);
    const identity = await curl('/app.js');
    expect([identity.headers['content-encoding'], identity.headers['vary'], identity.body]).toEqual([undefined, 'Accept-Encoding', APP]);
    // Each representation has its own ETag, so a cache never mixes them up.
    expect(gzip.headers['etag']).not.toBe(identity.headers['etag']);
    expect((await curl('/app.js', '--compressed', '-H', `If-None-Match: ${compressed.headers['etag']}`)).status).toBe(304);
    // A file without siblings does not vary.
    expect((await curl('/style.css', '--compressed')).headers['vary']).toBeUndefined();
  });

  it('serves http.file() paths from the script folder, with the script’s headers; a missing file is 404', async () => {
    const page = await curl('/page');
    expect([page.status, page.body, page.headers['cache-control']]).toEqual([200, INDEX, 'max-age=60']);
    expect((await curl('/missing-file')).status).toBe(404);
  });

  it('leaves what it does not hold, and methods other than GET and HEAD, to the request handler', async () => {
    expect(await curl('/nothing-here')).toMatchObject({ status: 404, body: 'fallback GET /nothing-here' });
    expect(await curl('/index.html', '-X', 'POST')).toMatchObject({ status: 404, body: 'fallback POST /index.html' });
  });

  it('streams a large file with backpressure: reading from disk stalls while the client does not read', async () => {
    const before = (await stats()).rchar;
    const socket = net.connect(server.port, '127.0.0.1');
    socket.pause();
    socket.write('GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // Wait until reading stalls: two readings 200 ms apart differ by less than one 64 KiB read
    // (the /stats route's own reads of /proc count too).
    let read = -1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now = (await stats()).rchar - before;
      if (now - read < 64 * 1024 && now > MiB) break;
      read = now;
    }
    expect(read).toBeLessThan(16 * MiB);
    expect((await stats()).bigOpen).toBe(1);
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await new Promise((resolve) => socket.on('close', resolve));
    expect(received).toBeGreaterThan(BIG_SIZE);
  });

  it('closes the file when the client leaves mid-download, and opens none for HEAD or 304', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(server.url + '/big.bin');
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    await curl('/big.bin', '-I');
    const { headers } = await curl('/big.bin', '-r', '0-0');
    await curl('/big.bin', '-H', `If-None-Match: ${headers['etag']}`);
    let open = (await stats()).bigOpen;
    for (let tries = 0; open !== 0 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      open = (await stats()).bigOpen;
    }
    expect(open).toBe(0);
  });
});

describe('never outside the root (raw requests: curl would normalize these paths)', () => {
  it.each([
    ['..', '/../secret.txt'],
    ['.. deeper', '/docs/../../secret.txt'],
    ['%2e%2e', '/%2e%2e/secret.txt'],
    ['%2E%2E, upper case', '/%2E%2E/secret.txt'],
    ['.%2e mixed', '/.%2e/secret.txt'],
    ['%2f inside a segment', '/docs%2f..%2f..%2fsecret.txt'],
    ['%2e%2e%2f together', '/%2e%2e%2fsecret.txt'],
    ['a backslash', '/..\\secret.txt'],
    ['%5c', '/..%5csecret.txt'],
    ['%00', '/index.html%00.txt'],
    ['%00 alone', '/%00'],
    ['.. in an absolute-form target', 'http://127.0.0.1/%2e%2e/secret.txt'],
  ])('refuses %s with 403', async (_name, target) => {
    const response = await raw(target);
    expect(response.status).toBe(403);
    expect(response.body).not.toContain(SECRET);
  });

  it('decodes once: a double-encoded %252e%252e names a file called %2e%2e, which is not there', async () => {
    const response = await raw('/%252e%252e/secret.txt');
    expect(response.status).toBe(404);
    expect(response.body).not.toContain(SECRET);
  });

  it('refuses a raw NUL byte in the path (Node\u2019s parser answers 400)', async () => {
    const response = await raw('/index.html\0.txt');
    expect(response.status).toBe(400);
  });

  it('refuses a symlink to a file outside the root, and a path through a symlinked folder outside it, with 403', async () => {
    expect(await raw('/leak.txt')).toMatchObject({ status: 403, body: 'Forbidden' });
    expect(await raw('/outdir/secret.txt')).toMatchObject({ status: 403, body: 'Forbidden' });
    expect(await raw('/outdir/')).toMatchObject({ status: 403 });
  });

  it('follows a symlink that stays inside the root', async () => {
    expect(await raw('/alias.css')).toMatchObject({ status: 200, body: 'h1 { color: red }\n' });
  });

  it('never serves dotfiles', async () => {
    const response = await raw('/.env');
    expect(response.status).toBe(404);
    expect(response.body).not.toContain(SECRET);
    expect((await raw('/%2eenv')).status).toBe(404);
  });
});
