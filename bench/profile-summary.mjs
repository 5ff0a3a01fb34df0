// Prints the functions with the most self time in a V8 .cpuprofile (as written by
// `npm run bench -- --profile` into bench/.peers/profiles/<workload>/).
//
//   node bench/profile-summary.mjs bench/.peers/profiles/echo64/CPU.*.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import path from 'node:path';

function summarize(file, top) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  // Each sample names the node on top of the stack; time deltas are in microseconds.
  const selfMicros = new Map();
  profile.samples.forEach((id, index) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byFunction = new Map();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url ? `${path.basename(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    total += micros;
  }
  const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
  for (const [key, micros] of rows) console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}`);
  console.log();
}

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const top = topIndex === -1 ? 25 : Number(args.splice(topIndex, 2)[1]);
if (args.length === 0) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile… [--top N]');
  process.exit(2);
}
for (const file of args) summarize(file, top);
