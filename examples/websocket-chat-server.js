// A chat room: open http://localhost:3000 in two browser tabs, pick a name in each, and talk.
//   ./krandog examples/websocket-chat-server.js   (PORT=8080 to pick another port)
//
// The page at / is websocket-chat.html, next to this script (plain HTML and browser JavaScript),
// sent by http.file(): a relative path is taken from the script's folder, whatever the cwd.
// Messages are plain text both ways, so any WebSocket client can join too, e.g. ./krandog examples/websocket-client.js ws://localhost:3000/chat
// (the name comes from ?name=…, else the client is a numbered guest). Join and leave notices come
// from the lifecycle hooks: `upgrade` picks the name, `open` and `close` announce it.
import http from 'http';

const members = new Set();
let guests = 0;

function broadcast(text) {
  for (const member of members) member.send(text);
}

const server = http.createServer({
  routes: {
    '/': http.file('websocket-chat.html'),
    '/favicon.ico': () => ({ status: 204 }), // no icon, and no 404 for asking
  },
  // Other paths get 404; WebSocket upgrades (to any path) go to the hooks below.
  websocket: {
    upgrade(req) {
      const asked = typeof req.query.name === 'string' ? req.query.name.trim().slice(0, 32) : '';
      return { data: { name: asked || `guest-${++guests}` } };
    },
    open(ws) {
      members.add(ws);
      broadcast(`* ${ws.data.name} joined (${members.size} here)`);
    },
    message(ws, data) {
      const text = String(data).trim().slice(0, 2000);
      if (text !== '') broadcast(`${ws.data.name}: ${text}`);
    },
    close(ws) {
      members.delete(ws);
      broadcast(`* ${ws.data.name} left`);
    },
  },
}, {
  // Browsers offer permessage-deflate; long messages (1 KiB and up) then travel compressed.
  perMessageDeflate: true,
});

server.listen(Number(process.env.PORT ?? 3000));
