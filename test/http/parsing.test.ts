// The pure parts, without sockets: request targets, queries, media types, header lists, options.
import { describe, expect, it } from 'vitest';
import { isJsonMediaType } from '../../runtime/http/request.ts';
import { parseQuery, parseTarget, pathnameOf, searchOf } from '../../runtime/util/request-target.ts';
import { buildHeaderList, checkHeaderList, forwardedHeaders, KEEP_GIVEN_LENGTH, NO_LENGTH } from '../../runtime/http/response-headers.ts';
import { resolveOptions } from '../../runtime/http/options.ts';

describe('parseTarget', () => {
  it.each([
    ['/', '/', ''],
    ['/a/b', '/a/b', ''],
    ['/a/b?', '/a/b', ''],
    ['/a/b?x=1&y', '/a/b', 'x=1&y'],
    ['/a?x=1#frag', '/a', 'x=1'],
    ['/a#frag?not-query', '/a', ''],
    ['/a%2Fb?q=%20', '/a%2Fb', 'q=%20'],
    ['http://example.com:8080/p/q?z=9', '/p/q', 'z=9'],
    ['http://example.com', '/', ''],
    ['http://example.com?x=1', '/', 'x=1'],
    ['*', '*', ''],
  ])('%s → pathname %s, search %s', (url, pathname, search) => {
    expect(pathnameOf(url)).toBe(pathname);
    expect(searchOf(url)).toBe(search);
    expect(parseTarget(url).pathname).toBe(pathname);
  });
});

