// When krandog calls into user code. WHATWG events (a WebSocket's open, message, error, close) are
// dispatched as tasks (HTML §8.1.7): never inside the socket 'data' handler that produced them, so
// listeners see a consistent state, and with a microtask checkpoint between two of them.
//
// One setImmediate per task, not one batch per read: Node runs process.nextTick callbacks and
// microtasks between two immediates, so `onmessage = (e) => resolve(e.data)` followed by an `await`
// installs its next listener before the next message is dispatched, exactly as in a browser. A
// batch run from one callback would hand the second message to the first listener. Immediates
// queued while the check phase runs wait for the next loop turn, as tasks queued by a task should.

/** Runs `callback(...args)` as its own task, after the current one and any I/O already read. */
export function queueTask<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void {
  setImmediate(callback, ...args);
}
