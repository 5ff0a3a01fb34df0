import { describe, expect, it } from 'vitest';
import { acceptKey } from '../../runtime/ws/protocol/accept-key.ts';
import {
  isOriginAllowed,
  selectProtocol,
  switchingProtocolsResponse,
  validateUpgradeRequest,
  type UpgradeRequestHead,
} from '../../runtime/ws/server/handshake.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function request(headers: Record<string, string | undefined> = {}, overrides: Partial<UpgradeRequestHead> = {}): UpgradeRequestHead {
  const base: Record<string, string> = {
    host: 'localhost',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
  };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: base, ...overrides };
}

describe('acceptKey', () => {
  it('gives the RFC 6455 §1.3 example answer', () => {
    expect(acceptKey(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
});

describe('validateUpgradeRequest', () => {
  it('accepts a well-formed request and returns its key', () => {
    expect(validateUpgradeRequest(request())).toEqual({ ok: true, key: KEY, offeredProtocols: [] });
  });

  it('reads Upgrade and Connection as case-insensitive token lists', () => {
    const result = validateUpgradeRequest(request({ upgrade: 'WebSocket', connection: 'keep-alive, UPGRADE' }));
    expect(result.ok).toBe(true);
  });

  it.each([
    ['a POST', request({}, { method: 'POST' })],
    ['HTTP/1.0', request({}, { httpVersionMinor: 0 })],
    ['no Upgrade header', request({ upgrade: undefined })],
    ['Upgrade: h2c', request({ upgrade: 'h2c' })],
    ['no Connection header', request({ connection: undefined })],
    ['Connection without upgrade', request({ connection: 'keep-alive' })],
    ['no key', request({ 'sec-websocket-key': undefined })],
    ['a key that is not base64', request({ 'sec-websocket-key': 'not base64 at all!!!!!==' })],
    ['a 15-byte key', request({ 'sec-websocket-key': Buffer.alloc(15, 1).toString('base64') })],
    ['a 17-byte key', request({ 'sec-websocket-key': Buffer.alloc(17, 1).toString('base64') })],
    ['a non-canonical 16-byte key', request({ 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZR==' })],
    ['two keys joined by Node', request({ 'sec-websocket-key': `${KEY}, ${KEY}` })],
    ['an empty Sec-WebSocket-Protocol', request({ 'sec-websocket-protocol': '' })],
    ['a Sec-WebSocket-Protocol of commas only', request({ 'sec-websocket-protocol': ' , ,' })],
    ['a subprotocol that is not a token', request({ 'sec-websocket-protocol': 'chat room' })],
    ['a repeated subprotocol', request({ 'sec-websocket-protocol': 'chat, chat' })],
  ])('answers 400 to %s', (_name, head) => {
    const result = validateUpgradeRequest(head);
    expect(result).toMatchObject({ ok: false, status: 400 });
  });

  it.each([
    ['version 8', '8'],
    ['no version', undefined],
    ['two versions', '13, 8'],
  ])('answers 426 with Sec-WebSocket-Version: 13 to %s', (_name, version) => {
    const result = validateUpgradeRequest(request({ 'sec-websocket-version': version }));
    expect(result).toMatchObject({ ok: false, status: 426, headers: { 'Sec-WebSocket-Version': '13' } });
  });

  it('lists the offered subprotocols in the client order', () => {
    const result = validateUpgradeRequest(request({ 'sec-websocket-protocol': 'v2.chat, v1.chat' }));
    expect(result).toMatchObject({ ok: true, offeredProtocols: ['v2.chat', 'v1.chat'] });
  });

  it.each(['a,,b', ',a, b', 'a, b,', ' a ,\t, b ', 'a,\t,b'])('skips the empty elements of the subprotocol list %j (RFC 9110 §5.6.1.2)', (value) => {
    expect(validateUpgradeRequest(request({ 'sec-websocket-protocol': value }))).toMatchObject({ ok: true, offeredProtocols: ['a', 'b'] });
  });

  it('answers 403 to an origin outside allowOrigins and accepts the listed ones', () => {
    const allow = ['https://example.com', 'http://localhost:3000'];
    expect(validateUpgradeRequest(request({ origin: 'https://evil.example' }), allow)).toMatchObject({ ok: false, status: 403 });
    expect(validateUpgradeRequest(request({ origin: 'https://example.com' }), allow).ok).toBe(true);
    expect(validateUpgradeRequest(request({ origin: 'HTTP://LOCALHOST:3000' }), allow).ok).toBe(true);
  });

  it('lets a request without Origin (not a browser) through allowOrigins', () => {
    expect(validateUpgradeRequest(request(), ['https://example.com']).ok).toBe(true);
  });

  it('accepts any origin without allowOrigins', () => {
    expect(validateUpgradeRequest(request({ origin: 'https://anywhere.example' })).ok).toBe(true);
  });
});

describe('selectProtocol', () => {
  it('picks the first offered protocol the server supports', () => {
    expect(selectProtocol(['b', 'a'], ['a', 'b'])).toBe('b');
    expect(selectProtocol(['x', 'a'], ['a', 'b'])).toBe('a');
  });

  it('picks none when nothing matches or the server lists none', () => {
    expect(selectProtocol(['x'], ['a'])).toBeUndefined();
    expect(selectProtocol(['x'], undefined)).toBeUndefined();
  });
});

describe('isOriginAllowed', () => {
  it('takes a predicate, a list, or "*"', () => {
    expect(isOriginAllowed('https://a.example', (origin) => origin.endsWith('.example'))).toBe(true);
    expect(isOriginAllowed('https://a.test', (origin) => origin.endsWith('.example'))).toBe(false);
    expect(isOriginAllowed('https://a.example', ['*'])).toBe(true);
    expect(isOriginAllowed('https://a.example/', ['https://a.example'])).toBe(true);
    expect(isOriginAllowed('null', ['https://a.example'])).toBe(false);
  });
});

describe('switchingProtocolsResponse', () => {
  it('writes the 101 head with the accept key, the chosen protocol and extra headers', () => {
    const head = switchingProtocolsResponse(KEY, 'chat', '', 'Set-Cookie: a=1\r\n');
    expect(head).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nSet-Cookie: a=1\r\n\r\n',
    );
  });

  it('sends no Sec-WebSocket-Protocol when none was chosen', () => {
    expect(switchingProtocolsResponse(KEY, undefined)).not.toContain('Sec-WebSocket-Protocol');
  });
});
