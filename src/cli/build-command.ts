import { path } from '../builtins.ts';
import { bundleScript } from '../bundle/bundle.ts';
import { writeFileAtomic } from '../bundle/atomic-write.ts';
import { KrandogError, USAGE_EXIT_CODE } from '../errors.ts';
import { resolveEntry } from './entry.ts';
import { commonJsReason } from './outfile-module-type.ts';

/**
 * `krandog build <script> --outfile out.mjs`: one ESM file with the runtime inlined, which plain
 * `node out.mjs` runs. node: builtins stay imports; npm packages are bundled in. An outfile node
 * would load as CommonJS is refused before anything is bundled or written.
 */
export async function buildScript(script: string, outfile: string): Promise<void> {
  const entry = resolveEntry(script);
  const target = path.resolve(outfile);
  const notModule = commonJsReason(target);
  if (notModule) {
    const suggestion = path.join(path.dirname(outfile), `${path.basename(outfile, path.extname(outfile))}.mjs`);
    throw new KrandogError(`build writes an ES module, but ${notModule}; name it ${suggestion}`, USAGE_EXIT_CODE);
  }
  const bundle = await bundleScript(entry, { mode: 'build', outfile: target });
  writeFileAtomic(target, bundle.code);
  const kilobytes = (Buffer.byteLength(bundle.code) / 1024).toFixed(1);
  process.stderr.write(`krandog: wrote ${outfile} (${kilobytes} KiB); run it with: node ${outfile}\n`);
}
