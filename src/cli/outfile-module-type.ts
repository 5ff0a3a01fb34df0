import { fs, path } from '../builtins.ts';

/**
 * Why plain `node` will load `outfile` as CommonJS, or undefined when it loads it as an ES module;
 * `krandog build` writes the format node will load. Node's rule: `.mjs` is an ES module and `.cjs`
 * CommonJS wherever they are; any other file follows the "type" of the nearest package.json, and
 * is CommonJS when that has no "type": "module" or there is none. (Node 20.19+ and 22.7+ reparse
 * such a file as an ES module when it does not parse as CommonJS, with a warning under a
 * package.json; earlier Node 20 fails. CommonJS runs on every one of them, silently.)
 */
export function commonJsReason(outfile: string): string | undefined {
  const name = path.basename(outfile);
  const extension = path.extname(outfile);
  if (extension === '.mjs') return undefined;
  if (extension === '.cjs') return `node loads a .cjs file as CommonJS`;
  const packageJson = nearestPackageJson(path.dirname(outfile));
  if (!packageJson) return `node loads ${name} as CommonJS (no package.json above it says "type": "module")`;
  if (packageJson.type === 'module') return undefined;
  const has = packageJson.type === undefined ? 'no "type": "module"' : `"type": ${JSON.stringify(packageJson.type)}`;
  return `node loads ${name} as CommonJS (${packageJson.file} has ${has})`;
}

function nearestPackageJson(dir: string): { file: string; type: unknown } | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    const file = path.join(current, 'package.json');
    const text = readIfFile(file);
    if (text !== undefined) return { file, type: parseType(text) };
    if (path.dirname(current) === current) return undefined;
  }
}

function readIfFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The "type" field; undefined also for a package.json Node could not parse either. */
function parseType(text: string): unknown {
  try {
    return (JSON.parse(text) as { type?: unknown }).type;
  } catch {
    return undefined;
  }
}
