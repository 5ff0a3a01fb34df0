// Helpers under runtime/util/ import nothing from krandog, only Node's built-ins.

/**
 * Whether `value` is a thenable (Promises/A+ §1.2: an object or function with a `then` method), as
 * `await` and Promise.resolve() see it; a script's result that is one must be awaited and its
 * rejection caught. Reading `then` runs the script's code (a getter, a Proxy trap), which may throw.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
