// The smallest krandog server: the handler returns the response.
//   ./krandog examples/http-hello.js        then open http://localhost:3000
import http from 'http';

const server = http.createServer((req) => {
  if (req.pathname === '/') return { body: `Hello from krandog! You asked for ${req.url}\n` };
  return { status: 404, body: 'Not found\n' };
});
server.listen(Number(process.env.PORT ?? 3000));
