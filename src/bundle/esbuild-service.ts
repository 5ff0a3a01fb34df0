// esbuild serves builds from a child process that its first call spawns. esbuild.stop() kills that
// child but does not wait for it: the script would start beside the dead child, not yet reaped
// (a zombie until Node's next turn of the event loop; seen on every run of Node 22 and 24). So
// krandog keeps hold of the children spawned while esbuild starts, and waits for their exit.
import type { ChildProcess } from 'node:child_process';
import { module } from '../builtins.ts';

type Spawn = typeof import('node:child_process').spawn;

/**
 * Calls `start` and returns what it returns; the child processes spawned during the call are added
 * to `children`. esbuild spawns its service synchronously inside its first API call, through the
 * same `child_process` module object that this require() returns.
 */
export function recordingSpawns<T>(children: ChildProcess[], start: () => T): T {
  const childProcess = module().createRequire(import.meta.url)('node:child_process') as { spawn: Spawn };
  const spawn = childProcess.spawn;
  childProcess.spawn = ((...args: Parameters<Spawn>) => {
    const child = spawn(...args);
    children.push(child);
    return child;
  }) as Spawn;
  try {
    return start();
  } finally {
    childProcess.spawn = spawn;
  }
}

/** Resolves once every child has exited and been reaped (its 'exit' event). */
export function reaped(children: ChildProcess[]): Promise<void> {
  // A child that could not be spawned has no pid (esbuild reports that failure itself).
  const running = children.filter((child) => child.pid !== undefined && child.exitCode === null && child.signalCode === null);
  return Promise.all(
    running.map((child) => {
      // esbuild unrefs its child: without a ref the process could end before the child's exit.
      child.ref();
      return new Promise<void>((resolve) => child.once('exit', () => resolve()));
    }),
  ).then(() => undefined);
}
