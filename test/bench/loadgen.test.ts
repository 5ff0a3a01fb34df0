// The load generator end to end, against a real `ws` server: it must complete handshakes, keep
// messages flowing and count them without errors in each of its modes. (No speed is asserted.)
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

const LOADGEN = path.resolve(import.meta.dirname, '../../bench/loadgen.mjs');
let server: WebSocketServer;
let port: number;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  // Echo, except on /broadcast, where every message goes to every client.
  server.on('connection', (ws, request) => {
    const isBroadcast = request.url === '/broadcast';
    ws.on('message', (data, isBinary) => {
      for (const client of isBroadcast ? server.clients : [ws]) client.send(data, { binary: isBinary });
    });
  });
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function loadgen(config: object) {
  const { stdout } = await promisify(execFile)(process.execPath, [LOADGEN, JSON.stringify({ port, serverPid: process.pid, ...config })]);
  return JSON.parse(stdout.trim());
}

const quick = { warmupMs: 100, durationMs: 400, settleMs: 200 };

describe('bench/loadgen.mjs', () => {
  it('echoes 64-byte text with messages in flight and measures latency and CPU', async () => {
    const result = await loadgen({ ...quick, mode: 'echo', connections: 5, inFlight: 4, payloadBytes: 64 });
    expect(result.error).toBeUndefined();
    expect(result.messages).toBeGreaterThan(0);
    expect(result).toMatchObject({ wrongLength: 0, unexpectedCloses: 0, errors: 0 });
    expect(Number.isFinite(result.p99Micros)).toBe(true);
    expect(result.serverCores).toBeGreaterThan(0);
  });

  it('echoes large binary messages and reports bytes per second', async () => {
    const result = await loadgen({ ...quick, mode: 'echo', connections: 2, inFlight: 2, payloadBytes: 300_000, binary: true });
    expect(result).toMatchObject({ wrongLength: 0, unexpectedCloses: 0, errors: 0 });
    expect(result.messages).toBeGreaterThan(0);
    expect(result.bytesPerSecond / (result.messagesPerSecond * 300_000)).toBeCloseTo(1, 9);
  });

  it('counts broadcast deliveries to every subscriber', async () => {
    const result = await loadgen({ ...quick, mode: 'broadcast', path: '/broadcast', connections: 20, inFlight: 4, payloadBytes: 64 });
    expect(result).toMatchObject({ wrongLength: 0, unexpectedCloses: 0, errors: 0 });
    expect(result.messages).toBeGreaterThan(20);
  });

  it('holds idle connections open and reads the server RSS', async () => {
    const result = await loadgen({ ...quick, mode: 'idle', connections: 30 });
    expect(result.connections).toBe(30);
    expect(Number.isFinite(result.bytesPerConnection)).toBe(true);
    expect(result.unexpectedCloses).toBe(0);
  });

  it('opens, echoes on and closes connection after connection in handshake mode', async () => {
    const result = await loadgen({ ...quick, mode: 'handshake', connections: 4, payloadBytes: 64 });
    expect(result.error).toBeUndefined();
    expect(result.messages).toBeGreaterThan(0);
    expect(result.handshakesPerSecond).toBeGreaterThan(0);
    expect(result).toMatchObject({ wrongLength: 0, unexpectedCloses: 0, errors: 0 });
  });

  it('sends compressed chat messages to a permessage-deflate server and counts compressed replies', async () => {
    const deflating = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    deflating.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    await once(deflating, 'listening');
    try {
      const result = await loadgen({ ...quick, port: (deflating.address() as AddressInfo).port, mode: 'echo', connections: 2, inFlight: 4, payloadBytes: 4096, deflate: true });
      expect(result.error).toBeUndefined();
      expect(result.messages).toBeGreaterThan(0);
      expect(result.compressedReplies).toBeGreaterThanOrEqual(result.warmupMessages + result.messages);
      expect(result).toMatchObject({ unexpectedCloses: 0, errors: 0 });
    } finally {
      await new Promise<void>((resolve) => deflating.close(() => resolve()));
    }
  });

  it('fails a deflate run against a server that declines permessage-deflate', async () => {
    const result = await loadgen({ ...quick, mode: 'echo', connections: 1, payloadBytes: 4096, deflate: true });
    expect(result.error).toMatch(/does not agree to permessage-deflate/);
  });

  it('reports a failed handshake as an error, not a crash', async () => {
    const http = await import('node:http');
    const plain = http.createServer((_req, res) => res.end('no websocket here')).listen(0, '127.0.0.1');
    await once(plain, 'listening');
    try {
      const result = await loadgen({ ...quick, mode: 'echo', connections: 1, port: (plain.address() as AddressInfo).port });
      expect(result.error).toMatch(/expected 101/);
    } finally {
      plain.close();
    }
  });
});
