import { configDefaults, defineConfig } from 'vitest/config';

/**
 * In-process tests that touch no process-wide state (no process.env, process.on or globalThis
 * writes, no hooks in the helpers they import, no servers left behind): they share one module graph
 * per worker (isolate: false), which saves each of them a fresh worker and its imports (about 0.4
 * CPU-seconds a file). Everything else keeps a worker of its own. A file added here must stay so.
 */
const sharedModuleGraph = [
  'test/runtime/ws/protocol/**/*.test.ts',
  'test/architecture/**/*.test.ts',
  'test/runtime/util/**/*.test.ts',
  'test/src/bundle/**/*.test.ts',
  'test/src/exec/**/*.test.ts',
  'test/src/cli/resolve-path.test.ts',
  'test/src/cli/help.test.ts',
  'test/src/cli/fast-args.test.ts',
  'test/bench/wire.test.ts',
  'test/bench/report.test.ts',
  'test/runtime/http/parsing.test.ts',
  'test/runtime/http/static-parsing.test.ts',
  'test/runtime/pubsub/subscriptions.test.ts',
  'test/runtime/ws/connection.test.ts',
  'test/runtime/ws/connection-pair.test.ts',
  'test/runtime/ws/connection-pause.test.ts',
  'test/runtime/ws/error-codes-readme.test.ts',
  'test/runtime/ws/extensions/negotiation.test.ts',
  'test/runtime/ws/server/keepalive.test.ts',
  'test/runtime/ws/server/options.test.ts',
  'test/runtime/ws/server/upgrade-decision.test.ts',
  // In-process servers and peers on loopback: each file closes what it opened (afterEach), and the
  // helpers' registries of open servers are emptied with it.
  'test/runtime/pubsub/topics.test.ts',
  'test/runtime/ws/connection-backpressure.test.ts',
  'test/runtime/ws/client/fail-after-delivery.test.ts',
  'test/runtime/ws/client/handshake.test.ts',
  'test/runtime/ws/client/hostile-server.test.ts',
  'test/runtime/ws/client/ws-peer.test.ts',
  'test/runtime/ws/extensions/client-interop.test.ts',
  'test/runtime/ws/extensions/permessage-deflate.test.ts',
  'test/runtime/ws/extensions/server-hostile.test.ts',
  'test/runtime/ws/server/broadcast.test.ts',
  'test/runtime/ws/server/flow-control.test.ts',
  'test/runtime/ws/server/handshake.test.ts',
  'test/runtime/ws/server/hostile.test.ts',
  'test/runtime/ws/server/limits.test.ts',
  'test/runtime/ws/server/message-views.test.ts',
  'test/runtime/ws/server/messages.test.ts',
];

export default defineConfig({
  test: {
    // Each project names its files (a project that extends this config would add to a list here).
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores here and in CI: keep end-to-end suites from starving each other.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...sharedModuleGraph] } },
      { extends: true, test: { name: 'shared', include: sharedModuleGraph, isolate: false } },
    ],
  },
});
