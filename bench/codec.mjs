// Codec microbenchmarks: frames/s parsed and encoded by krandog's own frame codec, for 16 B, 1 KiB,
// 64 KiB and 1 MiB payloads (the last assembled from 64 KiB reads), masked and unmasked. No sockets: this is the CPU cost of the codec alone.
//
//   npm run bench:codec            (or: npm run bench -- --codec; add --quick for a smoke run)
//
// The codec is bundled from runtime/ws/protocol/*.ts with esbuild at start, so it measures the source as it
// is now, without a full build.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './contenders.mjs';
import { PEERS_DIR } from './peers.mjs';
import { formatNumber } from './report.mjs';
import { summarize } from './stats.mjs';
import { encodeClientFrame } from './wire.mjs';

const SIZES = [16, 1024, 64 * 1024, 1024 * 1024];
/** Bytes of frames per parsed stream; split into socket-sized reads like a real connection. */
const STREAM_BYTES = 4 * 1024 * 1024;
const READ_BYTES = 64 * 1024;
const BINARY = 2;

async function buildCodec() {
  const outfile = path.join(PEERS_DIR, 'codec.mjs');
  await esbuild.build({
    stdin: {
      contents: "export { FrameParser } from './runtime/ws/protocol/frame-parser.ts';\nexport { encodeFrame } from './runtime/ws/protocol/frame-encoder.ts';\n",
      resolveDir: REPO_ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return import(`${pathToFileURL(outfile).href}?t=${Date.now()}`);
}

/** A server frame: unmasked, as the client role receives it. */
function serverFrame(payload) {
  const lengthBytes = payload.length < 126 ? 0 : payload.length < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + lengthBytes + payload.length);
  frame[0] = 0x80 | BINARY;
  if (lengthBytes === 0) frame[1] = payload.length;
  else if (lengthBytes === 2) (frame[1] = 126), frame.writeUInt16BE(payload.length, 2);
  else (frame[1] = 127), frame.writeBigUInt64BE(BigInt(payload.length), 2);
  payload.copy(frame, 2 + lengthBytes);
  return frame;
}

/** Back-to-back frames, as reads of at most READ_BYTES (frames straddle reads, as on a socket). */
function frameStream(frame) {
  const count = Math.max(16, Math.ceil(STREAM_BYTES / frame.length));
  const stream = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(stream, i * frame.length);
  const reads = [];
  for (let offset = 0; offset < stream.length; offset += READ_BYTES) reads.push(stream.subarray(offset, offset + READ_BYTES));
  return { count, reads };
}

/** Calls `iteration()` (which handles `framesPerIteration` frames) for ~`ms`; returns frames/s. */
function rate(iteration, framesPerIteration, ms) {
  let frames = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    iteration();
    frames += framesPerIteration;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return frames / (elapsed / 1000);
}

function parseCase(codec, size, masked) {
  const payload = Buffer.alloc(size, 0x5a);
  const { count, reads } = frameStream(masked ? encodeClientFrame(BINARY, payload) : serverFrame(payload));
  let received = 0;
  const parser = new codec.FrameParser({ isServer: masked, maxPayload: 16 * 1024 * 1024, maxFragments: 1024 }, {
    onMessage: () => received++,
    onControl: () => {},
    onError: (error) => {
      throw error;
    },
  });
  return {
    label: `parse, ${masked ? 'masked (server role)' : 'unmasked (client role)'}`,
    framesPerIteration: count,
    iteration: () => {
      for (const read of reads) parser.push(read);
    },
    check: () => (received > 0 && received % count === 0 ? null : `parser delivered ${received} messages, not a multiple of ${count}`),
  };
}

function encodeCase(codec, size, masked) {
  const payload = Buffer.alloc(size, 0x5a);
  const batch = Math.max(1, Math.floor(STREAM_BYTES / 16 / (size + 14)));
  let sink = 0;
  return {
    label: `encode, ${masked ? 'masked (client role)' : 'unmasked (server role)'}`,
    framesPerIteration: batch,
    iteration: () => {
      for (let i = 0; i < batch; i++) sink += codec.encodeFrame(BINARY, payload, true, false, masked).length;
    },
    check: () => (sink > 0 ? null : 'encoder produced nothing'),
  };
}

/** Runs every case: one warm-up, then `runs` timed runs; prints a table. */
export async function runCodecBench({ quick = false } = {}) {
  let codec;
  try {
    codec = await buildCodec();
  } catch (error) {
    console.error(`bench: could not bundle runtime/ws/protocol/frame-parser.ts and frame-encoder.ts: ${error.message}`);
    process.exitCode = 1;
    return;
  }
  const runs = quick ? 3 : 7;
  const ms = quick ? 100 : 400;
  const rows = [['Operation', 'Payload', 'Frames/s (median)', 'Spread (min–max)', 'MB/s']];
  for (const make of [parseCase, encodeCase]) {
    for (const masked of [true, false]) {
      for (const size of SIZES) {
        const bench = make(codec, size, masked);
        rate(bench.iteration, bench.framesPerIteration, ms);
        const summary = summarize(Array.from({ length: runs }, () => rate(bench.iteration, bench.framesPerIteration, ms)));
        const problem = bench.check();
        const sizeLabel = size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
        console.error(`${bench.label}, ${sizeLabel}: ${formatNumber(summary.median)} frames/s${problem ? ` (${problem})` : ''}`);
        rows.push([
          bench.label,
          sizeLabel,
          problem ? `n/a: ${problem}` : formatNumber(summary.median),
          `${formatNumber(summary.min)}–${formatNumber(summary.max)}`,
          formatNumber((summary.median * size) / 1e6),
        ]);
      }
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const rule = `|${widths.map((width, column) => (column >= 2 ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  console.log([line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n'));
  console.log(`\n${runs} runs of ${ms} ms each after a warm-up; Node ${process.version}; reads of ${READ_BYTES / 1024} KiB.`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCodecBench({ quick: process.argv.includes('--quick') });
}
