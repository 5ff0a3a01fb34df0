import { path } from '../builtins.ts';
import { bundleScript } from '../bundle/bundle.ts';
import { writeFileAtomic } from '../bundle/atomic-write.ts';
import { resolveEntry } from './entry.ts';
import { commonJsReason } from './outfile-module-type.ts';

/**
 * `krandog build <script> --outfile out.mjs`: one file with the runtime inlined, which plain
 * `node out.mjs` runs. node: builtins stay imports; npm packages are bundled in. The file is in the
 * format node will load it as: an ES module (.mjs, or .js under "type": "module"), else CommonJS.
 */
export async function buildScript(script: string, outfile: string): Promise<void> {
  const entry = resolveEntry(script);
  const target = path.resolve(outfile);
  const commonJs = commonJsReason(target);
  const moduleName = path.join(path.dirname(outfile), `${path.basename(outfile, path.extname(outfile))}.mjs`);
  const bundle = await bundleScript(entry, {
    mode: 'build',
    outfile: target,
    commonJs: commonJs === undefined ? undefined : { reason: commonJs, moduleName },
  });
  process.stderr.write(bundle.warnings);
  writeFileAtomic(target, bundle.code);
  const kilobytes = (Buffer.byteLength(bundle.code) / 1024).toFixed(1);
  const format = commonJs === undefined ? 'ES module' : 'CommonJS';
  process.stderr.write(`krandog: wrote ${outfile} (${format}, ${kilobytes} KiB); run it with: node ${outfile}\n`);
}
