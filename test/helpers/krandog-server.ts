// Runs a server script through ./krandog and waits for its "Server listening" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './repo.ts';

export const fixture = (name: string): string => `test/fixtures/http/${name}`;

export interface ScriptRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Resolves with the first stdout match of `pattern`; rejects if the process exits first. */
  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Kills the process (if still running) and waits for it to exit. */
  stop(): Promise<void>;
}

export interface RunningKrandogServer extends ScriptRun {
  port: number;
  url: string;
}

/** Spawns `./krandog script ...args` in the repository root. */
export function runScript(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ScriptRun {
  const child = spawn('./krandog', [script, ...args], { cwd: repoRoot, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    for (const check of waiters) check();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
      for (const check of waiters) check();
    });
  });
  let exitResult: number | string | undefined;
  void exited.then((result) => (exitResult = result));

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForOutput(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = stdout.match(pattern);
          if (match) {
            waiters.delete(check);
            resolve(match);
          } else if (exitResult !== undefined || child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`${script} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Spawns a server script and resolves once it printed the port it listens on. */
export async function startKrandogServer(script: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningKrandogServer> {
  const run = runScript(script, args, env);
  const match = await run.waitForOutput(/Server listening on http:\/\/localhost:(\d+)\n/);
  const port = Number(match[1]);
  return { ...run, port, url: `http://127.0.0.1:${port}` };
}
