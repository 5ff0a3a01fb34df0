// Property tests (fast-check) of the two parsers a peer reaches before any frame: the opening
// handshake check (RFC 6455 §4.2.1) and the Sec-WebSocket-Extensions grammar (RFC 6455 §9.1) with
// permessage-deflate negotiation (RFC 7692) on top. Short runs by default, as in
// test/ws/codec/properties.test.ts; FC_NUM_RUNS raises them for a long campaign, FC_SEED replays one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatExtension, parseExtensions, type ExtensionOffer } from '../../runtime/ws/extensions/extension-header.ts';
import { acceptKey } from '../../runtime/ws/protocol/accept-key.ts';
import { switchingProtocolsResponse, validateUpgradeRequest, type AllowOrigins } from '../../runtime/ws/server/handshake.ts';
import { acceptDeflateOffer, acceptDeflateResponse } from '../../runtime/ws/extensions/permessage-deflate.ts';

const DEFAULT_NUM_RUNS = 300;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? DEFAULT_NUM_RUNS);
const TIMEOUT = NUM_RUNS > DEFAULT_NUM_RUNS ? 7 * 24 * 3600_000 : undefined;
const SEED = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
const params = (scale = 1) => ({ numRuns: Math.max(1, Math.round(NUM_RUNS * scale)), seed: SEED });

// RFC 7230 §3.2.6 tchar, and characters that matter to the grammars around tokens.
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const KEY_PATTERN = /^[+/0-9A-Za-z]{21}[AQgw]==$/;
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
const space = fc.constantFrom('', '', ' ', '  ', '\t');
/** Any string, from any code points down to the separators that steer a header parser. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...',;="\\ \t\r\nab1-_', '\u0000', '\u00ff', '\ud800'), maxLength: 40 }),
);

// ---------------------------------------------------------------------------------------------
// The opening handshake

const validKey = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString('base64'));
/** Keys that are almost right: wrong length, a bad last character, stray spaces or characters. */
const nearKey = fc.oneof(
  validKey.map((key) => key.slice(1)),
  validKey.map((key) => key + 'A'),
  validKey.map((key) => key.slice(0, 21) + 'B=='),
  validKey.map((key) => key.replace('=', '.')),
  fc.uint8Array({ minLength: 0, maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('base64')),
);
/** A comma list holding `wanted` (in any case) among other tokens, or not. */
const tokenList = (wanted: string) =>
  fc
    .tuple(fc.array(token, { maxLength: 3 }), fc.boolean(), fc.array(fc.boolean(), { minLength: wanted.length, maxLength: wanted.length }), space)
    .map(([others, include, upper, pad]) => {
      const cased = [...wanted].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join('');
      const items = include ? [...others, cased] : others;
      return items.map((item) => pad + item + pad).join(',');
    });

const headerValue = (typical: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 6, arbitrary: typical },
    { weight: 2, arbitrary: anyText },
    { weight: 1, arbitrary: fc.constant(undefined) },
    // Node gives arrays for a few repeated headers; a hostile peer may repeat anything.
    { weight: 1, arbitrary: fc.array(fc.oneof(typical, anyText), { maxLength: 3 }) },
  );

const upgradeHead = fc.record({
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('GET') }, { weight: 1, arbitrary: fc.constantFrom('get', 'POST', 'HEAD', 'CONNECT') }, { weight: 1, arbitrary: fc.option(anyText, { nil: undefined }) }),
  httpVersionMajor: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 3 }) }),
  httpVersionMinor: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 9 }) }),
  headers: fc.record(
    {
      upgrade: headerValue(tokenList('websocket')),
      connection: headerValue(tokenList('upgrade')),
      'sec-websocket-key': headerValue(fc.oneof(validKey, nearKey, validKey.map((key) => ` ${key}\t`))),
      'sec-websocket-version': headerValue(fc.constantFrom('13', ' 13 ', '8', '13, 8', '')),
      'sec-websocket-protocol': headerValue(fc.array(token, { maxLength: 4 }).map((names) => names.join(', '))),
      origin: headerValue(fc.constantFrom('https://example.com', 'https://EXAMPLE.com/', 'null', 'http://evil.test')),
      'sec-websocket-extensions': headerValue(fc.constant('permessage-deflate; client_max_window_bits')),
    },
    { requiredKeys: [] },
  ),
});

