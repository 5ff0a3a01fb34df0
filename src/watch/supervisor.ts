// --watch: the one mode in which krandog runs the script in a child process. The supervisor
// bundles (which tells it every input), starts `node bin/krandog.js <script>` (a cache hit, so
// the child does not bundle again), watches the inputs, and on a change bundles again; once that
// succeeds it stops the child (SIGTERM, SIGKILL if it lingers) and starts the next one.
import type { ChildProcess } from 'node:child_process';
import { os, path } from '../builtins.ts';
import { prepareBundle } from '../bundle/prepare.ts';
import { distDir } from '../bundle/runtime-paths.ts';
import { isBundleError } from '../errors.ts';
import { FileWatcher } from './file-watcher.ts';

/** How long a script may take to exit after SIGTERM before it is killed. */
const KILL_AFTER_MS = 3_000;
const binScript = path.join(distDir, '..', 'bin', 'krandog.js');

export interface WatchTarget {
  entry: string;
  args: string[];
  /** process.argv[0] for each run. */
  argv0: string;
  cache: boolean;
}

interface RunningChild {
  process: ChildProcess;
  /** Settles with the exit code (128 + signal number when killed by a signal). */
  exited: Promise<number>;
}

export class WatchSupervisor {
  readonly #target: WatchTarget;
  readonly #watcher = new FileWatcher((files) => void this.#onChange(files));
  #inputs = new Set<string>();
  #child: RunningChild | undefined;
  #restarting = false;
  /** Files changed since the last restart began. */
  readonly #changedFiles = new Set<string>();

  constructor(target: WatchTarget) {
    this.#target = target;
  }

  async start(): Promise<void> {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void this.#shutdown(signal));
    await this.#runOnce();
  }

  async #runOnce(): Promise<void> {
    if (await this.#bundle()) this.#child = await this.#spawn();
    else log('waiting for changes before restarting');
  }

  /** Bundles the script (into the cache, where the child finds it); false, reported, when it does not build. */
  async #bundle(): Promise<boolean> {
    const { entry, cache } = this.#target;
    try {
      const bundle = await prepareBundle(entry, { cache });
      this.#inputs = new Set([entry, ...bundle.inputs]);
      this.#watcher.setFiles(this.#inputs);
      return true;
    } catch (error) {
      if (!isBundleError(error)) throw error;
      process.stderr.write(error.formatted);
      // Keep watching what the last good bundle used, plus the files the errors name.
      this.#watcher.setFiles(new Set([entry, ...this.#inputs, ...error.files]));
      return false;
    }
  }

  async #spawn(): Promise<RunningChild> {
    const { entry, args, argv0, cache } = this.#target;
    // Imported here: it is part of krandog's single CLI file, and a plain run must not load it.
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [...process.execArgv, binScript, ...(cache ? [] : ['--no-cache']), entry, ...args], {
      stdio: 'inherit',
      env: { ...process.env, KRANDOG_EXECUTABLE: argv0 },
    });
    const exited = new Promise<number>((resolve) => {
      child.on('error', (error) => {
        log(`cannot start the script: ${error.message}`);
        resolve(1);
      });
      child.on('exit', (code, signal) => {
        const exitCode = code ?? 128 + (signal ? os().constants.signals[signal] : 0);
        if (this.#child?.process === child) {
          this.#child = undefined;
          log(`script exited with ${signal ? `signal ${signal}` : `code ${code}`}; waiting for changes`);
        }
        resolve(exitCode);
      });
    });
    return { process: child, exited };
  }

  async #onChange(files: string[]): Promise<void> {
    for (const file of files) this.#changedFiles.add(file);
    if (this.#restarting) return;
    this.#restarting = true;
    while (this.#changedFiles.size > 0) {
      const changed = [...this.#changedFiles].map((file) => path.relative(process.cwd(), file) || file);
      this.#changedFiles.clear();
      await this.#restart(changed.join(', '));
    }
    this.#restarting = false;
  }

  /**
   * The running script is stopped only once the new bundle is ready: a save that does not build
   * leaves it serving, and the next save tries again.
   */
  async #restart(changed: string): Promise<void> {
    if (!(await this.#bundle())) {
      log(this.#child ? `${changed} changed but does not build; the running script keeps running, waiting for changes` : 'waiting for changes before restarting');
      return;
    }
    log(`${changed} changed; restarting`);
    await this.#stopChild('SIGTERM');
    this.#child = await this.#spawn();
  }

  /** Stops the running script, if any; resolves with its exit code. */
  async #stopChild(signal: NodeJS.Signals): Promise<number | undefined> {
    const child = this.#child;
    if (!child) return undefined;
    this.#child = undefined; // an expected exit: no "script exited" line
    child.process.kill(signal);
    const killTimer = setTimeout(() => child.process.kill('SIGKILL'), KILL_AFTER_MS);
    const code = await child.exited;
    clearTimeout(killTimer);
    return code;
  }

  /** Ctrl-C or SIGTERM: pass it on to the script and exit with its exit code, as `node --watch` does. */
  async #shutdown(signal: NodeJS.Signals): Promise<void> {
    this.#watcher.close();
    const code = await this.#stopChild(signal);
    process.exit(code ?? 0);
  }
}

function log(message: string): void {
  process.stderr.write(`krandog: ${message}\n`);
}
