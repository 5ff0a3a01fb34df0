// Graceful shutdown on SIGINT (Ctrl-C) and SIGTERM (service managers, containers, and the primary of
// `krandog --workers` stopping a worker). While at least one krandog server listens, the first signal
// closes every listening server as server.close() does (no new connections; HTTP responses in
// progress finish; every WebSocket gets close 1001 behind what it had accepted for sending; all
// within the servers' shutdownTimeout) and then exits with code 0 (or process.exitCode).
// The same signal again during that wait ends the process at once, as the signal would by default.
// Another signal is ignored: a terminal's Ctrl-C sends SIGINT to the primary of `krandog --workers`
// and to every worker, and the primary then sends each worker SIGTERM, which must not cut short a
// shutdown already under way.
//
// The listeners are installed only while a server listens, so a script whose servers are closed is
// stopped by a signal as under Node; and a script that listens for the signal itself decides for
// itself (its listener is there: ours stands aside), as under Node.

interface Closable {
  close(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const listening = new Set<Closable>();
let stopping = false;
let stoppedBy: NodeJS.Signals | undefined;

/** Closes `server` when the process is asked to stop, while it listens. */
export function closeOnSignal(server: Closable): void {
  if (listening.size === 0 && !stopping) for (const signal of SIGNALS) process.on(signal, onSignal);
  listening.add(server);
}

/** The server was closed: no longer a reason to catch signals. */
export function forgetOnSignal(server: Closable): void {
  if (!listening.delete(server) || listening.size > 0 || stopping) return;
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    if (signal !== stoppedBy) return;
    // Impatient: die of the signal now (exit status 128 + its number, as without krandog).
    for (const name of SIGNALS) process.off(name, onSignal);
    process.kill(process.pid, signal);
    return;
  }
  // Another listener is the script's own.
  if (process.listenerCount(signal) > 1) return;
  stopping = true;
  stoppedBy = signal;
  void Promise.allSettled([...listening].map((server) => server.close())).then(() => process.exit());
}
