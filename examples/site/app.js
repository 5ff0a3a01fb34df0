// The page's script: lists the notes from /api/notes, adds and deletes them, and keeps a
// WebSocket open to show that upgrades work beside the routes and the static folder.
const list = document.getElementById('notes');

async function refresh() {
  const notes = await (await fetch('/api/notes')).json();
  list.replaceChildren(...notes.map((note) => {
    const item = document.createElement('li');
    item.textContent = note.text + ' ';
    const remove = document.createElement('button');
    remove.textContent = 'delete';
    remove.onclick = async () => {
      await fetch('/api/notes/' + note.id, { method: 'DELETE' });
      refresh();
    };
    item.append(remove);
    return item;
  }));
}

document.getElementById('add').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.getElementById('text');
  await fetch('/api/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: input.value }) });
  input.value = '';
  refresh();
});

const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/live');
socket.onopen = () => socket.send('hello');
socket.onmessage = (event) => (document.getElementById('live').textContent = event.data);
socket.onclose = () => (document.getElementById('live').textContent = 'disconnected');

refresh();
