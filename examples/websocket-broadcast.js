// Broadcast: every message any client sends goes to every connected client (the sender included).
//   ./krandog examples/websocket-broadcast.js   (PORT=8080 to pick another port)
// The lifecycle hooks keep the set of clients exact: a client is in it from `open` to `close`,
// whether or not it ever sends anything.
import http from 'http';

const clients = new Set();

const server = http.createServer({
  request() {
    return { body: `${clients.size} client(s) connected\n` };
  },
  websocket: {
    open(ws) {
      clients.add(ws);
    },
    message(ws, data) {
      // The same string sent to every client is framed once, not once per client.
      for (const client of clients) client.send(data);
    },
    close(ws) {
      clients.delete(ws);
    },
  },
});

server.listen(Number(process.env.PORT ?? 3000));
