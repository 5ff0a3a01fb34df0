// Raw node:http hello world: the baseline of the HTTP row.
import http from 'node:http';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('Hello, World!');
});
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
