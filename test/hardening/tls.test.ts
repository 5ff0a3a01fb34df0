// The TLS server: `createServer(handler, { tls })`, `createServer({ tls }, handler)` and the `https`
// module, serving HTTPS and wss:// with a self-signed certificate made at test time (openssl).
// Peers: node:https and the `ws` client with `ca` in this process; fetch and krandog's own
// WebSocket client in a ./krandog child that trusts the certificate through NODE_EXTRA_CA_CERTS.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import nodeHttps from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import https from '../../runtime/https/index.ts';
import { createServer, type HandlerSpec, type Server } from '../../runtime/http/server.ts';
import type { ServerOptions } from '../../runtime/http/options.ts';
import { runScript } from '../helpers/krandog-server.ts';
import { within } from '../helpers/within.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

let dir: string;
let keyFile: string;
let certFile: string;
let key: Buffer;
let cert: Buffer;

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(path.join(tmpdir(), 'krandog-tls-server-'));
  keyFile = path.join(dir, 'key.pem');
  certFile = path.join(dir, 'cert.pem');
  const result = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=krandog test server',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ]);
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  key = readFileSync(keyFile);
  cert = readFileSync(certFile);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close({ force: true })));
});

async function listening(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.port!;
}

const echo: HandlerSpec = (req: { type: string; ws?: { send(data: unknown): number }; data?: unknown; pathname?: string }) => {
  if (req.type === 'websocket') return void req.ws!.send(req.data);
  return { body: `secure ${req.pathname}` };
};

function httpsGet(port: number, pathname: string): Promise<{ status: number; body: string; encrypted: boolean }> {
  return new Promise((resolve, reject) => {
    const request = nodeHttps.get({ host: '127.0.0.1', port, path: pathname, ca: cert }, (response) => {
      let body = '';
      const encrypted = (response.socket as { encrypted?: boolean }).encrypted === true;
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body, encrypted }));
    });
    request.on('error', reject);
  });
}

function openWss(port: number, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const client = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: cert, perMessageDeflate: false, ...options });
  return within(
    new Promise((resolve, reject) => {
      client.once('open', () => resolve(client));
      client.once('error', reject);
    }),
    10_000,
    'wss client never opened',
  );
}

describe.skipIf(!hasOpenssl)('TLS server', () => {
  it('serves HTTPS and wss:// with createServer(handler, { tls }); the ws client echoes text and 1 MiB of binary', async () => {
    const port = await listening(createServer(echo, { quiet: true, tls: { key, cert } }));
    expect(await httpsGet(port, '/a')).toEqual({ status: 200, body: 'secure /a', encrypted: true });

    const client = await openWss(port);
    client.send('over tls');
    expect((await once(client, 'message'))[0].toString()).toBe('over tls');
    const big = Buffer.alloc(1024 * 1024, 7);
    client.send(big);
    const [data] = await once(client, 'message');
    expect(Buffer.compare(data as Buffer, big)).toBe(0);
    client.close(1000);
    expect((await once(client, 'close'))[0]).toBe(1000);
  });

  it('takes the options first too: createServer({ tls }, { websocket }) and https.createServer({ key, cert }, handler)', async () => {
    const hooks = { websocket: { message: (ws: { send(data: unknown): number }, data: unknown) => ws.send(data) } };
    const objectFirst = await listening(createServer({ quiet: true, tls: { key, cert } } as ServerOptions, hooks as HandlerSpec));
    const client = await openWss(objectFirst);
    client.send('options first');
    expect((await once(client, 'message'))[0].toString()).toBe('options first');
    client.terminate();

    const nodeStyle = https.createServer({ key, cert, quiet: true }, echo);
    expect(nodeStyle.protocol).toBe('https');
    expect(await httpsGet(await listening(nodeStyle), '/b')).toMatchObject({ status: 200, body: 'secure /b' });
    const handlerFirst = await listening(https.createServer(echo, { quiet: true, tls: { key, cert } }));
    expect(await httpsGet(handlerFirst, '/c')).toMatchObject({ status: 200, body: 'secure /c' });
  });

  it('refuses an untrusted certificate on the client side (no ca): the server keeps serving', async () => {
    const port = await listening(createServer(echo, { quiet: true, tls: { key, cert } }));
    await expect(openWss(port, { ca: undefined })).rejects.toThrow(/self[- ]signed certificate/);
    expect(await httpsGet(port, '/after')).toMatchObject({ status: 200 });
  });

  it('drops a TCP connection that never starts the TLS handshake after headersTimeout', async () => {
    const port = await listening(createServer(echo, { quiet: true, tls: { key, cert }, headersTimeout: 300 }));
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => {});
    await once(silent, 'connect');
    await within(once(silent, 'close'), 10_000, 'silent TLS connection was never dropped');
  });

  it('applies maxConnections to TLS connections (counted once the handshake is done): 503 past it', async () => {
    const port = await listening(createServer(echo, { quiet: true, tls: { key, cert }, maxConnections: 1 }));
    const first = await openWss(port);
    const refused = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: cert });
    refused.on('error', () => {});
    const [, response] = await within(once(refused, 'unexpected-response'), 10_000, 'no answer past the limit');
    expect((response as { statusCode: number }).statusCode).toBe(503);
    refused.terminate();
    first.terminate();
  });

  it('refuses tls options without a key and cert', () => {
    expect(() => createServer(echo, { tls: { cert } })).toThrow('options.tls needs a key and a cert (or a pfx)');
    expect(() => https.createServer(echo, undefined as never)).toThrow(/https\.createServer: options with a key and cert are required/);
  });

  it('through ./krandog: an `https` import, "listening on https://", fetch and krandog\'s client over wss:// (NODE_EXTRA_CA_CERTS)', async () => {
    const run = runScript('test/fixtures/hardening/tls-self-check.js', [keyFile, certFile], { NODE_EXTRA_CA_CERTS: certFile });
    try {
      expect(await within(run.exited, 30_000, 'the script never exited')).toBe(0);
    } finally {
      await run.stop();
    }
    expect(run.stderr()).toBe('');
    expect(run.stdout()).toMatch(
      /^Server listening on https:\/\/localhost:\d+\nfetch 200 \{"secure":true,"path":"\/hello"\}\nmessage echo over tls\nclose 1000 true\n$/,
    );
  });
});
