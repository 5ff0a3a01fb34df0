// wss:// against a `ws` server behind node:https with a self-signed certificate made at test time
// (openssl). NODE_EXTRA_CA_CERTS is read once at process start, so the trusted case runs a script
// through ./krandog in a child process; the untrusted cases also run in this process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { closed, record, WebSocket } from '../../../helpers/ws-client.ts';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

interface Certificate {
  certFile: string;
  key: Buffer;
  cert: Buffer;
}

let dir: string;
/** Valid for 127.0.0.1 and localhost. */
let trusted: Certificate;
/** Valid for localhost only: connecting by IP must fail the hostname check. */
let localhostOnly: Certificate;

function makeCertificate(name: string, subjectAltName: string): Certificate {
  const keyFile = path.join(dir, `${name}-key.pem`);
  const certFile = path.join(dir, `${name}-cert.pem`);
  const result = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', `/CN=krandog ${name}`, '-addext', `subjectAltName=${subjectAltName}`,
    '-keyout', keyFile, '-out', certFile,
  ]);
  if (result.status !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return { certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

beforeAll(() => {
  if (!hasOpenssl) return;
  dir = mkdtempSync(path.join(tmpdir(), 'krandog-tls-'));
  trusted = makeCertificate('trusted', 'DNS:localhost,IP:127.0.0.1');
  localhostOnly = makeCertificate('localhost-only', 'DNS:localhost');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const running: Array<{ close(): void }> = [];
afterEach(() => {
  for (const server of running.splice(0)) server.close();
});

/** An https server with a `ws` echo server on it, on 127.0.0.1:0. */
async function startTlsEcho(certificate: Certificate): Promise<string> {
  const server = https.createServer({ key: certificate.key, cert: certificate.cert });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.close();
    },
  });
  return `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function runScript(url: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('./krandog', ['test/fixtures/ws-client/tls-echo.js', url], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe.skipIf(!hasOpenssl)('wss://', () => {
  it('trusts a certificate listed in NODE_EXTRA_CA_CERTS (child process through ./krandog)', async () => {
    const url = await startTlsEcho(trusted);
    const { code, stdout, stderr } = await runScript(url, { NODE_EXTRA_CA_CERTS: trusted.certFile });
    expect(stderr).toBe('');
    expect(stdout).toBe(`open ${url}/\nmessage secure hello ${url}\nclose 1000 true\n`);
    expect(code).toBe(0);
  });

  it('refuses an untrusted self-signed certificate: error, close 1006, nothing on stderr', async () => {
    const url = await startTlsEcho(trusted);
    const { code, stdout, stderr } = await runScript(url, { NODE_EXTRA_CA_CERTS: '' });
    expect(stdout).toBe('error\nclose 1006 false\n');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('says why on stderr when KRANDOG_DEBUG is set', async () => {
    const url = await startTlsEcho(trusted);
    const { stdout, stderr } = await runScript(url, { NODE_EXTRA_CA_CERTS: '', KRANDOG_DEBUG: '1' });
    expect(stdout).toBe('error\nclose 1006 false\n');
    expect(stderr).toMatch(/^krandog: WebSocket wss:\/\/127\.0\.0\.1:\d+\/ failed: self[- ]signed certificate/);
  });

  it('checks the hostname even for a trusted certificate', async () => {
    const url = await startTlsEcho(localhostOnly);
    const { stdout } = await runScript(url, { NODE_EXTRA_CA_CERTS: localhostOnly.certFile });
    expect(stdout).toBe('error\nclose 1006 false\n');
  });

  it('in this process (no extra CA): error with the certificate error code, then close 1006', async () => {
    const url = await startTlsEcho(trusted);
    const ws = new WebSocket(url);
    const events = record(ws);
    const { error } = await closed(ws);
    expect(events).toEqual([
      { type: 'error', readyState: WebSocket.CLOSED },
      { type: 'close', code: 1006, reason: '', wasClean: false, readyState: WebSocket.CLOSED },
    ]);
    expect((error!.error as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });
});
