// krandog broadcast through topics: every connection subscribes on open, and each message is
// published to all of them with server.publish (framed once per message). Run plain, under
// `krandog --workers N`, and with KRANDOG_PUBSUB for the Redis backplane (bench/pubsub-fanout.mjs).
import http from 'http';

const server = http.createServer(
  {
    websocket: {
      open(ws) {
        ws.subscribe('all');
      },
      message(ws, data) {
        server.publish('all', data);
      },
    },
  },
  { quiet: true },
);
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
