import { describe, expect, it } from 'vitest';
import { parseExtensions } from '../../../runtime/ws/extensions/extension-header.ts';
import {
  acceptDeflateOffer,
  acceptDeflateResponse,
  deflateOffer,
} from '../../../runtime/ws/extensions/permessage-deflate.ts';

describe('parseExtensions', () => {
  it('reads extensions, parameters and quoted values', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits, foo; bar="10"; baz')).toEqual([
      { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
      { name: 'foo', params: [['bar', '10'], ['baz', true]] },
    ]);
  });

  it.each([
    ['bad name', 'perm@ssage'],
    ['unterminated quote', 'x; a="1'],
    ['quoted value that is not a token', 'x; a="1 2"'],
    ['empty parameter name', 'x; =3'],
  ])('rejects a %s', (_label, header) => {
    expect(() => parseExtensions(header)).toThrow(SyntaxError);
  });
});

describe('server negotiation (RFC 7692 §7)', () => {
  const accept = (header: string) => acceptDeflateOffer(parseExtensions(header));

  it('accepts the browser offer and imposes no context takeover both ways', () => {
    expect(accept('permessage-deflate; client_max_window_bits')?.extension).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
  });

  it('honours server_max_window_bits', () => {
    expect(accept('permessage-deflate; server_max_window_bits=10')?.extension).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10',
    );
  });

  it.each([
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits=08',
    'permessage-deflate; client_max_window_bits=7',
    'permessage-deflate; unknown_param',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
    'permessage-deflate; server_no_context_takeover=1',
  ])('declines %s', (header) => {
    expect(accept(header)).toBeNull();
  });

  it('declines a bad offer and takes the next acceptable one, answering only one', () => {
    const deflate = accept('permessage-deflate; bogus, permessage-deflate; server_max_window_bits=12, permessage-deflate');
    expect(deflate?.extension).toContain('server_max_window_bits=12');
  });

  it('ignores other extensions', () => {
    expect(accept('x-webkit-deflate-frame')).toBeNull();
  });
});

describe('client negotiation', () => {
  it('offers permessage-deflate as browsers do', () => {
    expect(deflateOffer()).toBe('permessage-deflate; client_max_window_bits');
  });

  it('accepts a plain response: the server may take over its context', () => {
    const header = 'permessage-deflate';
    expect(acceptDeflateResponse(parseExtensions(header)[0], header).extension).toBe(header);
  });

  it('accepts a response that keeps server_no_context_takeover', () => {
    const header = 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10';
    expect(acceptDeflateResponse(parseExtensions(header)[0], header).extension).toBe(header);
  });

  it.each([
    'permessage-deflate; server_no_context_takeover; client_max_window_bits',
    'permessage-deflate; server_no_context_takeover; mystery',
    'x-other; server_no_context_takeover',
  ])('rejects %s', (header) => {
    expect(() => acceptDeflateResponse(parseExtensions(header)[0], header)).toThrow();
  });
});
