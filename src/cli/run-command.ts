import path from 'node:path';
import { bundleScript } from '../bundle/bundle.ts';
import { executeBundle } from '../exec/execute.ts';

export async function runScript(script: string, args: string[]): Promise<void> {
  const entry = path.resolve(script);
  const bundle = await bundleScript(entry, { mode: 'run' });
  await executeBundle(bundle, entry, args);
}
