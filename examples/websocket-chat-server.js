// A chat room: open http://localhost:3000 in two browser tabs, pick a name in each, and talk.
//   ./krandog examples/websocket-chat-server.js   (PORT=8080 to pick another port)
//
// The page at / is plain HTML and browser JavaScript. Messages are plain text both ways, so any
// WebSocket client can join too, e.g. ./krandog examples/websocket-client.js ws://localhost:3000/chat
// (the name comes from ?name=…, else the client is a numbered guest). Join and leave notices come
// from the lifecycle hooks: `upgrade` picks the name, `open` and `close` announce it.
import http from 'http';

const members = new Set();
let guests = 0;

function broadcast(text) {
  for (const member of members) member.send(text);
}

const server = http.createServer({
  request(req) {
    if (req.pathname === '/') return { type: 'text/html; charset=utf-8', body: PAGE };
    if (req.pathname === '/favicon.ico') return { status: 204 }; // no icon, and no 404 for asking
    return { status: 404, body: 'not found' };
  },
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

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <title>krandog chat</title>
  <style>
    body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
    #log { list-style: none; padding: .5rem; border: 1px solid #ccc; height: 20rem; overflow-y: auto; }
    #log li { overflow-wrap: anywhere; }          /* a long word wraps instead of overflowing */
    #log li.notice { color: #777; font-style: italic; }
    form { display: flex; gap: .5rem; margin: .5rem 0; }
    input[type=text] { flex: 1; padding: .4rem; }
    #status { color: #777; }
  </style>
</head>
<body>
  <h1>krandog chat</h1>
  <form id="join-form">
    <input id="name" type="text" placeholder="Your name" maxlength="32" autofocus>
    <button id="join">Join</button>
  </form>
  <p id="status">not connected</p>
  <ul id="log"></ul>
  <form id="send-form">
    <input id="message" type="text" placeholder="Say something" disabled>
    <button id="send" disabled>Send</button>
  </form>
  <script>
    const $ = (id) => document.getElementById(id);
    let socket = null;

    function show(text) {
      const item = document.createElement('li');
      item.textContent = text;                       // text, never HTML: no injection
      if (text.startsWith('* ')) item.className = 'notice';
      $('log').append(item);
      $('log').scrollTop = $('log').scrollHeight;
    }

    function setConnected(connected) {
      $('message').disabled = $('send').disabled = !connected;
      $('name').disabled = $('join').disabled = connected;
      if (connected) $('message').focus();
    }

    $('join-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
      const name = encodeURIComponent($('name').value.trim());
      socket = new WebSocket(scheme + '://' + location.host + '/chat?name=' + name);
      $('status').textContent = 'connecting…';
      socket.onopen = () => { $('status').textContent = 'connected'; setConnected(true); };
      socket.onmessage = (event) => show(String(event.data));
      socket.onclose = (event) => {
        $('status').textContent = 'disconnected (' + event.code + ')';
        setConnected(false);
      };
    });

    $('send-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const text = $('message').value;
      if (socket && socket.readyState === WebSocket.OPEN && text.trim() !== '') socket.send(text);
      $('message').value = '';
    });
  </script>
</body>
</html>
`;

server.listen(Number(process.env.PORT ?? 3000));
