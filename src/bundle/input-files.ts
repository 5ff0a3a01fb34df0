// What the cache remembers about each file a bundle was built from: size and mtime for the fast
// check, a content hash for the real one (cache.ts).
import { fs, path } from '../builtins.ts';

export interface InputFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** sha256 of the content, hex. */
  hash: string;
}

/** sha256, hex. node:crypto is imported on first use: loading it costs milliseconds that a cache hit never needs. */
export async function hashContent(content: Buffer | string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Reads a file for the bundler and records it. The stat is taken before the read: if the file
 * changes in between, the next run sees a new mtime and compares hashes, so it never trusts a
 * stale bundle.
 */
export async function readInput(file: string): Promise<{ content: Buffer; record: InputFile }> {
  const { size, mtimeMs } = await fs.promises.stat(file);
  const content = await fs.promises.readFile(file);
  return { content, record: { path: file, size, mtimeMs, hash: await hashContent(content) } };
}

/** Records a file the bundler read by itself (or that steers resolution), or undefined if it is gone. */
export async function recordInput(file: string): Promise<InputFile | undefined> {
  const stats = fs.statSync(file, { throwIfNoEntry: false });
  if (!stats?.isFile()) return undefined;
  return { path: file, size: stats.size, mtimeMs: stats.mtimeMs, hash: await hashContent(fs.readFileSync(file)) };
}

const CONFIG_FILES = ['package.json', 'tsconfig.json', 'jsconfig.json'];

/**
 * Files that change how esbuild resolves or compiles the inputs without being inputs themselves:
 * package.json ("exports", "type", "main") and tsconfig.json/jsconfig.json (paths, JSX settings)
 * in every folder from each source folder up to the root. Inside node_modules only the package's
 * own package.json matters.
 */
export function resolutionConfigFiles(inputs: readonly string[]): string[] {
  const found = new Set<string>();
  const visited = new Set<string>();
  for (const input of inputs) {
    const packageRoot = nodeModulesPackageRoot(input);
    if (packageRoot) {
      found.add(path.join(packageRoot, 'package.json'));
      continue;
    }
    for (let dir = path.dirname(input); !visited.has(dir); dir = path.dirname(dir)) {
      visited.add(dir);
      for (const name of CONFIG_FILES) {
        const file = path.join(dir, name);
        if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) found.add(file);
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return [...found];
}

/** `/a/node_modules/@scope/pkg/lib/x.js` → `/a/node_modules/@scope/pkg`; undefined outside node_modules. */
function nodeModulesPackageRoot(file: string): string | undefined {
  const parts = file.split(path.sep);
  const index = parts.lastIndexOf('node_modules');
  if (index === -1 || index + 1 >= parts.length - 1) return undefined;
  const nameParts = parts[index + 1].startsWith('@') ? 2 : 1;
  return parts.slice(0, index + 1 + nameParts).join(path.sep);
}

export function isInNodeModules(file: string): boolean {
  return file.split(path.sep).includes('node_modules');
}
