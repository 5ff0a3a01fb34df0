// What an idle WebSocket keeps is small (issue 17), and nothing a handler reads changes for it: the
// headers and query kept packed until first read are what Node parsed, and the socket carries no
// per-connection listener wrappers.
import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import type { ServerWebSocket } from '../../../../runtime/ws/server/server-socket.ts';
import type { UpgradeRequest } from '../../../../runtime/ws/server/hooks.ts';
import { RawClient, deferred, startInProcessServer, stopServers } from '../../../helpers/ws-server.ts';
import { within } from '../../../helpers/within.ts';
import { packHeaders, unpackHeaders } from '../../../../runtime/ws/server/packed-headers.ts';

afterEach(() => stopServers());

/** Raw upgrade request text with repeated headers, which a headers object cannot hold in order. */
function requestWith(path: string, lines: string[]): string {
  return `GET ${path} HTTP/1.1\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

const HANDSHAKE = ['Host: 127.0.0.1', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'];

async function openedSocket(hooks: Record<string, unknown>, path: string, extraLines: string[]): Promise<ServerWebSocket> {
  const opened = deferred<ServerWebSocket>();
  const { port } = await startInProcessServer({ websocket: { ...hooks, open: (ws: ServerWebSocket) => opened.resolve(ws), message() {} } });
  const client = await RawClient.connect(port);
  client.write(requestWith(path, [...HANDSHAKE, ...extraLines]));
  expect((await client.response()).status).toBe(101);
  return within(opened.promise, 10_000, 'open hook never ran');
}

describe('an idle WebSocket', () => {
  it('reads the headers and query Node parsed, read after the handshake, the same objects each time', async () => {
    const ws = await openedSocket({}, '/chat?a=1&a=2&b=&c=x+y%21', ['X-Multi: 1', 'X-Multi: 2', 'Cookie: c=1', 'Cookie: d=2', 'Origin: http://127.0.0.1', 'User-Agent: ua', 'User-Agent: dropped']);
    expect(ws.pathname).toBe('/chat');
    expect({ ...ws.query }).toEqual({ a: ['1', '2'], b: '', c: 'x y!' });
    expect(Object.getPrototypeOf(ws.query)).toBe(null);
    expect(ws.query).toBe(ws.query);
    expect(ws.headers).toEqual({
      host: '127.0.0.1',
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'sec-websocket-version': '13',
      'x-multi': '1, 2',
      cookie: 'c=1; d=2',
      origin: 'http://127.0.0.1',
      'user-agent': 'ua',
    });
    expect(Object.keys(ws.headers)).toEqual(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'x-multi', 'cookie', 'origin', 'user-agent']);
    expect(ws.headers).toBe(ws.headers);
  });

  it('keeps array headers (set-cookie) and an empty query as Node gives them', async () => {
    const ws = await openedSocket({}, '/', ['Set-Cookie: a=1', 'Set-Cookie: b=2']);
    expect(ws.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect({ ...ws.query }).toEqual({});
  });

  it('keeps the very objects the upgrade hook saw', async () => {
    let seen: UpgradeRequest | undefined;
    const ws = await openedSocket({ upgrade: (req: UpgradeRequest) => void (seen = req) }, '/room?id=7', []);
    expect(ws.headers).toBe(seen!.headers);
    expect(ws.query).toBe(seen!.query);
    expect({ ...ws.query }).toEqual({ id: '7' });
  });

  it('has no per-connection wrapper among its socket listeners (once() costs a closure and a state object)', async () => {
    const ws = await openedSocket({}, '/', []);
    const socket = (ws as unknown as { connection: { socket: Socket } }).connection.socket;
    for (const event of socket.eventNames()) {
      for (const listener of socket.rawListeners(event)) expect(listener, `a '${String(event)}' listener`).not.toHaveProperty('listener');
    }
  });
});

describe('packHeaders / unpackHeaders', () => {
  it('give back the same names, values and order, common names or not', () => {
    const headers = { 'x-a': '1', host: 'h:1', a: '', 'sec-websocket-key': 'k==', 'x-forwarded-for': '::1, 10.0.0.1', origin: 'http://o' };
    const packed = packHeaders(headers);
    expect(typeof packed).toBe('string');
    expect((packed as string).length).toBeLessThan(JSON.stringify(headers).length - 'hostsec-websocket-keyx-forwarded-fororigin'.length);
    const unpacked = unpackHeaders(packed);
    expect(unpacked).toEqual(headers);
    expect(Object.keys(unpacked)).toEqual(Object.keys(headers));
    expect(unpackHeaders(packHeaders({}))).toEqual({});
    // A browser's upgrade request: every common name comes back.
    const browser = Object.fromEntries(
      ['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'origin', 'user-agent', 'cookie', 'pragma', 'cache-control', 'accept-encoding', 'accept-language', 'authorization', 'x-forwarded-for', 'x-other'].map((name, i) => [name, `v${i}`]),
    );
    expect(Object.entries(unpackHeaders(packHeaders(browser)))).toEqual(Object.entries(browser));
  });

  it('keep an object with an array or a line feed in a value as it is', () => {
    const withArray = { 'set-cookie': ['a', 'b'] };
    const withLineFeed = { 'x-a': 'one\ntwo' };
    expect(packHeaders(withArray)).toBe(withArray);
    expect(packHeaders(withLineFeed)).toBe(withLineFeed);
    expect(unpackHeaders(withArray)).toBe(withArray);
  });
});
