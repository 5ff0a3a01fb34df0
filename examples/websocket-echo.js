// A WebSocket echo server: every message comes back to its sender, text as text, binary as binary.
//   ./krandog examples/websocket-echo.js        (PORT=8080 to pick another port)
// Try it from another terminal: ./krandog examples/websocket-client.js ws://localhost:3000
import http from 'http';

const server = http.createServer((req) => {
  if (req.type === 'websocket') {
    req.ws.send(req.data);
    return;
  }
  return { body: 'WebSocket echo server: connect with ws://' + req.headers.host + '/\n' };
});

server.listen(Number(process.env.PORT ?? 3000));
