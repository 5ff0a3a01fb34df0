// Exit code 13 for a script whose top-level await never settles, as Node gives its main module:
// the script is not Node's main module (execute.ts imports its bundle), so krandog checks itself.
// A CI run whose script hangs on a promise nothing will ever settle must not pass with exit code 0.

/** Node's exit code for an unsettled top-level await. */
export const UNSETTLED_AWAIT_EXIT_CODE = 13;

let unsettledEntry: string | undefined;
let exitCalled = false;
let installed = false;

/**
 * Marks the script `entry` as evaluating until the returned function is called. If the process
 * runs out of work before then, it exits with code 13 and one line on stderr, unless the script
 * chose its exit itself: process.exit() (any code, like Node), or process.exitCode set.
 */
export function guardTopLevelAwait(entry: string): () => void {
  install();
  unsettledEntry = entry;
  return () => {
    unsettledEntry = undefined;
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' fires both when nothing is left to run and from process.exit(); only the wrapper tells
  // the two apart (Node's own check is likewise skipped by process.exit()).
  const nodeExit = process.exit;
  process.exit = function exit(this: NodeJS.Process, ...args: Parameters<typeof nodeExit>) {
    exitCalled = true;
    return nodeExit.apply(this, args);
  } as typeof process.exit;
  process.on('exit', () => {
    if (unsettledEntry === undefined || exitCalled || process.exitCode !== undefined) return;
    process.stderr.write(
      `krandog: the top-level await in ${unsettledEntry} never settled, and nothing else was left to run (exit code ${UNSETTLED_AWAIT_EXIT_CODE})\n`,
    );
    // Node reads the exit code again after the 'exit' listeners.
    process.exitCode = UNSETTLED_AWAIT_EXIT_CODE;
  });
}
