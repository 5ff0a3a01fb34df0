// Starting and stopping the processes of one measurement: a server pinned to core 0 and a load
// generator pinned to core 1, each with a raised open-files limit (5,000 connections need 5,000
// descriptors on each side).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { BENCH_DIR } from './peers.mjs';

export const SERVER_CORE = 0;
export const LOADGEN_CORE = 1;
const OPEN_FILES = 65536;
const START_TIMEOUT_MS = 30_000;

/**
 * The argv that runs `command args` under a raised `ulimit -n` (to the hard limit if 65536 is not
 * allowed) and, when `core` is a number, pinned to that core with taskset. Every step `exec`s, so
 * the spawned PID is the command's own (its /proc entry is the one measured).
 */
export function wrapped(command, args, core) {
  const pin = core === undefined ? '' : `taskset -c ${core} `;
  const script = `ulimit -n ${OPEN_FILES} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${pin}"$@"`;
  return ['sh', ['-c', script, 'sh', command, ...args]];
}

function tail(text, lines = 3) {
  return text.trim().split('\n').slice(-lines).join(' | ');
}

/**
 * Starts a server that prints `LISTENING <port> [info]` once it accepts connections.
 * Resolves `{ pid, port, info, stop() }`; rejects with the reason (its stderr) if it never does.
 */
export async function startServer({ command, args, env = {}, core }) {
  const [shell, shellArgs] = wrapped(command, args, core);
  const child = spawn(shell, shellArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 64_000) stderr += chunk;
  });
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LISTENING line after ${START_TIMEOUT_MS / 1000} s; ${tail(stderr || stdout)}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      if (stdout.length < 64_000) stdout += chunk;
      const match = /^LISTENING (\d+) ?(.*)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ port: Number(match[1]), info: match[2].trim() });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? code}) before listening: ${tail(stderr || stdout) || 'no output'}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const { port, info } = await listening;
    return { pid: child.pid, port, info, stop, stdout: () => stdout, stderr: () => stderr };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs bench/loadgen.mjs with `config` on the load generator's core; resolves its JSON result. */
export async function runLoadgen(config, core) {
  const [shell, shellArgs] = wrapped(process.execPath, [path.join(BENCH_DIR, 'loadgen.mjs'), JSON.stringify(config)], core);
  const child = spawn(shell, shellArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  const line = stdout.trim().split('\n').at(-1);
  try {
    return JSON.parse(line);
  } catch {
    return { error: `load generator exited ${code}: ${tail(stderr || stdout) || 'no output'}` };
  }
}

/** Runs a command to completion (no pinning unless `core`), collecting its output. */
export async function runToEnd(command, args, { env = {}, core, timeoutMs = 120_000 } = {}) {
  const [shell, shellArgs] = wrapped(command, args, core);
  const child = spawn(shell, shellArgs, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}
