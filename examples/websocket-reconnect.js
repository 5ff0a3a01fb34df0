// A command-line WebSocket client that survives server restarts and dropped networks, with
// krandog's `reconnect` option: every line typed is sent, every message received is printed.
//   ./krandog examples/websocket-reconnect.js [url]       (default ws://localhost:3000)
// Try it: ./krandog examples/websocket-echo.js in one terminal, this in another. Type a line, stop
// the server (Ctrl-C) and type another: the client says it is reconnecting and keeps the line
// (up to 64 KiB of them). Start the server again: the client reconnects and sends what it kept.
// At the end of the input (Ctrl-D, or a pipe) it closes once connected, with everything sent and
// no message for half a second. Status and reconnection news go to stderr, messages to stdout.
import readline from 'node:readline';

const url = process.argv[2] || 'ws://localhost:3000';
const ws = new WebSocket(url, { reconnect: { minDelay: 250, maxDelay: 5000, queueLimit: 64 * 1024 } });
const input = readline.createInterface({ input: process.stdin, terminal: false });
const QUIET_MS = 500;
let inputEnded = false;
let quietTimer;

function closeWhenQuiet() {
  clearTimeout(quietTimer);
  quietTimer = setTimeout(() => {
    // Away (reconnecting) or still sending: wait for the connection and the replies.
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > 0) closeWhenQuiet();
    else ws.close(1000);
  }, QUIET_MS);
}

// While disconnected, send() queues the line and returns false only when the queue is full.
input.on('line', (line) => {
  if (ws.send(line) === false) console.error(`not sent (the queue is full): ${line}`);
});
input.on('close', () => {
  inputEnded = true;
  closeWhenQuiet();
});

ws.onopen = () => console.error(`connected to ${ws.url}`); // each time: first and after reconnecting

ws.addEventListener('reconnecting', (event) => {
  // readyState is CONNECTING meanwhile; onclose is not called: the WebSocket is not over.
  const why = event.error ? (event.error.code ?? event.error.message) : `close ${event.code}`;
  console.error(`disconnected (${why}), attempt ${event.attempt} in ${event.delay} ms`);
});
ws.addEventListener('reconnect', (event) => console.error(`reconnected after ${event.attempt} attempt(s)`));

ws.onmessage = (event) => {
  if (typeof event.data === 'string') console.log(event.data);
  else console.log(`<binary, ${event.data.size} bytes>`);
  if (inputEnded) closeWhenQuiet();
};

ws.onerror = (event) => console.error(`error: ${event.message}`);

// Only once: when the client gave up or the server closed for good (1000, 4xxx…), or we did.
ws.onclose = (event) => {
  console.error(`closed: ${event.code}${event.reason ? ` ${event.reason}` : ''}`);
  if (!event.wasClean) process.exitCode = 1;
  clearTimeout(quietTimer);
  input.close();
  process.stdin.destroy(); // stop reading so that nothing keeps the process alive
};