const allowOrigins: fc.Arbitrary<AllowOrigins | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.array(fc.oneof(fc.constantFrom('https://example.com', '*'), anyText), { maxLength: 3 }),
  // A script's predicate may return anything; only `true` allows.
  fc.anything().map((answer) => () => answer as boolean),
);

describe('properties: validateUpgradeRequest', () => {
  it('arbitrary request heads never throw: the answer is ok with a well-formed key, or a 4xx with a message', () => {
    fc.assert(
      fc.property(upgradeHead, allowOrigins, (head, origins) => {
        const result = validateUpgradeRequest(head as Parameters<typeof validateUpgradeRequest>[0], origins);
        if (result.ok) {
          expect(result.key).toMatch(KEY_PATTERN);
          for (const name of result.offeredProtocols) expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          expect(new Set(result.offeredProtocols).size).toBe(result.offeredProtocols.length);
          // What goes back on the wire is exactly the six lines of the 101: nothing a peer can inject.
          const response = switchingProtocolsResponse(result.key, result.offeredProtocols[0]);
          expect(response.split('\r\n')).toHaveLength(result.offeredProtocols.length > 0 ? 7 : 6);
          expect(response).toContain(`Sec-WebSocket-Accept: ${acceptKey(result.key)}\r\n`);
        } else {
          expect([400, 403, 426]).toContain(result.status);
          expect(result.message.length).toBeGreaterThan(0);
          if (result.status === 426) expect(result.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
        }
      }),
      params(),
    );
  }, TIMEOUT);

  it('a valid request in any spelling passes; breaking any one requirement fails with its status', () => {
    const valid = fc.record({
      key: validKey,
      upgrade: tokenList('websocket').filter((list) => /(^|,)\s*websocket\s*(,|$)/i.test(list)),
      connection: tokenList('upgrade').filter((list) => /(^|,)\s*upgrade\s*(,|$)/i.test(list)),
      protocols: fc.uniqueArray(token, { maxLength: 4 }),
      breakWhat: fc.constantFrom('nothing', 'method', 'version', 'upgrade', 'connection', 'key', 'ws-version', 'protocols', 'origin'),
    });
    fc.assert(
      fc.property(valid, ({ key, upgrade, connection, protocols, breakWhat }) => {
        const headers: Record<string, string> = {
          upgrade,
          connection,
          'sec-websocket-key': key,
          'sec-websocket-version': '13',
          origin: 'https://example.com',
        };
        if (protocols.length > 0) headers['sec-websocket-protocol'] = protocols.join(', ');
        const head = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers };
        let expected = 0;
        switch (breakWhat) {
          case 'method': head.method = 'POST'; expected = 400; break;
          case 'version': head.httpVersionMinor = 0; expected = 400; break;
          case 'upgrade': headers.upgrade = 'h2c'; expected = 400; break;
          case 'connection': headers.connection = 'keep-alive'; expected = 400; break;
          case 'key': headers['sec-websocket-key'] = key.slice(0, -3) + '==='; expected = 400; break;
          case 'ws-version': headers['sec-websocket-version'] = '8'; expected = 426; break;
          case 'protocols': headers['sec-websocket-protocol'] = 'a, a'; expected = 400; break;
          case 'origin': headers.origin = 'https://evil.test'; expected = 403; break;
        }
        const result = validateUpgradeRequest(head, ['https://example.com']);
        if (expected === 0) expect(result).toEqual({ ok: true, key, offeredProtocols: protocols });
        else expect(result).toMatchObject({ ok: false, status: expected });
      }),
      params(),
    );
  }, TIMEOUT);
});

// ---------------------------------------------------------------------------------------------
// Sec-WebSocket-Extensions

const paramValue = fc.oneof(fc.constant(true as const), token);
const offer: fc.Arbitrary<ExtensionOffer> = fc.record({
  name: token,
  params: fc.array(fc.tuple(token, paramValue), { maxLength: 4 }),
});

