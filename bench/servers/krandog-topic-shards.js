// The server of bench/pubsub-topics.mjs: a WebSocket opened with ?from=A&to=B joins the topics
// t<A> … t<B-1>; POST /publish?topics=N&rounds=R&bytes=S publishes R rounds of an S-byte message
// to each of t0 … t<N-1> (one round per turn of the event loop, so the backplane's queue never
// fills), and answers once all are handed over.
import http from 'http';

const server = http.createServer(
  {
    request(req) {
      if (req.method !== 'POST' || req.pathname !== '/publish') return { status: 404, body: 'not found' };
      const topics = Number(req.query.topics ?? 1000);
      const rounds = Number(req.query.rounds ?? 1);
      const message = 'x'.repeat(Number(req.query.bytes ?? 64));
      return new Promise((resolve) => {
        let round = 0;
        const next = () => {
          for (let t = 0; t < topics; t++) server.publish(`t${t}`, message);
          if (++round < rounds) setImmediate(next);
          else resolve({ body: { published: topics * rounds, pubsub: server.pubsub } });
        };
        next();
      });
    },
    websocket: {
      open(ws) {
        for (let t = Number(ws.query.from ?? 0); t < Number(ws.query.to ?? 0); t++) ws.subscribe(`t${t}`);
      },
    },
  },
  { quiet: true },
);
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.port}`));
