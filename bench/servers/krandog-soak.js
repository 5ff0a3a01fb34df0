// krandog echo for `npm run soak`, in the seed's style, with krandog's default limits except
// maxConnections, raised to SOAK_MAX_CONNECTIONS so that the soak's own connections fit.
import http from 'http';

const server = http.createServer(
  (req) => {
    if (req.type === 'websocket') {
      req.ws.send(req.data);
      return;
    }
    return { status: 200, body: 'ok' };
  },
  { quiet: true, maxConnections: Number(process.env.SOAK_MAX_CONNECTIONS ?? 10_000) },
);
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
