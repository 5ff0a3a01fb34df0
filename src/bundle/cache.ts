// The bundle cache: an unchanged script starts without loading esbuild.
//
// <cache>/bundles/<sha256 of code>.cjs|.mjs bundles, named by content (CommonJS or ES module)
// <cache>/manifests/<name>-<entry hash>.json per entry: the key, the bundle's name, and every
//                                           input's size, mtime and sha256
//
// The key covers the entry path, krandog's version and build, and where its runtime lives; a
// manifest with another key (another krandog) is replaced, with its bundle. Every start first
// checks the manifest by stat alone (cache-manifest.ts: same size and mtime, recorded well after
// that mtime); this lookup, reached when that check cannot vouch for it, lets the content hash
// decide. Writes are atomic (atomic-write.ts), so concurrent processes cannot leave a torn file behind.
import { fs, path } from '../builtins.ts';
import { bundlePath } from './cache-dir.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { cacheKey, currentManifest, inputState, manifestPath, readManifest, type CachedBundle, type Manifest } from './cache-manifest.ts';
import { hashContent, type InputFile } from './input-files.ts';

export interface BundleCode {
  code: string;
  format: 'esm' | 'cjs';
}

/**
 * The cached bundle for `entry` if every input is unchanged; undefined otherwise. Where size and
 * mtime cannot tell (cache-manifest.ts), the content hash decides.
 */
export async function lookupBundle(entry: string): Promise<CachedBundle | undefined> {
  const manifest = currentManifest(entry);
  if (!manifest) return undefined;
  const bundleFile = bundlePath(manifest.bundle);
  if (!fs.statSync(bundleFile, { throwIfNoEntry: false })) return undefined;
  let restatted = false;
  for (const input of manifest.inputs) {
    const stats = fs.statSync(input.path, { throwIfNoEntry: false });
    const state = inputState(input, stats, manifest.checkedAt);
    if (state === 'changed') return undefined;
    if (state === 'unchanged') continue;
    if ((await hashContent(fs.readFileSync(input.path))) !== input.hash) return undefined;
    input.mtimeMs = stats!.mtimeMs;
    restatted = true;
  }
  // Record the new stats so the next start is back on the fast check.
  if (restatted) tryWrite(manifestPath(entry), { ...manifest, checkedAt: Date.now() });
  return { file: bundleFile, inputs: manifest.inputs.map((input) => input.path) };
}

/**
 * Stores a bundle and its inputs for `entry`; returns the bundle's path. The bundle it replaces is
 * deleted, so editing a script does not fill the cache (bundles name their entry, so no other
 * manifest uses it; a process that was about to import it bundles again, see execute.ts).
 */
export async function storeBundle(entry: string, { code, format }: BundleCode, inputs: InputFile[], checkedAt: number): Promise<string> {
  const bundle = `${(await hashContent(code)).slice(0, 32)}${bundleExtension(format)}`;
  const bundleFile = bundlePath(bundle);
  if (!fs.statSync(bundleFile, { throwIfNoEntry: false })) writeFileAtomic(bundleFile, code);
  const manifestFile = manifestPath(entry);
  const replaced = readManifest(manifestFile)?.bundle;
  writeFileAtomic(manifestFile, JSON.stringify({ key: cacheKey(entry), bundle, checkedAt, inputs } satisfies Manifest));
  if (replaced && replaced !== bundle) {
    fs.rmSync(bundlePath(replaced), { force: true });
  }
  return bundleFile;
}

/** The extension that makes Node load the bundle in its format, wherever it is. */
export function bundleExtension(format: BundleCode['format']): string {
  return format === 'cjs' ? '.cjs' : '.mjs';
}

function tryWrite(file: string, manifest: Manifest): void {
  try {
    writeFileAtomic(file, JSON.stringify(manifest));
  } catch {
    // A read-only cache still serves hits; it just keeps hashing.
  }
}
