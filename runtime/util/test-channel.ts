// The link between a test file and `krandog test` (src/test/), which runs each file in a child
// process with KRANDOG_TEST_CHILD set to this JSON:
//   { "ppid": <the runner's PID>, "fd": 3, "timeout": 5000, "pattern": "regex source" | null, "bail": false }
// The test runner then writes one JSON line per event to that file descriptor instead of its
// human report, and leaves the exit code alone (the runner judges the file by its events).
// The variable is taken out of the environment, and honoured only by a direct child of the
// runner: a process the test file starts itself inherits the environment, not the descriptor.
import { writeSync } from 'node:fs';

export interface ChildChannel {
  /** Default per-test timeout (--timeout). */
  timeout: number;
  /** Only tests whose name matches run (-t); the others are reported as skipped. */
  pattern: RegExp | undefined;
  /** --bail: no test runs after the first failure. */
  bail: boolean;
  send(event: TestEvent): void;
}

export type TestEvent =
  | { type: 'ready' }
  | { type: 'start'; name: string; timeout: number }
  | { type: 'pass'; name: string; ms: number }
  | { type: 'fail'; name: string; ms: number; error: { name: string; message: string; stack?: string } }
  | { type: 'skip'; name: string };

export const CHILD_ENV = 'KRANDOG_TEST_CHILD';

/** The channel to `krandog test`, when this process is one of its test files; else undefined. */
export function takeChildChannel(): ChildChannel | undefined {
  const raw = process.env[CHILD_ENV];
  if (raw === undefined) return undefined;
  delete process.env[CHILD_ENV];
  let config: { ppid?: unknown; fd?: unknown; timeout?: unknown; pattern?: unknown; bail?: unknown };
  try {
    config = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (config.ppid !== process.ppid || typeof config.fd !== 'number' || typeof config.timeout !== 'number') return undefined;
  const fd = config.fd;
  const send = (event: TestEvent) => writeAll(fd, JSON.stringify(event) + '\n');
  // The runtime is loaded: the process has started (how long that takes is no concern of the file's).
  send({ type: 'ready' });
  return {
    timeout: config.timeout,
    pattern: typeof config.pattern === 'string' ? new RegExp(config.pattern) : undefined,
    bail: config.bail === true,
    send,
  };
}

/**
 * Synchronous, so that the event is out before a test that blocks the process or exits it. The
 * descriptor may be non-blocking: a full pipe (EAGAIN) is waited out briefly.
 */
function writeAll(fd: number, text: string): void {
  let bytes = Buffer.from(text);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return; // the runner is gone
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
