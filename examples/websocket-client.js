// A command-line WebSocket client: every line typed is sent, every message received is printed.
//   ./krandog examples/websocket-client.js [url]       (default ws://localhost:3000)
// Try it with the chat server: ./krandog examples/websocket-chat-server.js in one terminal, then
//   ./krandog examples/websocket-client.js "ws://localhost:3000/chat?name=ada"
// Piped input works too: echo hi | ./krandog examples/websocket-client.js ws://localhost:3000
// At the end of the input (Ctrl-D, or the end of a pipe) the client closes the connection once
// the server has had its say: when everything is sent and no message came for half a second.
// Ctrl-C ends at once. The process exits when the connection closes, with status 1 if it did not
// close cleanly (refused, dropped, failed).
import readline from 'node:readline';

const url = process.argv[2] || 'ws://localhost:3000';
const ws = new WebSocket(url); // krandog's global: the browser WebSocket
const input = readline.createInterface({ input: process.stdin, terminal: false });
const typedEarly = []; // lines typed (or piped) before the connection opened
const QUIET_MS = 500; // after the input ends: close once no message came for this long
let inputEnded = false;
let quietTimer;

function closeWhenQuiet() {
  clearTimeout(quietTimer);
  quietTimer = setTimeout(() => {
    if (ws.bufferedAmount > 0) closeWhenQuiet(); // still sending: the replies have not even begun
    else ws.close(1000); // goodbye
  }, QUIET_MS);
}

input.on('line', (line) => {
  if (ws.readyState === WebSocket.CONNECTING) typedEarly.push(line);
  else ws.send(line);
});
input.on('close', () => {
  inputEnded = true;
  if (ws.readyState === WebSocket.OPEN) closeWhenQuiet();
});

ws.onopen = () => {
  console.error(`connected to ${ws.url}${ws.protocol ? ` (${ws.protocol})` : ''}`);
  for (const line of typedEarly.splice(0)) ws.send(line);
  if (inputEnded) closeWhenQuiet();
};

ws.onmessage = (event) => {
  // Text arrives as a string; binary as a Blob (the default binaryType, as in browsers).
  if (typeof event.data === 'string') console.log(event.data);
  else console.log(`<binary, ${event.data.size} bytes>`);
  if (inputEnded) closeWhenQuiet(); // more may follow: wait again
};

ws.onerror = (event) => console.error(`error: ${event.message}`);

ws.onclose = (event) => {
  console.error(`closed: ${event.code}${event.reason ? ` ${event.reason}` : ''}`);
  if (!event.wasClean) process.exitCode = 1;
  clearTimeout(quietTimer);
  input.close();
  process.stdin.destroy(); // stop reading so that nothing keeps the process alive
};
