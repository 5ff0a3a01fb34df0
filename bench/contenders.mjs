// The servers under test: how to start each one for a workload ("echo", "broadcast", "http"), and
// whether it can run here at all. Each runs a script from bench/servers/.
import path from 'node:path';
import { BENCH_DIR } from './peers.mjs';

export const REPO_ROOT = path.dirname(BENCH_DIR);
const SERVERS = path.join(BENCH_DIR, 'servers');

/** Ids accepted by `--peers`. */
export const CONTENDER_IDS = ['krandog', 'krandog-topics', 'ws', 'ws-bufferutil', 'bun', 'deno', 'node', 'net'];

/**
 * `{ id: { label, version, reason?, server(mode) → { command, args, env }, checkInfo?(info) } }`.
 * `reason` is set when the contender cannot run; `checkInfo` vets the server's LISTENING line.
 */
export function contenders(peers, krandog) {
  const node = peers.node.bin;
  const deno = peers.deno;
  return {
    krandog: {
      label: 'krandog',
      version: krandog.version,
      reason: krandog.reason,
      server: (mode) => ({
        command: path.join(REPO_ROOT, 'krandog'),
        args: [path.join(SERVERS, `krandog-${mode}.js`)],
        env: { KRANDOG_QUIET: '1' },
      }),
    },
    'krandog-topics': {
      label: 'krandog (topics)',
      version: krandog.version,
      reason: krandog.reason,
      server: () => ({
        command: path.join(REPO_ROOT, 'krandog'),
        args: [path.join(SERVERS, 'krandog-topics.js')],
        env: { KRANDOG_QUIET: '1' },
      }),
    },
    ws: {
      label: 'ws',
      version: peers.ws.version,
      reason: peers.ws.reason,
      server: (mode) => ({ command: node, args: [path.join(SERVERS, 'ws.mjs'), mode], env: { WS_NO_BUFFER_UTIL: '1' } }),
      checkInfo: (info) => (info === 'masking=js' ? null : `expected JS masking, server says ${info}`),
    },
    'ws-bufferutil': {
      label: 'ws + bufferutil',
      version: peers.bufferutil.version,
      reason: peers.bufferutil.reason,
      server: (mode) => ({ command: node, args: [path.join(SERVERS, 'ws.mjs'), mode], env: { WS_NO_BUFFER_UTIL: '' } }),
      checkInfo: (info) => (info === 'masking=bufferutil' ? null : `bufferutil's native add-on did not load (${info})`),
    },
    bun: {
      label: 'Bun',
      version: peers.bun.version,
      reason: peers.bun.reason,
      server: (mode) => ({ command: peers.bun.bin, args: [path.join(SERVERS, 'bun.ts'), mode], env: {} }),
    },
    deno: {
      label: 'Deno',
      version: deno.version,
      reason: deno.reason,
      server: (mode) => ({
        command: deno.bin,
        args: ['run', '--allow-net', path.join(SERVERS, 'deno.ts'), mode],
        env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
      }),
    },
    net: {
      label: 'bare net socket (floor)',
      version: peers.node.version,
      server: () => ({ command: node, args: [path.join(SERVERS, 'net-floor.mjs')], env: {} }),
    },
    node: {
      label: 'node:http',
      version: peers.node.version,
      server: () => ({ command: node, args: [path.join(SERVERS, 'node-http.mjs')], env: {} }),
    },
  };
}
