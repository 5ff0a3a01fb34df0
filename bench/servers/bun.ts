// Bun.serve with its built-in WebSocket server. Run as `bun bun.ts echo|broadcast|http|deflate`.
// Broadcast uses Bun's topics (server.publish), its fastest fan-out; deflate is echo with
// `perMessageDeflate: true`.
const mode = Bun.argv[2] ?? 'echo';
const TOPIC = 'all';

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req, server) {
    if (mode !== 'http' && server.upgrade(req)) return undefined;
    return new Response('Hello, World!', { headers: { 'content-type': 'text/plain' } });
  },
  websocket: {
    perMessageDeflate: mode === 'deflate',
    maxPayloadLength: 16 * 1024 * 1024,
    // Large echoes must queue, not be dropped or closed, when the client reads slower than we write.
    backpressureLimit: 64 * 1024 * 1024,
    open(ws) {
      if (mode === 'broadcast') ws.subscribe(TOPIC);
    },
    message(ws, message) {
      if (mode === 'broadcast') server.publish(TOPIC, message);
      else ws.send(message, mode === 'deflate');
    },
  },
});
console.log(`LISTENING ${server.port}`);
