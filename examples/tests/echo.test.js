// Tests for a WebSocket echo server, run by `krandog test`: each test file runs in its own
// process, with `test`, `assert` and `assertEqual` as globals and run() implied at the end.
//   ./krandog test examples/tests
// The server takes a free port (0) on the loopback address, and is closed after the last test:
// a file whose server stays open would not exit, and `krandog test` fails a file that hangs.
import { once } from 'node:events';

const server = http.createServer(
  (req) => {
    if (req.type === 'websocket') {
      req.ws.send(req.data);
      return;
    }
    return { body: 'echo server\n' };
  },
  { quiet: true },
);
server.listen(0, '127.0.0.1');
const url = `ws://127.0.0.1:${server.port}/`;

/** A connected client with its messages queued: `next()` resolves with the next one. */
async function connect() {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const queue = [];
  const waiting = [];
  ws.onmessage = (event) => (waiting.length > 0 ? waiting.shift()(event.data) : queue.push(event.data));
  await once(ws, 'open');
  return { ws, next: () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve))) };
}

test('echoes text as text', async () => {
  const { ws, next } = await connect();
  ws.send('hello');
  assertEqual(await next(), 'hello');
  ws.close();
});

test('echoes binary as binary', async () => {
  const { ws, next } = await connect();
  ws.send(new Uint8Array([1, 2, 3]));
  const reply = await next();
  assert(reply instanceof ArrayBuffer, `expected an ArrayBuffer, got ${typeof reply}`);
  assertEqual([...new Uint8Array(reply)], [1, 2, 3]);
  ws.close();
});

test('answers plain HTTP too', async () => {
  const response = await fetch(`http://127.0.0.1:${server.port}/`);
  assertEqual(await response.text(), 'echo server\n');
});

test('closes cleanly with the code the client chose', async () => {
  const { ws } = await connect();
  ws.close(1000, 'done');
  const event = await once(ws, 'close').then(([closeEvent]) => closeEvent);
  assertEqual([event.code, event.wasClean], [1000, true]);
});

await run();
await server.close();
