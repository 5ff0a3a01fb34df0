// Source-map fix-ups after esbuild: the source-location prelude (plugins.ts) is put on the first
// line of a module so that no line moves, which shifts that line's columns; this file shifts them
// back so stacks name the user's exact line:column. Format: Source Map Revision 3
// (https://tc39.es/ecma426/), "mappings" in base64 VLQ.

export interface RawSourceMap {
  version: 3;
  sources: string[];
  sourcesContent?: Array<string | null>;
  mappings: string;
  names: string[];
  [key: string]: unknown;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) BASE64_VALUE[BASE64.charCodeAt(i)] = i;

/**
 * Moves the original columns of line 1 of each listed source left by its prelude length (and
 * drops the prelude from sourcesContent). `preludeLengths` maps a source's index in
 * `map.sources` to the number of characters that were put in front of its first line.
 */
export function removeFirstLinePreludes(map: RawSourceMap, preludeLengths: Map<number, number>): void {
  if (preludeLengths.size === 0) return;
  map.mappings = shiftMappings(map.mappings, preludeLengths);
  for (const [index, length] of preludeLengths) {
    const content = map.sourcesContent?.[index];
    if (typeof content === 'string') map.sourcesContent![index] = content.slice(length);
  }
}

const COMMA = 44;
const SEMICOLON = 59;

/** Decodes every segment and encodes it again with shifted columns. Source, line and column are running sums across the whole string, so a shifted column changes the next delta too. */
function shiftMappings(mappings: string, preludeLengths: Map<number, number>): string {
  let out = '';
  let position = 0;
  let source = 0, line = 0, column = 0, writtenColumn = 0;
  const atSegmentEnd = () =>
    position >= mappings.length || mappings.charCodeAt(position) === COMMA || mappings.charCodeAt(position) === SEMICOLON;
  const readValue = (): number => {
    let result = 0, shift = 0, digit: number;
    do {
      digit = BASE64_VALUE[mappings.charCodeAt(position++)];
      result += (digit & 31) * 2 ** shift;
      shift += 5;
    } while (digit & 32);
    return result % 2 === 1 ? -Math.floor(result / 2) : result / 2;
  };
  while (position < mappings.length) {
    if (atSegmentEnd()) {
      out += mappings[position++];
      continue;
    }
    out += encodeValue(readValue()); // generated column
    if (atSegmentEnd()) continue;
    const sourceDelta = readValue(), lineDelta = readValue();
    source += sourceDelta;
    line += lineDelta;
    column += readValue();
    const shiftedColumn = line === 0 ? Math.max(0, column - (preludeLengths.get(source) ?? 0)) : column;
    out += encodeValue(sourceDelta) + encodeValue(lineDelta) + encodeValue(shiftedColumn - writtenColumn);
    writtenColumn = shiftedColumn;
    if (!atSegmentEnd()) out += encodeValue(readValue()); // name index
  }
  return out;
}

function encodeValue(value: number): string {
  let vlq = value < 0 ? -value * 2 + 1 : value * 2;
  let encoded = '';
  do {
    let digit = vlq % 32;
    vlq = Math.floor(vlq / 32);
    if (vlq > 0) digit += 32;
    encoded += BASE64[digit];
  } while (vlq > 0);
  return encoded;
}

/** A source map as an inline `sourceMappingURL` comment to append to the code. */
export function inlineSourceMapComment(map: RawSourceMap): string {
  return `//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}

/**
 * Maps generated line `line` (0-based), which has no mappings, to line 1 of the source at
 * `sourceIndex` (a krandog virtual module, whose frames stacks leave out). A stack frame there
 * (the call of a cached bundle's wrapper function, bundle.ts) would otherwise take the last mapped
 * position before it, in the user's script: Node's source maps have no "unmapped" segment.
 */
export function mapLineTo(map: RawSourceMap, line: number, sourceIndex: number): void {
  const lines = map.mappings.split(';');
  if (lines.length > line + 1 || (lines.length === line + 1 && lines[line] !== '')) return;
  const last = lastSourcePosition(map.mappings);
  while (lines.length < line + 1) lines.push('');
  lines[line] = encodeValue(0) + encodeValue(sourceIndex - last.source) + encodeValue(-last.line) + encodeValue(-last.column);
  map.mappings = lines.join(';');
}

/** The running source index, line and column after the last segment of `mappings`. */
function lastSourcePosition(mappings: string): { source: number; line: number; column: number } {
  const totals = { source: 0, line: 0, column: 0 };
  for (const segment of mappings.split(/[;,]/)) {
    const values = decodeValues(segment);
    if (values.length < 4) continue;
    totals.source += values[1];
    totals.line += values[2];
    totals.column += values[3];
  }
  return totals;
}

function decodeValues(segment: string): number[] {
  const values: number[] = [];
  let result = 0, shift = 0;
  for (let position = 0; position < segment.length; position++) {
    const digit = BASE64_VALUE[segment.charCodeAt(position)];
    result += (digit & 31) * 2 ** shift;
    shift += 5;
    if (digit & 32) continue;
    values.push(result % 2 === 1 ? -Math.floor(result / 2) : result / 2);
    result = 0;
    shift = 0;
  }
  return values;
}
