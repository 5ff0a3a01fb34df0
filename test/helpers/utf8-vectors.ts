// The UTF-8 stress vectors of Autobahn|Testsuite cases 6.5-6.23, after Markus Kuhn's UTF-8 decoder
// capability and stress test (UTF-8-test.txt). Each group is one Autobahn subcategory; each vector
// one case, numbered from 1 in order. Bytes are written as hex.

export interface Utf8Vector {
  valid: boolean;
  bytes: Buffer;
}

export interface Utf8Group {
  /** Autobahn subcategory, e.g. '6.5'. */
  id: string;
  title: string;
  vectors: Utf8Vector[];
}

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const valid = (text: string): Utf8Vector => ({ valid: true, bytes: hex(text) });
const invalid = (text: string): Utf8Vector => ({ valid: false, bytes: hex(text) });
const ascii = (text: string): string => Buffer.from(text, 'latin1').toString('hex');

/** κόσμε ("kosme"), the multi-byte sample text used across category 6. */
export const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');
/** Where KOSME's code points end: its only prefixes that are complete UTF-8. */
const KOSME_BOUNDARIES = [2, 5, 7, 9, 11];

function byteRange(from: number, to: number, between = ''): string {
  let out = '';
  for (let byte = from; byte < to; byte++) out += byte.toString(16).padStart(2, '0') + between;
  return out;
}

function nonCharacters(): Utf8Vector[] {
  const vectors = [valid('ef bf be'), valid('ef bf bf')];
  for (const lead of ['f0', 'f1', 'f2', 'f3', 'f4']) {
    for (const second of ['8f', '9f', 'af', 'bf']) {
      if (lead === 'f4' && second !== '8f') continue; // beyond U+10FFFF
      if (lead === 'f0' && second === '8f') continue; // overlong
      for (const last of ['be', 'bf']) vectors.push(valid(lead + second + 'bf' + last));
    }
  }
  return vectors;
}

const missingLast = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'];

export const UTF8_GROUPS: Utf8Group[] = [
  {
    id: '6.5',
    title: 'some valid UTF-8 sequences',
    vectors: [
      valid(ascii('hello') + '24' + ascii('world')),
      valid(ascii('hello') + 'c2a2' + ascii('world')),
      valid(ascii('hello') + 'e282ac' + ascii('world')),
      valid(ascii('hello') + 'f0a4ada2' + ascii('world')),
      { valid: true, bytes: KOSME },
    ],
  },
  {
    id: '6.6',
    title: 'every prefix of a valid multi-byte string',
    vectors: Array.from({ length: KOSME.length }, (_, i) => ({
      valid: KOSME_BOUNDARIES.includes(i + 1),
      bytes: KOSME.subarray(0, i + 1),
    })),
  },
  { id: '6.7', title: 'first possible sequence of each length', vectors: [valid('00'), valid('c280'), valid('e0a080'), valid('f0908080')] },
  { id: '6.8', title: 'first possible 5- and 6-byte sequences', vectors: [invalid('f888808080'), invalid('fc8480808080')] },
  { id: '6.9', title: 'last possible sequence of each length', vectors: [valid('7f'), valid('dfbf'), valid('efbfbf'), valid('f48fbfbf')] },
  { id: '6.10', title: 'last possible 4-, 5- and 6-byte sequences', vectors: [invalid('f7bfbfbf'), invalid('fbbfbfbfbf'), invalid('fdbfbfbfbfbf')] },
  {
    id: '6.11',
    title: 'other boundary conditions',
    vectors: [valid('ed9fbf'), valid('ee8080'), valid('efbfbd'), valid('f48fbfbf'), invalid('f4908080')],
  },
  {
    id: '6.12',
    title: 'unexpected continuation bytes',
    vectors: [
      invalid('80'),
      invalid('bf'),
      invalid('80bf'),
      invalid('80bf80'),
      invalid('80bf80bf'),
      invalid('80bf80bf80'),
      invalid('80bf80bf80bf'),
      invalid(byteRange(0x80, 0xbf)),
    ],
  },
  {
    id: '6.13',
    title: 'lonely start bytes, each followed by a space',
    vectors: [
      [0xc0, 0xdf],
      [0xe0, 0xef],
      [0xf0, 0xf7],
      [0xf8, 0xfb],
      [0xfc, 0xfd],
    ].map(([from, to]) => invalid(byteRange(from, to, '20'))),
  },
  { id: '6.14', title: 'sequences with the last continuation byte missing', vectors: missingLast.map(invalid) },
  { id: '6.15', title: 'concatenation of incomplete sequences', vectors: [invalid(missingLast.join(''))] },
  { id: '6.16', title: 'impossible bytes', vectors: [invalid('fe'), invalid('ff'), invalid('fefeffff')] },
  {
    id: '6.17',
    title: 'overlong ASCII "/"',
    vectors: ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af'].map(invalid),
  },
  {
    id: '6.18',
    title: 'maximum overlong sequences',
    vectors: ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf'].map(invalid),
  },
  {
    id: '6.19',
    title: 'overlong NUL',
    vectors: ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080'].map(invalid),
  },
  {
    id: '6.20',
    title: 'single UTF-16 surrogates',
    vectors: ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(invalid),
  },
  {
    id: '6.21',
    title: 'paired UTF-16 surrogates',
    vectors: [
      'eda080edb080',
      'eda080edbfbf',
      'edadbfedb080',
      'edadbfedbfbf',
      'edae80edb080',
      'edae80edbfbf',
      'edafbfedb080',
      'edafbfedbfbf',
    ].map(invalid),
  },
  { id: '6.22', title: 'non-characters (valid UTF-8)', vectors: nonCharacters() },
  {
    id: '6.23',
    title: 'Unicode specials',
    vectors: ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map(valid),
  },
];
