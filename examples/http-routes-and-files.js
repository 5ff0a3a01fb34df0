// A small notes app: a route table for the JSON API, a static folder for the page, and a WebSocket,
// all on one server. Open http://localhost:3000.
//   ./krandog examples/http-routes-and-files.js   (PORT=8080 to pick another port)
//
// - routes: `:id` lands in req.params.id; a { GET, POST } table answers other methods 405 with Allow.
// - static: './site' (next to this script, whatever the cwd) serves site/index.html at /, style.css,
//   and app.js, or its precompressed sibling app.js.gz to browsers that accept gzip.
// - http.file() sends one file from a route; the static folder's files get the same treatment:
//   MIME type, ETag/Last-Modified (304), Range (206), HEAD.
// - WebSocket upgrades (to any path) still go to the `websocket` hooks.
import http from 'http';

const notes = new Map();
let nextId = 1;
for (const text of ['buy milk', 'walk the dog']) notes.set(nextId, { id: nextId++, text });

function readText(req) {
  const text = req.json?.text;
  return typeof text === 'string' && text.trim() !== '' ? text.trim().slice(0, 200) : undefined;
}

const server = http.createServer({
  routes: {
    '/api/notes': {
      GET: () => ({ body: [...notes.values()] }),
      POST: (req) => {
        const text = readText(req);
        if (text === undefined) return { status: 400, body: { error: 'send JSON { "text": "…" }' } };
        const note = { id: nextId++, text };
        notes.set(note.id, note);
        return { status: 201, headers: { Location: `/api/notes/${note.id}` }, body: note };
      },
    },
    '/api/notes/:id': {
      GET: (req) => {
        const note = notes.get(Number(req.params.id));
        return note ? { body: note } : { status: 404, body: { error: 'no such note' } };
      },
      DELETE: (req) => (notes.delete(Number(req.params.id)) ? { status: 204 } : { status: 404, body: { error: 'no such note' } }),
    },
    '/about': http.file('site/about.html', { headers: { 'Cache-Control': 'max-age=300' } }), // cached 5 minutes
  },
  static: './site',
  websocket: {
    message(ws, data) {
      ws.send(`live: ${notes.size} notes (you said ${String(data).slice(0, 50)})`);
    },
  },
});

server.listen(Number(process.env.PORT ?? 3000));
