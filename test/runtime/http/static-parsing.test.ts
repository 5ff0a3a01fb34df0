// The header and path readers behind static files, case by case (the served behaviour is in
// static-files.test.ts).
import type { Stats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isNotModified, rangeStillValid } from '../../../runtime/http/static/conditional.ts';
import { mimeTypeOf } from '../../../runtime/http/static/mime.ts';
import { acceptsEncoding } from '../../../runtime/http/static/precompressed.ts';
import { parseRange, UNSATISFIABLE } from '../../../runtime/http/static/range.ts';
import { isInside, NOT_SERVED, REFUSED, staticTarget } from '../../../runtime/http/static/safe-path.ts';

describe('parseRange (a file of 100 bytes)', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=-500', { start: 0, end: 99 }],
    ['bytes=50-500', { start: 50, end: 99 }],
    ['Bytes = 1 - 2', { start: 1, end: 2 }],
    ['bytes=100-', UNSATISFIABLE],
    ['bytes=5-2', UNSATISFIABLE],
    ['bytes=-0', UNSATISFIABLE],
    ['bytes=0-1,5-6', undefined],
    ['items=0-1', undefined],
    ['bytes=a-b', undefined],
    ['bytes=-', undefined],
    ['bytes 0-1', undefined],
  ])('%s', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected);
  });

  it('finds nothing to send of an empty file', () => {
    expect(parseRange('bytes=0-', 0)).toBe(UNSATISFIABLE);
    expect(parseRange('bytes=-1', 0)).toBe(UNSATISFIABLE);
  });
});

describe('acceptsEncoding', () => {
  it.each([
    ['gzip, deflate, br', 'br', true],
    ['gzip;q=0.5', 'gzip', true],
    ['br;q=0, gzip', 'br', false],
    ['*', 'br', true],
    ['*;q=0', 'gzip', false],
    ['gzip;q=0, *', 'gzip', false],
    ['identity', 'gzip', false],
    ['BR', 'br', true],
  ])('%s accepts %s: %s', (header, coding, expected) => {
    expect(acceptsEncoding(header, coding)).toBe(expected);
  });

  it('accepts nothing without the header', () => {
    expect(acceptsEncoding(undefined, 'gzip')).toBe(false);
  });
});

describe('conditional requests', () => {
  const stat = { mtimeMs: Date.parse('Tue, 01 Dec 2026 10:00:00 GMT') + 400 } as Stats;
  it('compares If-None-Match weakly, lists included, and lets it win over If-Modified-Since', () => {
    expect(isNotModified('"a"', undefined, '"a"', stat)).toBe(true);
    expect(isNotModified('W/"a"', undefined, '"a"', stat)).toBe(true);
    expect(isNotModified('"b", "a"', undefined, '"a"', stat)).toBe(true);
    expect(isNotModified('*', undefined, '"a"', stat)).toBe(true);
    expect(isNotModified('"b"', 'Tue, 01 Dec 2026 10:00:00 GMT', '"a"', stat)).toBe(false);
  });

  it('reads If-Modified-Since in whole seconds and ignores an invalid date', () => {
    expect(isNotModified(undefined, 'Tue, 01 Dec 2026 10:00:00 GMT', '"a"', stat)).toBe(true);
    expect(isNotModified(undefined, 'Tue, 01 Dec 2026 09:59:59 GMT', '"a"', stat)).toBe(false);
    expect(isNotModified(undefined, 'yesterday', '"a"', stat)).toBe(false);
  });

  it('applies a Range under If-Range only for the current ETag (strongly) or the exact date', () => {
    expect(rangeStillValid(undefined, '"a"', 'D')).toBe(true);
    expect(rangeStillValid('"a"', '"a"', 'D')).toBe(true);
    expect(rangeStillValid('W/"a"', '"a"', 'D')).toBe(false);
    expect(rangeStillValid('D', '"a"', 'D')).toBe(true);
    expect(rangeStillValid('E', '"a"', 'D')).toBe(false);
  });
});

describe('staticTarget', () => {
  it.each([
    ['/', { segments: [], directory: true }],
    ['/a/b.css', { segments: ['a', 'b.css'], directory: false }],
    ['/docs/', { segments: ['docs'], directory: true }],
    ['/a%20b.txt', { segments: ['a b.txt'], directory: false }],
    ['/a//b', { segments: ['a', 'b'], directory: false }],
  ])('%s is a file path', (pathname, expected) => {
    expect(staticTarget(pathname)).toEqual(expected);
  });

  it.each(['/..', '/a/../b', '/%2e%2e/x', '/%2E%2e/x', '/.%2e/x', '/./x', '/a%2fb', '/a%2Fb', '/a\\b', '/a%5cb', '/a%00', '*'])('%s is refused', (pathname) => {
    expect(staticTarget(pathname)).toBe(REFUSED);
  });

  it.each(['/.env', '/.git/config', '/%2egit/config', '/bad%zzescape'])('%s is not served', (pathname) => {
    expect(staticTarget(pathname)).toBe(NOT_SERVED);
  });

  it('keeps a real path inside the root only when it is the root or below it', () => {
    expect(isInside('/srv/site', '/srv/site')).toBe(true);
    expect(isInside('/srv/site', '/srv/site/a.html')).toBe(true);
    expect(isInside('/srv/site', '/srv/site-other/a.html')).toBe(false);
    expect(isInside('/', '/etc/passwd')).toBe(true);
  });
});

describe('mimeTypeOf', () => {
  it('reads the extension case-insensitively and falls back to bytes', () => {
    expect(mimeTypeOf('/x/INDEX.HTML')).toBe('text/html; charset=utf-8');
    expect(mimeTypeOf('/x/app.mjs')).toBe('text/javascript; charset=utf-8');
    expect(mimeTypeOf('/x/Makefile')).toBe('application/octet-stream');
  });
});
