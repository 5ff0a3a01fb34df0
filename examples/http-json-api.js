// A small JSON API: an in-memory list of notes.
//   ./krandog examples/http-json-api.js
//   curl localhost:3000/notes
//   curl -X POST localhost:3000/notes -H 'Content-Type: application/json' -d '{"text":"buy milk"}'
//   curl 'localhost:3000/notes?search=milk'
//   curl -X DELETE localhost:3000/notes/1
const notes = new Map();
let nextId = 1;

// `serve` is a global in krandog scripts: createServer + listen.
serve(Number(process.env.PORT ?? 3000), async (req) => {
  if (req.pathname === '/notes' && req.method === 'GET') {
    const search = typeof req.query.search === 'string' ? req.query.search : '';
    return { body: [...notes.values()].filter((note) => note.text.includes(search)) };
  }
  if (req.pathname === '/notes' && req.method === 'POST') {
    // req.json is the parsed body when it is JSON, undefined otherwise (never a throw).
    if (typeof req.json?.text !== 'string') return { status: 400, body: { error: 'send {"text": "..."} as JSON' } };
    const note = { id: nextId++, text: req.json.text, created: new Date().toISOString() };
    notes.set(note.id, note);
    return { status: 201, headers: { Location: `/notes/${note.id}` }, body: note };
  }
  const match = /^\/notes\/(\d+)$/.exec(req.pathname);
  if (match && req.method === 'GET') {
    const note = notes.get(Number(match[1]));
    return note ? { body: note } : { status: 404, body: { error: 'no such note' } };
  }
  if (match && req.method === 'DELETE') {
    return notes.delete(Number(match[1])) ? { status: 204 } : { status: 404, body: { error: 'no such note' } };
  }
  return { status: 404, body: { error: `no route for ${req.method} ${req.pathname}` } };
});
