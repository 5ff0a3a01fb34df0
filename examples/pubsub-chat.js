// Chat rooms with topics: each room is a topic, so a message goes only to the people in that room.
//   ./krandog examples/pubsub-chat.js                  open http://localhost:3000 in two tabs
//   ./krandog --workers 2 examples/pubsub-chat.js      two processes on one port, one chat
//   KRANDOG_PUBSUB=redis://127.0.0.1:6379 PORT=3001 ./krandog examples/pubsub-chat.js
//                                                      (and another on PORT=3002: one chat over Redis)
//   KRANDOG_PUBSUB=redis://127.0.0.1:7000 KRANDOG_PUBSUB_CLUSTER=1 PORT=3001 ./krandog examples/pubsub-chat.js
//                                                      (7000: any node of a Redis Cluster; sharded pub/sub)
//
// Any WebSocket client can join: ws://localhost:3000/?name=ada&room=general. Text only, both ways:
// a line is said to the room; `/join <room>` moves to another room; `/rooms` tells where you are.
import http from 'http';

const ROOM_NAME = /^[\w-]{1,32}$/;
let guests = 0;

const server = http.createServer({
  request(req) {
    if (req.pathname === '/') return { type: 'text/html; charset=utf-8', body: PAGE };
    if (req.pathname === '/favicon.ico') return { status: 204 }; // no icon, and no 404 for asking
    return { status: 404, body: 'not found' };
  },
  websocket: {
    upgrade(req) {
      const name = typeof req.query.name === 'string' ? req.query.name.trim().slice(0, 32) : '';
      const room = typeof req.query.room === 'string' && ROOM_NAME.test(req.query.room) ? req.query.room : 'general';
      return { data: { name: name || `guest-${process.pid}-${++guests}`, room } };
    },
    open(ws) {
      enter(ws, ws.data.room);
    },
    message(ws, data) {
      const text = String(data).trim().slice(0, 2000);
      const join = /^\/join\s+(\S+)$/.exec(text);
      if (join) {
        if (!ROOM_NAME.test(join[1])) return ws.send('* room names are letters, digits, - and _ (at most 32)');
        leave(ws);
        return enter(ws, join[1]);
      }
      if (text === '/rooms') return ws.send(`* you are in #${ws.subscriptions.join(', #')}`);
      // server.publish, not ws.publish: the sender sees its line too, in the order of its own process.
      if (text !== '') server.publish(ws.data.room, `${ws.data.name}: ${text}`);
    },
    close(ws) {
      // The socket has already left its topics; tell the room.
      server.publish(ws.data.room, `* ${ws.data.name} left #${ws.data.room}`);
    },
  },
});

function enter(ws, room) {
  ws.data.room = room;
  ws.subscribe(room);
  server.publish(room, `* ${ws.data.name} joined #${room}`);
}

function leave(ws) {
  ws.unsubscribe(ws.data.room);
  server.publish(ws.data.room, `* ${ws.data.name} left #${ws.data.room}`);
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <title>krandog rooms</title>
  <style>
    body { font: 16px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
    #log { list-style: none; padding: .5rem; border: 1px solid #ccc; height: 20rem; overflow-y: auto; }
    #log li { overflow-wrap: anywhere; }          /* a long word wraps instead of overflowing */
    #log li.notice { color: #777; font-style: italic; }
    form { display: flex; gap: .5rem; margin: .5rem 0; }
    input[type=text] { flex: 1; padding: .4rem; }
  </style>
</head>
<body>
  <h1>krandog rooms</h1>
  <form id="join-form">
    <input id="name" type="text" placeholder="Your name" maxlength="32" autofocus>
    <input id="room" type="text" placeholder="Room" value="general" maxlength="32">
    <button>Join</button>
  </form>
  <ul id="log"></ul>
  <form id="send-form">
    <input id="message" type="text" placeholder="Say something, or /join another-room" disabled>
    <button id="send" disabled>Send</button>
  </form>
  <script>
    const $ = (id) => document.getElementById(id);
    let socket = null;
    function show(text) {
      const item = document.createElement('li');
      item.textContent = text;
      if (text.startsWith('* ')) item.className = 'notice';
      $('log').append(item);
      $('log').scrollTop = $('log').scrollHeight;
    }
    $('join-form').onsubmit = (event) => {
      event.preventDefault();
      if (socket) socket.close();
      const query = new URLSearchParams({ name: $('name').value, room: $('room').value });
      socket = new WebSocket(location.origin.replace(/^http/, 'ws') + '/?' + query);
      socket.onopen = () => { $('message').disabled = $('send').disabled = false; $('message').focus(); };
      socket.onmessage = (event) => show(event.data);
      socket.onclose = () => { $('message').disabled = $('send').disabled = true; show('* disconnected'); };
    };
    $('send-form').onsubmit = (event) => {
      event.preventDefault();
      if ($('message').value.trim() !== '') socket.send($('message').value);
      $('message').value = '';
    };
  </script>
</body>
</html>
`;

server.listen(Number(process.env.PORT ?? 3000));
