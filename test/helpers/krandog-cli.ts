// Runs the real ./krandog on fixture scripts (test/e2e/ and others), each run
// with its own bundle cache, and copies fixtures to temporary folders where a test changes them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { repoRoot } from './repo.ts';

export const krandogBin = path.join(repoRoot, 'krandog');
export const fixturesDir = path.join(repoRoot, 'test/fixtures/runner');
export const fixture = (name: string): string => path.join(fixturesDir, name);

const temporaryDirs: string[] = [];
afterAll(() => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder under os.tmpdir(), removed after the test file. */
export function makeTempDir(prefix = 'krandog-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

/** A temporary project: the named fixture files copied in, and packages/* as node_modules/. */
export function makeProject(files: string[], options: { packages?: boolean; into?: string } = {}): string {
  const dir = makeTempDir();
  const target = path.join(dir, options.into ?? '');
  for (const file of files) cpSync(fixture(file), path.join(target, file), { recursive: true });
  if (options.packages) cpSync(fixture('packages'), path.join(dir, 'node_modules'), { recursive: true });
  return dir;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bundle cache folder (XDG_CACHE_HOME); a fresh one when left out. */
  cacheHome?: string;
  command?: string;
}

/** Environment for a krandog run: no colour forced either way, our own cache. */
export function krandogEnv(options: RunOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return { ...env, XDG_CACHE_HOME: options.cacheHome ?? makeTempDir('krandog-cache-'), ...options.env };
}

/** Runs `./krandog ...args` to completion. */
export function runKrandog(args: string[], options: RunOptions = {}): RunResult {
  const result = spawnSync(options.command ?? krandogBin, args, {
    cwd: options.cwd ?? repoRoot,
    env: krandogEnv(options),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** runKrandog without blocking the test's process, so that several runs can go at once. */
export function runKrandogAsync(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawn(options.command ?? krandogBin, args, { cwd: options.cwd ?? repoRoot, env: krandogEnv(options), timeout: 60_000 });
  child.stdin!.end(); // as spawnSync does: an empty, ended stdin
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ status, signal, ...output }));
  });
}

export interface LiveRun {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout (or stderr) matches; rejects when the process exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `./krandog ...args` and follows its output. */
export function startKrandog(args: string[], options: RunOptions = {}): LiveRun {
  const child = spawn(options.command ?? krandogBin, args, { cwd: options.cwd ?? repoRoot, env: krandogEnv(options) });
  const text = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    text.stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    text.stderr += chunk;
    for (const listener of listeners) listener();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const listener of listeners) listener();
    });
  });
  const waitFor = (pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern} in ${stream}:\n${text[stream]}`)), timeoutMs);
      const check = () => {
        const match = text[stream].match(pattern);
        if (match) finish(undefined, match);
        else if (child.exitCode !== null || child.signalCode !== null) {
          finish(new Error(`krandog exited before ${pattern} appeared:\n${text.stdout}\n${text.stderr}`));
        }
      };
      const finish = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve(match!);
      };
      listeners.add(check);
      check();
    });
  return { child, output: () => ({ ...text }), waitFor, exited };
}

/** True while a process with this PID exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
