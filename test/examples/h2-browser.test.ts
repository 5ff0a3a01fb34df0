// A `{ tls }` server (h2 on by default) in headless Chromium (Debian's `chromium` + playwright-core):
// the page comes over h2, and a WebSocket from it opens on the page's h2 connection (RFC 8441:
// Chromium does so when the server advertised SETTINGS_ENABLE_CONNECT_PROTOCOL) and echoes.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { createServer, type Server } from '../../runtime/http/server.ts';

const CHROMIUM = '/usr/bin/chromium';
const inCi = process.env.CI === 'true';
const runs = (existsSync(CHROMIUM) || inCi) && spawnSync('openssl', ['version']).status === 0;

const PAGE = `<!doctype html><p id="out">…</p><script>
const ws = new WebSocket('wss://' + location.host + '/echo');
ws.onopen = () => ws.send('from the page');
ws.onmessage = (event) => { document.getElementById('out').textContent = event.data + ' ' + performance.getEntriesByType('navigation')[0].nextHopProtocol; };
ws.onerror = () => { document.getElementById('out').textContent = 'error'; };
</script>`;

describe.skipIf(!runs)('HTTP/2 server in headless Chromium', () => {
  let browser: Browser;
  let server: Server;
  let dir: string;
  const transports: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'krandog-h2-browser-'));
    const result = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`,
    ]);
    if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
    server = createServer(
      {
        request: () => ({ headers: { 'content-type': 'text/html; charset=utf-8' }, body: PAGE }),
        websocket: {
          open(ws: { headers: Record<string, unknown> }) {
            // Over h2 there is no Sec-WebSocket-Key (RFC 8441 §5).
            transports.push(ws.headers['sec-websocket-key'] === undefined ? 'h2' : 'http/1.1');
          },
          message: (ws: { send(data: unknown): number }, data: unknown) => void ws.send(data),
        },
      },
      { tls: { key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) }, quiet: true },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--ignore-certificate-errors'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close({ force: true });
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('loads the page over h2 and echoes on a WebSocket', async () => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`https://localhost:${server.port}/`);
    await page.locator('#out', { hasText: /^(from the page|error)/ }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#out').textContent()).toBe('from the page h2');
    expect(transports).toEqual(['h2']);
    await context.close();
  }, 30_000);
});
