import path from 'node:path';
import { promises as fs } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import type { Bundle } from '../bundle/bundle.ts';
import { bundleDir } from '../bundle/cache-dir.ts';

/** Runs a bundle inside this process, with argv set as the script expects. */
export async function executeBundle(bundle: Bundle, entry: string, args: string[]): Promise<void> {
  const dir = bundleDir();
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, createHash('sha256').update(bundle.code).digest('hex').slice(0, 32) + '.mjs');
  await fs.writeFile(file, bundle.code);
  process.setSourceMapsEnabled(true);
  process.argv = [process.argv[1], entry, ...args];
  await import(pathToFileURL(file).href);
}
