// The globals krandog installs in every script (README.md, "TypeScript" says how to enable them).
/// <reference path="./http.d.ts" />
// `WebSocket` is not declared here: @types/node (20.19+, 22+) and the DOM lib already declare the
// standard browser WebSocket global, which is what krandog's client is; a second declaration
// would clash with theirs. Its constructor options (`{ protocols, headers }`) are in their
// WebSocketInit too. ./websocket.d.ts has the same class for `import type { WebSocket } from 'krandog'`.

// CloseEvent and ErrorEvent are krandog globals too (Node 20 has neither). Declared the way
// @types/node declares its web globals: only where the DOM lib has not already.
type _KrandogCloseEvent = typeof globalThis extends { onmessage: any } ? {} : import('./websocket.js').WebSocketCloseEvent;
type _KrandogErrorEvent = typeof globalThis extends { onmessage: any } ? {} : import('./websocket.js').WebSocketErrorEvent;

declare global {
  interface CloseEvent extends _KrandogCloseEvent {}
  var CloseEvent: typeof globalThis extends { onmessage: any; CloseEvent: infer T } ? T : import('./websocket.js').CloseEventConstructor;
  interface ErrorEvent extends _KrandogErrorEvent {}
  var ErrorEvent: typeof globalThis extends { onmessage: any; ErrorEvent: infer T } ? T : import('./websocket.js').ErrorEventConstructor;

  /** krandog's http module, the same object `import http from 'http'` gives. */
  var http: typeof import('http');
  /** createServer(handler, options) plus listen(port). */
  var serve: typeof import('http').serve;

  /**
   * Registers a test; run() runs them (tests no run() took run by themselves once the script's top
   * level has finished). `fn` may be async; its promise fails the test if it takes longer than
   * `timeout` ms (default: run()'s, 5000).
   */
  function test(name: string, fn: () => unknown, options?: { timeout?: number }): void;
  /** Throws (failing the test) when `condition` is falsy. */
  function assert(condition: unknown, message?: string): asserts condition;
  /** Throws (failing the test) unless the two are deeply and strictly equal. */
  function assertEqual<T>(actual: unknown, expected: T): asserts actual is T;
  /**
   * Runs the registered tests, prints the report, and sets exit code 1 if any failed. `timeout`:
   * ms each test may take unless its test() says otherwise (default 5000).
   */
  function run(options?: { timeout?: number }): Promise<{ passed: number; failed: number; total: number }>;
}

export {};
