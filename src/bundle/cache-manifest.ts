// The bundle cache's manifests (layout: cache.ts), and the check that every start makes
// (cli/main.ts): is the cached bundle still fresh by its inputs' sizes and mtimes alone? Kept
// small, and without hashing, because it runs before every script; a manifest it cannot vouch
// for goes to the full lookup (cache.ts), which compares content hashes.
import { fs, path } from '../builtins.ts';
import { bundlePath, cacheDir, manifestFilePath } from './cache-dir.ts';
import type { InputFile } from './input-files.ts';
import { runtimeDir } from './runtime-paths.ts';

declare const KRANDOG_VERSION: string;
declare const KRANDOG_BUILD_ID: string;

/**
 * A bundle's file name: the start of its sha256 and its extension; checked so that a manifest
 * cannot point outside the cache. A loop, not a regular expression: compiling one costs more here.
 */
function isBundleName(name: unknown): boolean {
  if (typeof name !== 'string' || name.length !== 36 || !(name.endsWith('.cjs') || name.endsWith('.mjs'))) return false;
  for (let i = 0; i < 32; i++) {
    const code = name.charCodeAt(i);
    if (!((code >= 48 && code <= 57) || (code >= 97 && code <= 102))) return false;
  }
  return true;
}

/** Inputs whose mtime is this close to the recording time are checked by content. */
const RACY_WINDOW_MS = 2_000;

export interface Manifest {
  key: string;
  bundle: string;
  /** Date.now() when the inputs' stats were taken. */
  checkedAt: number;
  inputs: InputFile[];
}

export interface CachedBundle {
  file: string;
  inputs: string[];
}

/**
 * How an input compares with its record by stat alone: 'changed' (gone, or another size),
 * 'unchanged' (same size and mtime, recorded well after that mtime), or 'unsure' (the content
 * decides: an mtime can stay the same through a write in the same clock tick, the "racy" case
 * git also has).
 */
export function inputState(input: InputFile, stats: import('node:fs').Stats | undefined, checkedAt: number): 'changed' | 'unchanged' | 'unsure' {
  if (!stats?.isFile() || stats.size !== input.size) return 'changed';
  return stats.mtimeMs === input.mtimeMs && stats.mtimeMs < checkedAt - RACY_WINDOW_MS ? 'unchanged' : 'unsure';
}

/** The cached bundle for `entry` if its manifest is this krandog's and no input needs a closer look. */
export function freshBundle(entry: string): CachedBundle | undefined {
  const root = cacheDir();
  const manifest = currentManifest(entry, root);
  if (!manifest) return undefined;
  for (const input of manifest.inputs) {
    if (inputState(input, fs.statSync(input.path, { throwIfNoEntry: false }), manifest.checkedAt) !== 'unchanged') return undefined;
  }
  const file = bundlePath(manifest.bundle, root);
  if (!fs.statSync(file, { throwIfNoEntry: false })) return undefined;
  return { file, inputs: manifest.inputs.map((input) => input.path) };
}

/** The manifest for `entry` if it was written by this krandog (version, build, runtime); else undefined. */
export function currentManifest(entry: string, root = cacheDir()): Manifest | undefined {
  const manifest = readManifest(manifestPath(entry, root));
  return manifest?.key === cacheKey(entry) ? manifest : undefined;
}

export function readManifest(file: string): Manifest | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const manifest = JSON.parse(text) as Manifest;
    return isBundleName(manifest.bundle) && Array.isArray(manifest.inputs) ? manifest : undefined;
  } catch {
    return undefined; // unreadable: bundle again and overwrite it
  }
}

export function cacheKey(entry: string): string {
  // Without require(esm) a bundle is an ES module (bundle.ts); one made with it may be CommonJS.
  return [KRANDOG_VERSION, KRANDOG_BUILD_ID, 'run', runtimeDir, entry, process.features.require_module ? 'cjs' : 'esm'].join('\0');
}

/** `<manifests>/<script name>-<hash of its path>.json`; the name is only there to help a person looking. */
export function manifestPath(entry: string, root = cacheDir()): string {
  const name = path.basename(entry).replace(/[^\w.-]/g, '_').slice(0, 40);
  return manifestFilePath(`${name}-${hashString(entry)}.json`, root);
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
