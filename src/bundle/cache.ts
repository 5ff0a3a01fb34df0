// The bundle cache: an unchanged script starts without loading esbuild.
//
// <cache>/bundles/<sha256 of code>.cjs|.mjs bundles, named by content (CommonJS or ES module)
// <cache>/manifests/<name>-<entry hash>.json per entry: the key, the bundle's name, and every
//                                           input's size, mtime and sha256
//
// The key covers the entry path, krandog's version and build, and where its runtime lives; a
// manifest with another key (another krandog) is replaced, with its bundle. A lookup stats each input: same size and mtime means unchanged (unless the mtime is so
// close to when it was recorded that a later write in the same clock tick could hide, the
// "racy" case git also has); otherwise the content hash decides. Writes are atomic
// (atomic-write.ts), so concurrent processes cannot leave a torn file behind.
import { fs, path } from '../builtins.ts';
import { bundleDir, manifestDir } from './cache-dir.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { hashContent, type InputFile } from './input-files.ts';
import { runtimeDir } from './runtime-paths.ts';

declare const KRANDOG_VERSION: string;
declare const KRANDOG_BUILD_ID: string;

/** A bundle's file name: the start of its sha256, so a manifest cannot point outside the cache. */
const BUNDLE_NAME = /^[0-9a-f]{32}\.[cm]js$/;

/** Inputs whose mtime is this close to the recording time are checked by content. */
const RACY_WINDOW_MS = 2_000;

interface Manifest {
  key: string;
  bundle: string;
  /** Date.now() when the inputs' stats were taken. */
  checkedAt: number;
  inputs: InputFile[];
}

export interface BundleCode {
  code: string;
  format: 'esm' | 'cjs';
}

export interface CachedBundle {
  file: string;
  inputs: string[];
}

/** The cached bundle for `entry` if every input is unchanged; undefined otherwise. */
export async function lookupBundle(entry: string): Promise<CachedBundle | undefined> {
  const manifestFile = manifestPath(entry);
  const manifest = readManifest(manifestFile);
  if (!manifest || manifest.key !== cacheKey(entry)) return undefined;
  const bundleFile = path.join(bundleDir(), manifest.bundle);
  if (!fs.statSync(bundleFile, { throwIfNoEntry: false })) return undefined;
  let restatted = false;
  for (const input of manifest.inputs) {
    const stats = fs.statSync(input.path, { throwIfNoEntry: false });
    if (!stats || stats.size !== input.size) return undefined;
    if (stats.mtimeMs === input.mtimeMs && stats.mtimeMs < manifest.checkedAt - RACY_WINDOW_MS) continue;
    if ((await hashContent(fs.readFileSync(input.path))) !== input.hash) return undefined;
    input.mtimeMs = stats.mtimeMs;
    restatted = true;
  }
  // Record the new stats so the next start is back on the fast check.
  if (restatted) tryWrite(manifestFile, { ...manifest, checkedAt: Date.now() });
  return { file: bundleFile, inputs: manifest.inputs.map((input) => input.path) };
}

/**
 * Stores a bundle and its inputs for `entry`; returns the bundle's path. The bundle it replaces is
 * deleted, so editing a script does not fill the cache (bundles name their entry, so no other
 * manifest uses it; a process that was about to import it bundles again, see execute.ts).
 */
export async function storeBundle(entry: string, { code, format }: BundleCode, inputs: InputFile[], checkedAt: number): Promise<string> {
  const bundle = `${(await hashContent(code)).slice(0, 32)}${bundleExtension(format)}`;
  const bundleFile = path.join(bundleDir(), bundle);
  if (!fs.statSync(bundleFile, { throwIfNoEntry: false })) writeFileAtomic(bundleFile, code);
  const manifestFile = manifestPath(entry);
  const replaced = readManifest(manifestFile)?.bundle;
  writeFileAtomic(manifestFile, JSON.stringify({ key: cacheKey(entry), bundle, checkedAt, inputs } satisfies Manifest));
  if (replaced && replaced !== bundle) {
    fs.rmSync(path.join(bundleDir(), replaced), { force: true });
  }
  return bundleFile;
}

/** The extension that makes Node load the bundle in its format, wherever it is. */
export function bundleExtension(format: BundleCode['format']): string {
  return format === 'cjs' ? '.cjs' : '.mjs';
}

function readManifest(file: string): Manifest | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const manifest = JSON.parse(text) as Manifest;
    return BUNDLE_NAME.test(manifest.bundle) && Array.isArray(manifest.inputs) ? manifest : undefined;
  } catch {
    return undefined; // unreadable: bundle again and overwrite it
  }
}

function tryWrite(file: string, manifest: Manifest): void {
  try {
    writeFileAtomic(file, JSON.stringify(manifest));
  } catch {
    // A read-only cache still serves hits; it just keeps hashing.
  }
}

function cacheKey(entry: string): string {
  // Without require(esm) a bundle is an ES module (bundle.ts); one made with it may be CommonJS.
  return [KRANDOG_VERSION, KRANDOG_BUILD_ID, 'run', runtimeDir, entry, process.features.require_module ? 'cjs' : 'esm'].join('\0');
}

/** `<manifests>/<script name>-<hash of its path>.json`; the name is only there to help a person looking. */
function manifestPath(entry: string): string {
  const name = path.basename(entry).replace(/[^\w.-]/g, '_').slice(0, 40);
  return path.join(manifestDir(), `${name}-${hashString(entry)}.json`);
}

/** cyrb53, a fast 53-bit string hash; enough to spread file names (the manifest stores the full key and entry). */
function hashString(text: string): string {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
