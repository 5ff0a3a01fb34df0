// Under `krandog --workers`, the primary stops a worker with SIGTERM (and Ctrl-C in a terminal
// sends SIGINT to every worker too). A worker whose script does not listen for the signal itself
// closes its listening servers as server.close() does (HTTP responses finish, WebSockets get 1001)
// and then exits, instead of dying mid-response. A script with its own listener decides for
// itself, as in a plain run. Outside workers (no KRANDOG_WORKER) nothing is installed.

interface Closable {
  close(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const listening = new Set<Closable>();
let installed = false;
let stopping = false;

/** Closes `server` when the worker is asked to stop (a no-op outside `krandog --workers`). */
export function closeOnWorkerShutdown(server: Closable): void {
  if (process.env.KRANDOG_WORKER === undefined) return;
  listening.add(server);
  if (installed) return;
  installed = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

/** The server was closed by the script: nothing left to do for it. */
export function forgetOnWorkerShutdown(server: Closable): void {
  listening.delete(server);
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener is the script's own.
  if (process.listenerCount(signal) > 1 || stopping) return;
  stopping = true;
  void Promise.allSettled([...listening].map((server) => server.close())).then(() => process.exit());
}
