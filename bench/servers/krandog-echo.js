// krandog echo, in the seed's style (issue 4): one handler for HTTP and WebSocket messages.
import http from 'http';

const server = http.createServer((req) => {
  if (req.type === 'websocket') {
    req.ws.send(req.data);
    return;
  }
  return { status: 200, body: 'Hello, World!' };
}, { quiet: true });
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
