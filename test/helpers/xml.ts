// A small strict XML reader for checking `krandog test --reporter junit`: elements, attributes in
// double quotes, text, the five predefined entities and character references, one declaration.
// Anything else (a bare `&` or `<` in text, a control character, a tag closed out of order,
// text outside the root) throws: a report CI systems would choke on fails the test.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NOT_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function parseXml(source: string): XmlElement {
  if (NOT_XML.test(source)) throw new Error(`a character XML 1.0 forbids at ${source.search(NOT_XML)}`);
  let at = 0;
  const fail = (message: string): never => {
    throw new Error(`${message} at offset ${at}: ${JSON.stringify(source.slice(at, at + 40))}`);
  };
  const skipSpace = () => {
    while (/\s/.test(source[at] ?? '')) at++;
  };
  const decode = (text: string) => {
    if (/[<]/.test(text)) fail('a bare <');
    return text.replace(/&([^;]*);|&/g, (match, entity: string | undefined) => {
      if (entity === undefined) return fail('a bare &');
      if (entity in ENTITIES) return ENTITIES[entity];
      const numeric = /^#(?:x([0-9a-f]+)|(\d+))$/i.exec(entity);
      if (!numeric) return fail(`an unknown entity &${entity};`);
      return String.fromCodePoint(numeric[1] !== undefined ? parseInt(numeric[1], 16) : Number(numeric[2]));
    });
  };
  const readName = () => {
    const match = NAME.exec(source.slice(at));
    if (!match) fail('a name expected');
    at += match![0].length;
    return match![0];
  };
  const readElement = (): XmlElement => {
    if (source[at] !== '<') fail('< expected');
    at++;
    const element: XmlElement = { name: readName(), attributes: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', at)) {
        at += 2;
        return element;
      }
      if (source[at] === '>') {
        at++;
        break;
      }
      const attribute = readName();
      if (source[at] !== '=' || source[at + 1] !== '"') fail('="value" expected');
      const end = source.indexOf('"', at + 2);
      if (end === -1) fail('unterminated attribute');
      if (attribute in element.attributes) fail(`attribute ${attribute} twice`);
      element.attributes[attribute] = decode(source.slice(at + 2, end));
      at = end + 1;
    }
    for (;;) {
      const next = source.indexOf('<', at);
      if (next === -1) fail(`</${element.name}> missing`);
      element.text += decode(source.slice(at, next));
      at = next;
      if (source.startsWith('</', at)) {
        at += 2;
        if (readName() !== element.name) fail(`</${element.name}> expected`);
        skipSpace();
        if (source[at] !== '>') fail('> expected');
        at++;
        return element;
      }
      element.children.push(readElement());
    }
  };
  const declaration = /^<\?xml version="1\.0" encoding="UTF-8"\?>/.exec(source);
  if (declaration) at = declaration[0].length;
  skipSpace();
  const root = readElement();
  skipSpace();
  if (at !== source.length) fail('content after the root element');
  return root;
}
