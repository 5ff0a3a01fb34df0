// The moment the script's top level has finished (its top-level await included): krandog's CLI
// (src/exec/execute.ts) emits this event on `process`, and the test runner then runs the tests
// that no run() took. A Symbol.for key, because the CLI and the runtime are separate bundles, and
// so that no event name of the script's own can collide with it.
export const SCRIPT_EVALUATED = Symbol.for('krandog.scriptEvaluated');
