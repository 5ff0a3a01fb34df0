// A small glob matcher for `krandog test 'src/**/*.test.ts'` (fs.glob and path.matchesGlob are
// missing or experimental on Node 20): `**` any folders, `*` and `?` within one name, `{a,b}`
// alternatives, `[abc]` character classes. Paths use `/`.

export function isGlob(pattern: string): boolean {
  return /[*?[{]/.test(pattern);
}

/** The folder part before the first segment with a wildcard: where to start looking. */
export function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const index = segments.findIndex(isGlob);
  return segments.slice(0, index).join('/') || (pattern.startsWith('/') ? '/' : '.');
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` matches no folder or any number of them; a trailing `**` anything.
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:[^/]*/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '{') {
      const end = pattern.indexOf('}', i);
      if (end === -1) {
        source += '\\{';
        continue;
      }
      source += '(?:' + pattern.slice(i + 1, end).split(',').map(escape).join('|') + ')';
      i = end;
    } else if (char === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = end;
    } else {
      source += escape(char);
    }
  }
  return new RegExp(`^${source}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
