// server.stats() as JSON at /stats, the same figures for Prometheus at /metrics; WebSocket messages are echoed.
//   ./krandog examples/stats.js, then: curl localhost:3000/stats; curl localhost:3000/metrics
import http from 'http';

const server = http.createServer(
  {
    request: (req) => (req.pathname === '/stats' ? { body: server.stats() } : { body: 'hello' }),
    websocket: { message: (ws, data) => ws.send(data) },
  },
  { metrics: '/metrics' },
);
server.listen(3000);
