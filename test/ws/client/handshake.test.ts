// The client's handshake as pure functions (RFC 6455 §4.1): the request headers, and every rule the
// server's answer must pass. The same rules are exercised over real sockets in hostile-server.test.ts.
import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import {
  generateKey,
  handshakeHeaders,
  validateHandshakeResponse,
  type HandshakeOffer,
} from '../../../runtime/ws/client/handshake.ts';

// The sample from RFC 6455 §1.3.
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const GOOD: IncomingHttpHeaders = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT };

function offer(overrides: Partial<HandshakeOffer> = {}): HandshakeOffer {
  return { key: KEY, protocols: [], extensionOffers: [], ...overrides };
}

describe('generateKey', () => {
  it('is 16 random bytes in base64, different every time', () => {
    const keys = new Set(Array.from({ length: 100 }, generateKey));
    expect(keys.size).toBe(100);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(key, 'base64')).toHaveLength(16);
    }
  });
});

describe('handshakeHeaders', () => {
  it('asks for version 13 with the key, and lists subprotocols and extension offers only when there are some', () => {
    expect(handshakeHeaders(offer())).toEqual({
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': KEY,
      'Sec-WebSocket-Version': '13',
    });
    const headers = handshakeHeaders(offer({ protocols: ['a', 'b'], extensionOffers: ['permessage-deflate; client_max_window_bits', 'x-other'] }));
    expect(headers['Sec-WebSocket-Protocol']).toBe('a, b');
    expect(headers['Sec-WebSocket-Extensions']).toBe('permessage-deflate; client_max_window_bits, x-other');
  });
});

describe('validateHandshakeResponse', () => {
  it('accepts the RFC sample answer', () => {
    expect(validateHandshakeResponse(101, GOOD, offer())).toEqual({ protocol: '', extensionsHeader: '', extensions: [] });
  });

  it('accepts header values case-insensitively and Connection as a token list', () => {
    const headers = { ...GOOD, upgrade: 'WebSocket', connection: 'keep-alive, upgrade' };
    expect(validateHandshakeResponse(101, headers, offer()).protocol).toBe('');
  });

  it.each([
    ['status 200', 200, GOOD, 'KRANDOG_WS_HANDSHAKE_STATUS'],
    ['a redirect', 301, GOOD, 'KRANDOG_WS_HANDSHAKE_STATUS'],
    ['no status', undefined, GOOD, 'KRANDOG_WS_HANDSHAKE_STATUS'],
    ['no Upgrade', 101, { ...GOOD, upgrade: undefined }, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['Upgrade: websocket2', 101, { ...GOOD, upgrade: 'websocket2' }, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['no Connection', 101, { ...GOOD, connection: undefined }, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['Connection: upgraded', 101, { ...GOOD, connection: 'upgraded' }, 'KRANDOG_WS_HANDSHAKE_UPGRADE'],
    ['no accept', 101, { ...GOOD, 'sec-websocket-accept': undefined }, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['an accept in other case', 101, { ...GOOD, 'sec-websocket-accept': ACCEPT.toLowerCase() }, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['an accept with padding removed', 101, { ...GOOD, 'sec-websocket-accept': ACCEPT.slice(0, -1) }, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['two accepts joined', 101, { ...GOOD, 'sec-websocket-accept': `${ACCEPT}, ${ACCEPT}` }, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
    ['the key echoed as accept', 101, { ...GOOD, 'sec-websocket-accept': KEY }, 'KRANDOG_WS_HANDSHAKE_ACCEPT'],
  ] as Array<[string, number | undefined, IncomingHttpHeaders, string]>)('refuses %s', (_name, status, headers, code) => {
    expect(() => validateHandshakeResponse(status, headers, offer())).toThrow(expect.objectContaining({ name: 'HandshakeError', code }));
  });

  it('takes a subprotocol only from those offered, and insists on one when some were offered', () => {
    const offered = offer({ protocols: ['v1', 'v2'] });
    expect(validateHandshakeResponse(101, { ...GOOD, 'sec-websocket-protocol': 'v2' }, offered).protocol).toBe('v2');
    for (const answer of [undefined, '', 'v3', 'V2', 'v1, v2']) {
      expect(() => validateHandshakeResponse(101, { ...GOOD, 'sec-websocket-protocol': answer }, offered), String(answer)).toThrow(
        expect.objectContaining({ code: 'KRANDOG_WS_HANDSHAKE_PROTOCOL' }),
      );
    }
    expect(() => validateHandshakeResponse(101, { ...GOOD, 'sec-websocket-protocol': 'v1' }, offer())).toThrow(
      expect.objectContaining({ code: 'KRANDOG_WS_HANDSHAKE_PROTOCOL' }),
    );
  });

  it('takes extensions only if offered, once each, and hands back the parsed answer', () => {
    const offered = offer({ extensionOffers: ['permessage-deflate; client_max_window_bits'] });
    const answer = 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10';
    expect(validateHandshakeResponse(101, { ...GOOD, 'sec-websocket-extensions': answer }, offered)).toEqual({
      protocol: '',
      extensionsHeader: answer,
      extensions: [
        {
          name: 'permessage-deflate',
          params: [
            ['server_no_context_takeover', true],
            ['client_max_window_bits', '10'],
          ],
        },
      ],
    });
    const refused = [
      ['not offered', 'x-webkit-deflate-frame', offered],
      ['nothing offered', 'permessage-deflate', offer()],
      ['twice', 'permessage-deflate, permessage-deflate', offered],
      ['malformed', 'permessage-deflate; =', offered],
    ] as const;
    for (const [name, header, what] of refused) {
      expect(() => validateHandshakeResponse(101, { ...GOOD, 'sec-websocket-extensions': header }, what), name).toThrow(
        expect.objectContaining({ code: 'KRANDOG_WS_HANDSHAKE_EXTENSION' }),
      );
    }
  });
});
