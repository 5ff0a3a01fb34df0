// The memory floor of the idle-connection row: a plain `net` server on the same Node that answers
// each upgrade request with a valid 101 and then only holds the socket. No WebSocket server can
// keep an accepted connection for less, so each server's overhead is measured above this.
import { createHash } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const server = net.createServer((socket) => {
  socket.once('data', (request) => {
    const key = /^sec-websocket-key:\s*(\S+)/im.exec(request.toString('latin1'))?.[1] ?? '';
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