describe('parseQuery', () => {
  it('returns a prototype-free object in which hostile keys are own entries', () => {
    const query = parseQuery('__proto__=1&constructor=2&prototype=3&__proto__=4');
    expect(Object.getPrototypeOf(query)).toBe(null);
    expect(Object.keys(query)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(query.__proto__).toEqual(['1', '4']);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('decodes + and percent escapes, keeps empty values, collects repeats', () => {
    expect({ ...parseQuery('a=x+y&a=%41&b=&c') }).toEqual({ a: ['x y', 'A'], b: '', c: '' });
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=UTF-8', true],
    ['application/problem+json', true],
    [' application/json ', true],
    ['text/json', false],
    ['application/jsonp', false],
    ['text/plain', false],
    [undefined, false],
  ])('%s → %s', (type, expected) => {
    expect(isJsonMediaType(type)).toBe(expected);
  });
});

describe('buildHeaderList', () => {
  it('adds the default type and the length', () => {
    expect(buildHeaderList(undefined, undefined, 'text/plain', 5)).toEqual(['Content-Type', 'text/plain', 'Content-Length', 5]);
  });

  it('keeps a given Content-Type over the default, and lets `type` replace it', () => {
    expect(buildHeaderList({ 'content-type': 'a/b' }, undefined, 'text/plain', 0)).toEqual(['content-type', 'a/b', 'Content-Length', 0]);
    expect(buildHeaderList({ 'Content-Type': 'a/b' }, 'c/d', 'text/plain', 0)).toEqual(['Content-Type', 'c/d', 'Content-Length', 0]);
  });

  it('replaces a given Content-Length unless told to keep it, and never sends one for NO_LENGTH', () => {
    expect(buildHeaderList({ 'Content-Length': '9' }, undefined, undefined, 3)).toEqual(['Content-Length', 3]);
    expect(buildHeaderList({ 'Content-Length': '9' }, undefined, undefined, KEEP_GIVEN_LENGTH)).toEqual(['Content-Length', '9']);
    expect(buildHeaderList({ 'Content-Length': '9' }, undefined, undefined, NO_LENGTH)).toEqual([]);
  });

  it('passes arrays through, skips undefined values and inherited keys', () => {
    const headers = Object.assign(Object.create({ inherited: 'no' }), { 'Set-Cookie': ['a', 'b'], 'X-Skip': undefined });
    expect(buildHeaderList(headers, undefined, undefined, NO_LENGTH)).toEqual(['Set-Cookie', ['a', 'b']]);
  });

  it('rejects headers that are not an object', () => {
    expect(() => buildHeaderList('x-a: 1' as never, undefined, undefined, 0)).toThrow('response headers must be an object, got "x-a: 1"');
  });

  it("drops a handler's Transfer-Encoding: the server frames the body (never both it and Content-Length)", () => {
    expect(buildHeaderList({ 'Transfer-Encoding': 'chunked', 'X-A': '1' }, undefined, undefined, 5)).toEqual(['X-A', '1', 'Content-Length', 5]);
    expect(buildHeaderList([['transfer-encoding', 'gzip, chunked']], undefined, undefined, KEEP_GIVEN_LENGTH)).toEqual([]);
  });
});

describe('checkHeaderList (the head of a stream, written later)', () => {
  it("throws Node's own errors for what writeHead() would refuse", () => {
    expect(() => checkHeaderList(['bad header', 'x'])).toThrow('Header name must be a valid HTTP token ["bad header"]');
    expect(() => checkHeaderList(['x-a', ['ok', 'line\nbreak']])).toThrow('Invalid character in header content ["x-a"]');
  });

  it('returns the Content-Length given, every value when there are several', () => {
    expect(checkHeaderList(['x-a', '1'])).toBeUndefined();
    expect(checkHeaderList(['Content-Length', '12'])).toBe('12');
    expect(checkHeaderList(['content-length', '1', 'Content-Length', 2])).toEqual(['1', 2]);
  });
});

describe('forwardedHeaders (a Response from fetch)', () => {
  const upstream = (init: Record<string, string>) => new Headers(init);

  it('drops hop-by-hop headers and those the Connection header names (RFC 9110 §7.6.1)', () => {
    const headers = upstream({ connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=5', 'x-hop': '1', 'transfer-encoding': 'chunked', 'x-end': '2' });
    expect(forwardedHeaders(headers, true)).toEqual([['x-end', '2']]);
  });

  it('drops the encoding and the encoded length of a body fetch decoded', () => {
    for (const coding of ['gzip', 'br', 'deflate', 'x-gzip', 'gzip, br']) {
      expect(forwardedHeaders(upstream({ 'content-encoding': coding, 'content-length': '28', etag: '"e"' }), true)).toEqual([['etag', '"e"']]);
    }
  });

  it('keeps them for a coding fetch does not decode, and for a response without body', () => {
    const unknown = upstream({ 'content-encoding': 'gzip, x-custom', 'content-length': '28' });
    expect(forwardedHeaders(unknown, true)).toEqual([['content-encoding', 'gzip, x-custom'], ['content-length', '28']]);
    expect(forwardedHeaders(upstream({ 'content-encoding': 'gzip', 'content-length': '28' }), false)).toHaveLength(2);
    expect(forwardedHeaders(upstream({ 'content-length': '28' }), true)).toEqual([['content-length', '28']]);
  });
});

describe('resolveOptions', () => {
  it('has sane defaults', () => {
    const options = resolveOptions(undefined);
    expect(options.maxBodySize).toBe(1024 * 1024);
    expect(options.headersTimeout).toBeLessThanOrEqual(options.requestTimeout);
    expect(options.connectionsCheckingInterval).toBeLessThanOrEqual(options.headersTimeout / 10);
  });

  it('keeps the default headersTimeout within a smaller requestTimeout', () => {
    expect(resolveOptions({ requestTimeout: 5000 }).headersTimeout).toBe(5000);
  });

  it('rejects bad values with a message naming the option', () => {
    expect(() => resolveOptions({ maxBodySize: -1 })).toThrow('options.maxBodySize must be a non-negative integer, got -1');
    expect(() => resolveOptions({ headersTimeout: '5' as never })).toThrow('options.headersTimeout must be a non-negative integer, got "5"');
    expect(() => resolveOptions({ requestTimeout: { ms: 5 } as never })).toThrow('options.requestTimeout must be a non-negative integer, got a plain object {ms}');
    expect(() => resolveOptions({ headersTimeout: 10, requestTimeout: 5 })).toThrow('must not exceed options.requestTimeout');
  });
});
