// krandog HTTP hello world through the handler-returns-response API.
import http from 'http';

const server = http.createServer(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'Hello, World!' }), { quiet: true });
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