/** One offer written out the way a peer might: random spaces, values quoted (and escaped) or not. */
const spelledOffer = offer.chain((parsed) =>
  fc
    .tuple(
      fc.array(fc.tuple(space, space, fc.boolean(), fc.boolean()), { minLength: parsed.params.length, maxLength: parsed.params.length }),
      space,
    )
    .map(([spellings, lead]) => {
      const text = parsed.params
        .map(([key, value], i) => {
          const [before, after, quoted, escaped] = spellings[i];
          if (value === true) return `;${before}${key}${after}`;
          const written = quoted ? `"${escaped ? value.replace(/./g, (char) => '\\' + char) : value}"` : value;
          return `;${before}${key}${after}=${after}${written}`;
        })
        .join('');
      return { parsed, text: lead + parsed.name + text + lead };
    }),
);

/** Reads a header: the offers, or the SyntaxError's message; any other throw fails the property. */
function parseOrSyntaxError(header: string): ExtensionOffer[] | string {
  try {
    return parseExtensions(header);
  } catch (error) {
    expect(error).toBeInstanceOf(SyntaxError);
    return (error as SyntaxError).message;
  }
}

const formatList = (offers: readonly ExtensionOffer[]) => offers.map(formatExtension).join(', ');

describe('properties: parseExtensions', () => {
  it('any string either parses into tokens or throws a SyntaxError, nothing else', () => {
    const header = fc.oneof(anyText, fc.array(spelledOffer, { maxLength: 3 }).chain((offers) =>
      // A valid header with one character replaced, inserted or removed: close to the grammar's edges.
      fc.tuple(fc.nat(), fc.constantFrom(...',;="\\ \ta'), fc.constantFrom('replace', 'insert', 'remove')).map(([at, char, how]) => {
        const text = offers.map((item) => item.text).join(',');
        const i = text.length === 0 ? 0 : at % text.length;
        if (how === 'replace') return text.slice(0, i) + char + text.slice(i + 1);
        if (how === 'insert') return text.slice(0, i) + char + text.slice(i);
        return text.slice(0, i) + text.slice(i + 1);
      }),
    ));
    fc.assert(
      fc.property(header, (text) => {
        const result = parseOrSyntaxError(text);
        if (typeof result === 'string') return;
        for (const { name, params: list } of result) {
          expect(name).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          for (const [key, value] of list) {
            expect(key).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
            if (value !== true) expect(value).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          }
        }
        // Formatting what was read and reading it again gives the same offers.
        expect(parseExtensions(formatList(result))).toEqual(result);
      }),
      params(2),
    );
  }, TIMEOUT);

  it('offers written with any spacing and quoting parse back to themselves, and format then re-parse unchanged', () => {
    fc.assert(
      fc.property(fc.array(spelledOffer, { maxLength: 4 }), fc.constantFrom(',', ', ', ' ,', ',,'), (offers, comma) => {
        const expected = offers.map((item) => item.parsed);
        expect(parseExtensions(offers.map((item) => item.text).join(comma))).toEqual(expected);
        expect(parseExtensions(formatList(expected))).toEqual(expected);
      }),
      params(),
    );
  }, TIMEOUT);

  it('server negotiation never throws on a parsed header, and what it agrees to is an answer the client accepts', () => {
    const deflateParam = fc.oneof(
      fc.constantFrom('server_no_context_takeover', 'client_no_context_takeover', 'client_max_window_bits'),
      fc.tuple(fc.constantFrom('server_max_window_bits', 'client_max_window_bits'), fc.constantFrom('8', '9', '10', '15', '16', '08', '7', '"12"', 'x')).map(([key, value]) => `${key}=${value}`),
      token,
    );
    const deflateOffer = fc
      .tuple(fc.constantFrom('permessage-deflate', 'permessage-deflate', 'x-webkit-deflate-frame', 'PERMESSAGE-DEFLATE'), fc.array(deflateParam, { maxLength: 4 }))
      .map(([name, list]) => [name, ...list].join('; '));
    const header = fc.oneof(fc.array(deflateOffer, { minLength: 1, maxLength: 3 }).map((list) => list.join(', ')), anyText);
    fc.assert(
      fc.property(header, (text) => {
        const offers = parseOrSyntaxError(text);
        if (typeof offers === 'string') return;
        const agreed = acceptDeflateOffer(offers);
        if (agreed === null) return;
        const [answer, ...rest] = parseExtensions(agreed.extension);
        expect(rest).toEqual([]);
        expect(acceptDeflateResponse(answer, agreed.extension).extension).toBe(agreed.extension);
      }),
      params(),
    );
  }, TIMEOUT);
});
