import { fs, os, path } from '../builtins.ts';
import { bundleExtension, lookupBundle, storeBundle, type BundleCode } from './cache.ts';

export interface PreparedBundle {
  /** The bundle file to import. */
  file: string;
  /** Its inputs, for --watch. */
  inputs: string[];
}

/**
 * The bundle for `entry`, from the cache when nothing changed, else built (and stored). With the
 * cache off, or when it cannot be written, the bundle goes to a temporary folder removed at exit.
 */
export async function prepareBundle(entry: string, options: { cache: boolean }): Promise<PreparedBundle> {
  const cached = options.cache ? await lookupBundle(entry) : undefined;
  if (cached) return cached;
  const startedAt = Date.now();
  // Only here, on a miss, are the bundler and esbuild loaded (in dist/, from cli-full.js: build.mjs).
  const { bundleScript } = await import('./bundle.ts');
  const bundle = await bundleScript(entry, { mode: 'run' });
  const inputs = bundle.inputs.map((input) => input.path);
  if (options.cache) {
    try {
      return { file: await storeBundle(entry, bundle, bundle.inputs, startedAt), inputs };
    } catch (error) {
      process.stderr.write(`krandog: cannot write the bundle cache (${(error as Error).message}); running without it\n`);
    }
  }
  return { file: writeTemporaryBundle(bundle), inputs };
}

function writeTemporaryBundle({ code, format }: BundleCode): string {
  const dir = fs.mkdtempSync(path.join(os().tmpdir(), 'krandog-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, `bundle${bundleExtension(format)}`);
  fs.writeFileSync(file, code);
  return file;
}
