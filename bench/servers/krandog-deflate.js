// krandog echo with permessage-deflate on, at its default settings (`perMessageDeflate: true`).
// With BENCH_EVENT_LOOP_PROBE=1 it reports its longest event-loop block on exit.
import http from 'http';
import { probeEventLoop } from './event-loop-probe.mjs';

const server = http.createServer((req) => {
  if (req.type === 'websocket') {
    req.ws.send(req.data);
    return;
  }
  return { status: 200, body: 'Hello, World!' };
}, { quiet: true, perMessageDeflate: true });
server.listen(0, '127.0.0.1', () => {
  probeEventLoop();
  console.log(`LISTENING ${server.port}`);
});
