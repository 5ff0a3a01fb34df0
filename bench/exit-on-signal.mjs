// Preloaded into profiled servers (`--profile`): Node writes a --cpu-prof profile only on a normal
// exit, and SIGTERM's default action is not one.
process.once('SIGTERM', () => process.exit(0));
