// examples/websocket-chat-server.js driven in headless Chromium (Debian's `chromium` + playwright-core):
// two pages join, exchange messages, see each other's messages and the leave notice.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startKrandogServer, type RunningKrandogServer } from '../helpers/krandog-server.ts';

const CHROMIUM = '/usr/bin/chromium';
const inCi = process.env.CI === 'true';
const hasChromium = existsSync(CHROMIUM);
// In CI the browser test must run (.ci/run installs chromium); elsewhere it is skipped, loudly, without it.
if (!hasChromium && !inCi) console.warn(`chat browser test skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

let browserLaunch: Promise<Browser> | undefined;
/** One Chromium for the file (a launch costs seconds); every test opens pages of its own and closes them. */
function sharedBrowser(): Promise<Browser> {
  browserLaunch ??= chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return browserLaunch;
}
afterAll(async () => {
  await (await browserLaunch)?.close();
});

describe.skipIf(!hasChromium && !inCi)('chat example in headless Chromium', () => {
  let browser: Browser;
  let server: RunningKrandogServer;

  beforeAll(async () => {
    server = await startKrandogServer('examples/websocket-chat-server.js', [], { PORT: '0' });
    browser = await sharedBrowser();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function join(name: string): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.fill('#name', name);
    await page.click('#join');
    await page.locator('#status', { hasText: /^connected$/ }).waitFor();
    return page;
  }

  function log(page: Page): Promise<string[]> {
    return page.locator('#log li').allTextContents();
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.fill('#message', text);
    await page.click('#send');
  }

  it('two pages join, chat, and see the leave notice', async () => {
    const alice = await join('Alice');
    await expect.poll(() => log(alice)).toEqual(['* Alice joined (1 here)']);
    const bob = await join('Bob');
    await expect.poll(() => log(bob)).toEqual(['* Bob joined (2 here)']);
    await expect.poll(() => log(alice)).toEqual(['* Alice joined (1 here)', '* Bob joined (2 here)']);

    await say(alice, 'Hi Bob <b>not bold</b>');
    await expect.poll(() => log(bob)).toContain('Alice: Hi Bob <b>not bold</b>');
    await say(bob, 'Hello Alice 👋');
    await expect.poll(() => log(alice)).toEqual([
      '* Alice joined (1 here)',
      '* Bob joined (2 here)',
      'Alice: Hi Bob <b>not bold</b>',
      'Bob: Hello Alice 👋',
    ]);
    // The message was shown as text, not parsed as HTML.
    expect(await bob.locator('#log b').count()).toBe(0);

    // The browser offered permessage-deflate and the example accepts it: a long message travels
    // compressed both ways (Chromium compresses what it sends; the server compresses from 1 KiB).
    expect(await alice.evaluate('socket.extensions')).toContain('permessage-deflate');
    const long = 'compress me, '.repeat(150).trim();
    await say(alice, long);
    await expect.poll(() => log(bob)).toContain(`Alice: ${long}`);

    await bob.close();
    await expect.poll(() => log(alice)).toContain('* Bob left');
    await alice.close();
  }, 60_000);
});

// Both chat pages: a 300-character word wraps inside the log instead of widening it, and no
// request the page makes, nor a browser's /favicon.ico, gets an error status.
describe.skipIf(!hasChromium && !inCi).each([
  { example: 'examples/websocket-chat-server.js', joinButton: '#join' },
  { example: 'examples/pubsub-chat.js', joinButton: '#join-form button' },
])('$example page in headless Chromium', ({ example, joinButton }) => {
  let browser: Browser;
  let server: RunningKrandogServer;

  beforeAll(async () => {
    server = await startKrandogServer(example, [], { PORT: '0' });
    browser = await sharedBrowser();
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('wraps a long word inside the log, and answers every request the page makes and /favicon.ico', async () => {
    const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
    const requests: string[] = [];
    page.on('response', (response) => requests.push(`${response.status()} ${new URL(response.url()).pathname}`));
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.fill('#name', 'Wordy');
    await page.click(joinButton);
    await page.locator('#message:enabled').waitFor();
    const word = 'x'.repeat(300);
    await page.fill('#message', word);
    await page.click('#send');
    await page.locator('#log li', { hasText: word }).waitFor();
    const widths = await page.evaluate(() => {
      const log = document.getElementById('log')!;
      return { log: log.scrollWidth - log.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth };
    });
    expect(widths).toEqual({ log: 0, page: 0 });
    expect(requests.filter((request) => !/^[23]\d\d /.test(request))).toEqual([]);
    // The page names its (empty) icon, so browsers do not ask for /favicon.ico; one that asks anyway gets 204.
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('data:,');
    expect((await fetch(`${server.url}/favicon.ico`)).status).toBe(204);
    await page.close();
  }, 60_000);
});
