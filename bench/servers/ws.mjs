// `ws` 8 on Node: the baseline of every WebSocket row. Run as `node ws.mjs echo|broadcast|deflate`
// (deflate: echo with `perMessageDeflate: true`, ws's own defaults, and the event-loop probe of
// ./event-loop-probe.mjs when BENCH_EVENT_LOOP_PROBE=1).
// With WS_NO_BUFFER_UTIL=1 ws masks in JavaScript; otherwise it uses the native `bufferutil`.
// ws and bufferutil come from bench/.peers (installed by the bench), not the project's own ws.
import { createRequire } from 'node:module';
import { probeEventLoop } from './event-loop-probe.mjs';

const peers = createRequire(new URL('../.peers/package.json', import.meta.url));
const { WebSocketServer } = peers('ws');
const mode = process.argv[2] ?? 'echo';

/** Which unmasking code ws ended up with, so the harness can tell the two ws rows apart truthfully. */
function maskingImplementation() {
  if (process.env.WS_NO_BUFFER_UTIL) return 'js';
  try {
    peers('node-gyp-build')(peers.resolve('bufferutil').replace(/[/\\]index\.js$/, ''));
    return 'bufferutil';
  } catch {
    return 'js (bufferutil failed to load)';
  }
}

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: mode === 'deflate' });
probeEventLoop();
// A peer's protocol error (garbage, in `npm run soak`) is an 'error' event on its socket, after which
// ws closes it; with no listener it would crash the process, as ws's README warns.
wss.on('connection', (ws) => ws.on('error', () => {}));

if (mode === 'broadcast') {
  // The send loop over all clients, as in ws's README.
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      for (const client of wss.clients) {
        if (client.readyState === 1) client.send(data, { binary: isBinary });
      }
    });
  });
} else {
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
}

wss.on('listening', () => console.log(`LISTENING ${wss.address().port} masking=${maskingImplementation()}`));
