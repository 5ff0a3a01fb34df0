// permessage-deflate, krandog server ↔ the `ws` package's client, after Autobahn|Testsuite
// categories 12 (payload kinds × sizes, whole and auto-fragmented) and 13 (offer parameters).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketMessageRequest } from '../../../runtime/ws/server/hooks.ts';
import { nextMessages, openClient, startServer, stopServers, type RunningServer } from '../server/harness.ts';

const SIZES = [16, 64, 256, 1024, 4096, 16384, 65536, 131072];
const MESSAGES_PER_SIZE = 20;

/** Category 12's data sets, in spirit: repetitive text, JSON-ish text, random binary. */
const payloads = {
  repetitive: (size: number) => 'krandog '.repeat(Math.ceil(size / 8)).slice(0, size),
  json: (size: number) => JSON.stringify({ items: Array.from({ length: size }, (_, i) => ({ id: i, ok: i % 3 === 0 })) }).slice(0, size),
  random: (size: number) => randomBytes(size),
};

// Category 13's offers: no_context_takeover × max_window_bits combinations.
const OFFERS: Array<[string, WebSocket.PerMessageDeflateOptions]> = [
  ['default offer', {}],
  ['client_no_context_takeover', { clientNoContextTakeover: true }],
  ['server_no_context_takeover', { serverNoContextTakeover: true }],
  ['server_max_window_bits=9', { serverMaxWindowBits: 9 }],
  ['server_max_window_bits=15', { serverMaxWindowBits: 15 }],
  ['client_max_window_bits=9', { clientMaxWindowBits: 9 }],
  ['both no_context_takeover, both 9 bits', { clientNoContextTakeover: true, serverNoContextTakeover: true, clientMaxWindowBits: 9, serverMaxWindowBits: 9 }],
];

let server: RunningServer;
beforeAll(async () => {
  server = await startServer((req: WebSocketMessageRequest) => {
    if (req.type === 'websocket') req.ws.send(req.data);
    return undefined;
  }, { perMessageDeflate: true });
});
afterAll(stopServers);

/** Opens a ws client with the offer; the client compresses everything (threshold 0). */
function open(offer: WebSocket.PerMessageDeflateOptions) {
  return openClient(server.url, undefined, { perMessageDeflate: { threshold: 0, ...offer } });
}

describe('negotiation with the ws client', () => {
  it.each(OFFERS)('13.x %s: agreed in the 101 response', async (_label, offer) => {
    const client = new WebSocket(server.url, { perMessageDeflate: offer });
    const [[response]] = await Promise.all([once(client, 'upgrade'), once(client, 'open')]);
    const agreed = response.headers['sec-websocket-extensions'];
    expect(agreed).toMatch(/^permessage-deflate; server_no_context_takeover; client_no_context_takeover/);
    if (offer.serverMaxWindowBits !== undefined) expect(agreed).toContain(`server_max_window_bits=${offer.serverMaxWindowBits}`);
    expect(client.extensions).toBe('permessage-deflate');
    client.close();
  });

  it('leaves a client that offers nothing uncompressed', async () => {
    const client = await openClient(server.url);
    expect(client.extensions).toBe('');
    client.close();
  });
});

describe.each(OFFERS)('13.x echo with %s', (_label, offer) => {
  it.each(Object.keys(payloads) as Array<keyof typeof payloads>)('12.x %s payloads of 16 B to 128 KiB', async (kind) => {
    const client = await open(offer);
    for (const size of SIZES) {
      const payload = payloads[kind](size);
      for (let i = 0; i < MESSAGES_PER_SIZE; i++) client.send(payload);
      const echoes = await nextMessages(client, MESSAGES_PER_SIZE);
      for (const echo of echoes) {
        expect(echo.isBinary).toBe(typeof payload !== 'string');
        expect(echo.data.equals(Buffer.from(payload))).toBe(true);
      }
    }
    client.close();
  });
});

describe('12.x auto-fragmented compressed messages', () => {
  it.each([64, 1300, 4096])('reassembles a 64 KiB compressed message sent in %i-byte fragments', async (fragmentBytes) => {
    const client = await open({});
    const text = payloads.json(65536);
    for (let offset = 0; offset < text.length; offset += fragmentBytes) {
      const fin = offset + fragmentBytes >= text.length;
      client.send(text.slice(offset, offset + fragmentBytes), { fin, compress: true });
    }
    const [echo] = await nextMessages(client, 1);
    expect(echo.data.toString()).toBe(text);
    client.close();
  });
});

describe('on the wire', () => {
  it('compresses messages above the threshold in both directions and leaves small ones alone', async () => {
    const client = await open({});
    const text = payloads.repetitive(64 * 1024);
    const before = (client as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
    client.send(text);
    await nextMessages(client, 1);
    const received = (client as unknown as { _socket: { bytesRead: number } })._socket.bytesRead - before;
    expect(received).toBeLessThan(text.length / 10);
    client.close();
  });

  it('sends nothing compressed by default (the server leaves it off)', async () => {
    const plain = await startServer((req: WebSocketMessageRequest) => {
      if (req.type === 'websocket') req.ws.send(req.data);
      return undefined;
    });
    const client = await openClient(plain.url, undefined, { perMessageDeflate: {} });
    expect(client.extensions).toBe('');
    client.send('x'.repeat(10000));
    const [echo] = await nextMessages(client, 1);
    expect(echo.data.length).toBe(10000);
    client.close();
  });
});
