// krandog broadcast: the seed's send loop over all clients; the lifecycle hooks keep the list, so a
// subscriber is registered as soon as its upgrade completes.
import http from 'http';

const clients = new Set();
const server = http.createServer({
  websocket: {
    open(ws) {
      clients.add(ws);
    },
    message(ws, data) {
      clients.forEach((c) => {
        if (c.readyState === 1) c.send(data);
      });
    },
    close(ws) {
      clients.delete(ws);
    },
  },
}, { quiet: true });
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
