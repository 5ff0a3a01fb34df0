import { path } from '../builtins.ts';
import { bundleScript } from '../bundle/bundle.ts';
import { writeFileAtomic } from '../bundle/atomic-write.ts';
import { resolveEntry } from './entry.ts';

/**
 * `krandog build <script> --outfile out.mjs`: one ESM file with the runtime inlined, which plain
 * `node out.mjs` runs. node: builtins stay imports; npm packages are bundled in.
 */
export async function buildScript(script: string, outfile: string): Promise<void> {
  const entry = resolveEntry(script);
  const target = path.resolve(outfile);
  const bundle = await bundleScript(entry, { mode: 'build', outfile: target });
  writeFileAtomic(target, bundle.code);
  const kilobytes = (Buffer.byteLength(bundle.code) / 1024).toFixed(1);
  process.stderr.write(`krandog: wrote ${outfile} (${kilobytes} KiB); run it with: node ${outfile}\n`);
}
