import { describe, expect, it } from 'vitest';
import { decideUpgrade } from '../../runtime/ws/server/upgrade.ts';

describe('decideUpgrade (what an upgrade hook returned)', () => {
  it('accepts on nothing or true, keeping the protocol chosen from options.protocols', () => {
    expect(decideUpgrade(undefined, ['a'], 'a')).toEqual({ accept: true, protocol: 'a', data: undefined, headerLines: '' });
    expect(decideUpgrade(true, [], undefined)).toEqual({ accept: true, protocol: undefined, data: undefined, headerLines: '' });
  });

  it('accepts with the hook’s protocol, data and headers', () => {
    const data = { user: 'ann' };
    expect(decideUpgrade({ protocol: 'b', data, headers: { 'Set-Cookie': ['a=1', 'b=2'] } }, ['a', 'b'], 'a')).toEqual({
      accept: true,
      protocol: 'b',
      data,
      headerLines: 'Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n',
    });
  });

  it('refuses with 403 on false and with the status given as a number or an object', () => {
    expect(decideUpgrade(false, [], undefined)).toMatchObject({ accept: false, status: 403 });
    expect(decideUpgrade(401, [], undefined)).toMatchObject({ accept: false, status: 401, body: '' });
    expect(decideUpgrade({ status: 429, body: 'slow down', headers: { 'Retry-After': '5' } }, [], undefined)).toEqual({
      accept: false,
      status: 429,
      body: 'slow down',
      headers: { 'Retry-After': '5' },
    });
  });

  it.each([
    ['a protocol the client did not offer', { protocol: 'c' }, /did not offer/],
    ['a status outside 400–599', 302, /400 to 599/],
    ['a header with CR/LF', { headers: { 'X-A': 'a\r\nInjected: 1' } }, /Invalid character/],
    ['a header name that is not a token', { headers: { 'bad name': 'x' } }, /Header name/],
    ['a string', 'yes', /expected an object/],
  ])('throws (→ 500) for %s', (_name, verdict, message) => {
    expect(() => decideUpgrade(verdict as never, ['a', 'b'], undefined)).toThrow(message);
  });
});
