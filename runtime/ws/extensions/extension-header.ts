/**
 * Sec-WebSocket-Extensions parsing and formatting (RFC 6455 §9.1):
 *   extension-list = 1#( token *( ";" param ) ),  param = token [ "=" ( token | quoted-string ) ]
 * Malformed input throws: the server answers 400, the client fails the connection.
 */
import { isToken } from '../../util/http-tokens.ts';

export interface ExtensionOffer {
  name: string;
  /** A parameter without a value is `true`; a repeated parameter is an error for the caller. */
  params: Array<[name: string, value: string | true]>;
}

export function parseExtensions(header: string): ExtensionOffer[] {
  const offers: ExtensionOffer[] = [];
  for (const element of splitOutsideQuotes(header, ',')) {
    if (element.trim() === '') continue; // `1#` lists allow empty elements
    const [name, ...rawParams] = splitOutsideQuotes(element, ';').map((part) => part.trim());
    if (!isToken(name)) throw new SyntaxError(`invalid extension name ${JSON.stringify(name)}`);
    const params: ExtensionOffer['params'] = [];
    for (const raw of rawParams) {
      const equals = raw.indexOf('=');
      const key = (equals === -1 ? raw : raw.slice(0, equals)).trim();
      if (!isToken(key)) throw new SyntaxError(`invalid extension parameter ${JSON.stringify(raw)}`);
      if (equals === -1) {
        params.push([key, true]);
        continue;
      }
      let value = raw.slice(equals + 1).trim();
      if (value.startsWith('"')) {
        if (value.length < 2 || !value.endsWith('"')) throw new SyntaxError(`unterminated quoted value in ${JSON.stringify(raw)}`);
        value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      }
      // RFC 6455 §9.1: after unquoting, the value must still be a token.
      if (!isToken(value)) throw new SyntaxError(`invalid value in extension parameter ${JSON.stringify(raw)}`);
      params.push([key, value]);
    }
    offers.push({ name, params });
  }
  return offers;
}

export function formatExtension(offer: ExtensionOffer): string {
  return [offer.name, ...offer.params.map(([key, value]) => (value === true ? key : `${key}=${value}`))].join('; ');
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inQuotes && char === '\\') i++;
    else if (char === '"') inQuotes = !inQuotes;
    else if (!inQuotes && char === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (inQuotes) throw new SyntaxError('unterminated quoted string in extension header');
  parts.push(text.slice(start));
  return parts;
}
