// krandog broadcast through topics (pub/sub), the counterpart of Bun's server.publish: each message
// is framed once for all subscribers.
import http from 'http';

const server = http.createServer({
  websocket: {
    open(ws) {
      ws.subscribe('all');
    },
    message(ws, data) {
      server.publish('all', data);
    },
  },
}, { quiet: true });
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
