import { fs, path } from '../builtins.ts';

/**
 * Why plain `node` would not load `outfile` as an ES module, or undefined when it would. `krandog
 * build` writes an ES module (top-level await, `import` of builtins), which fails when loaded as
 * CommonJS ("Identifier 'require' has already been declared"). Node's rule: `.mjs` is an ES module
 * and `.cjs` CommonJS wherever they are; any other file follows the "type" of the nearest
 * package.json. Outside any package Node detects the module syntax (Node 20.19+, 22.7+); under a
 * package.json without "type" it does too on 22+, but warns on every start, so that is refused.
 */
export function commonJsReason(outfile: string): string | undefined {
  const name = path.basename(outfile);
  const extension = path.extname(outfile);
  if (extension === '.mjs') return undefined;
  if (extension === '.cjs') return `node loads a .cjs file as CommonJS`;
  const packageJson = nearestPackageJson(path.dirname(outfile));
  if (!packageJson || packageJson.type === 'module') return undefined;
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
