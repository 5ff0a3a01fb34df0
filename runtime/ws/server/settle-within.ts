// Waiting for a script's promise with a deadline: the `upgrade` hook may be async, and a hook that
// never settles must not hold the client's connection (and a file descriptor) for ever.

/**
 * Calls `onValue` or `onError` when `promise` settles, unless `timeoutMs` passes first: then
 * `onTimeout` runs instead and a later settlement is ignored. Exactly one of the three runs.
 */
export function settleWithin<T>(
  promise: PromiseLike<T>,
  timeoutMs: number,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
  onTimeout: () => void,
): void {
  let done = false;
  const timer = setTimeout(() => {
    done = true;
    onTimeout();
  }, timeoutMs);
  promise.then(
    (value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      onValue(value);
    },
    (error: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      onError(error);
    },
  );
}
