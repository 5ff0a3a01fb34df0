// server.stats() and `metrics: '/metrics'` through ./krandog, with `ws` clients and raw sockets as
// the peers and the metrics scraped over HTTP.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerStats as Stats } from '../../../runtime/http/stats.ts';
import { fixture, startKrandogServer, type RunningKrandogServer } from '../../helpers/krandog-server.ts';
import { redisUnavailableReason, sharedRedis } from '../../helpers/redis-server.ts';

function openClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** Polls /stats until `ready` holds (the server learns of a close after the client does); bounded. */
async function statsWhen(server: RunningKrandogServer, ready: (stats: Stats) => boolean): Promise<Stats> {
  for (let attempt = 0; ; attempt++) {
    const stats = (await (await fetch(`${server.url}/stats`)).json()) as Stats;
    if (ready(stats)) return stats;
    if (attempt === 200) throw new Error(`stats never reached the expected state: ${JSON.stringify(stats)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `name{labels} value` lines of a Prometheus text exposition, each line checked against the format. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})?) (-?[0-9.e+-]+|[Nn]a[Nn]|[+-]Inf)$/.exec(line); // Prometheus reads NaN in any case
    if (match === null) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

describe('server.stats()', () => {
  let server: RunningKrandogServer;
  beforeAll(async () => {
    server = await startKrandogServer(fixture('stats-server.js'));
  });
  afterAll(() => server.stop());

  it('counts connections, messages, bytes, publishes, deliveries and closes by code', async () => {
    const wsUrl = server.url.replace('http', 'ws');
    const before = await statsWhen(server, () => true);
    expect(before.websocket).toMatchObject({ connections: 0, opened: 0, messagesIn: 0, messagesOut: 0, closes: {} });

    const [a, b, c] = await Promise.all([openClient(wsUrl), openClient(wsUrl), openClient(wsUrl)]);
    for (const ws of [a, b, c]) {
      const echoed = nextMessage(ws);
      ws.send('hello');
      expect(await echoed).toBe('hello');
    }
    const subscribed = nextMessage(a);
    a.send('subscribe');
    expect(await subscribed).toBe('subscribed');
    const delivered = nextMessage(a);
    expect(await (await fetch(`${server.url}/publish`)).text()).toBe('8'); // 'breaking'
    expect(await delivered).toBe('breaking');

    const open = await statsWhen(server, (stats) => stats.websocket.connections === 3);
    expect(open.websocket).toMatchObject({ connections: 3, opened: 3, messagesIn: 4, messagesOut: 5, backpressured: 0 });
    expect(open.pubsub).toMatchObject({ topics: 1, publishes: 1, deliveries: 1, backplane: 'none', connected: false });
    // Three handshakes and five small frames each way: more than the payloads, far less than a KiB each.
    expect(open.websocket.bytesIn).toBeGreaterThan(3 * 150);
    expect(open.websocket.bytesOut).toBeGreaterThan(3 * 129);

    const codes = [closed(a), closed(b)];
    a.close(4001, 'bye');
    b.close();
    await Promise.all(codes);
    c.terminate();
    const after = await statsWhen(server, (stats) => stats.websocket.connections === 0);
    expect(after.websocket.closes).toEqual({ '1005': 1, '1006': 1, '4001': 1 });
    // The bytes of closed connections stay counted.
    expect(after.websocket.bytesIn).toBeGreaterThanOrEqual(open.websocket.bytesIn);
    expect(after.pubsub.topics).toBe(0);
    expect(after.http.requests).toBeGreaterThan(before.http.requests);
  });

  it('counts a peer that does not read as under backpressure, until it is gone', async () => {
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause(); // never reads again: 8 MiB cannot all leave
    // A masked text frame 'flood' from the client.
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from('flood').map((byte, i) => byte ^ mask[i % 4]);
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]));
    const stalled = await statsWhen(server, (stats) => stats.websocket.backpressured === 1);
    expect(stalled.websocket.connections).toBeGreaterThanOrEqual(1);
    socket.destroy();
    const gone = await statsWhen(server, (stats) => stats.websocket.backpressured === 0 && stats.websocket.connections === 0);
    expect(gone.websocket.closes['1006']).toBeGreaterThanOrEqual(1);
  });
});

describe("options.metrics: '/metrics'", () => {
  let server: RunningKrandogServer;
  beforeAll(async () => {
    server = await startKrandogServer(fixture('stats-server.js'));
  });
  afterAll(() => server.stop());

  it('is scraped over HTTP in the Prometheus text format, with the figures of server.stats()', async () => {
    const ws = await openClient(server.url.replace('http', 'ws'));
    const echoed = nextMessage(ws);
    ws.send('one');
    await echoed;
    const code = closed(ws);
    ws.close(4002);
    await code;
    const stats = await statsWhen(server, (s) => s.websocket.connections === 0);

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await response.text());
    expect(samples.get('krandog_websocket_opened_total')).toBe(1);
    expect(samples.get('krandog_websocket_connections')).toBe(0);
    expect(samples.get('krandog_websocket_messages_received_total')).toBe(1);
    expect(samples.get('krandog_websocket_messages_sent_total')).toBe(1);
    expect(samples.get('krandog_websocket_closes_total{code="4002"}')).toBe(1);
    expect(samples.get('krandog_websocket_received_bytes_total')).toBe(stats.websocket.bytesIn);
    expect(samples.get('krandog_pubsub_publishes_total')).toBe(0);
    // No backplane: no backplane sample at all (not a 0 that would read as "down").
    expect([...samples.keys()].some((name) => name.startsWith('krandog_pubsub_backplane_connected'))).toBe(false);
    // /stats twice (the poll) and this scrape, at least.
    expect(samples.get('krandog_http_requests_total')).toBeGreaterThanOrEqual(2);
    // prom-client's default process metrics come along.
    expect([...samples.keys()].some((name) => name.startsWith('process_cpu_'))).toBe(true);
  });

  it('answers HEAD without a body, refuses other methods with 405, and leaves other paths to the handler', async () => {
    const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await (await fetch(`${server.url}/metrics/other`)).text()).toBe('hello');
  });

  it('works with a Node-style (req, res) listener', async () => {
    const nodeStyle = await startKrandogServer(fixture('stats-node-style.js'));
    try {
      expect(await (await fetch(`${nodeStyle.url}/`)).text()).toBe('node style');
      const samples = parseExposition(await (await fetch(`${nodeStyle.url}/metrics?x=1`)).text());
      expect(samples.get('krandog_http_requests_total')).toBe(2);
    } finally {
      await nodeStyle.stop();
    }
  });
});

describe.skipIf(redisUnavailableReason() !== undefined)('options.metrics with a Redis backplane', () => {
  let redis: Awaited<ReturnType<typeof sharedRedis>>;
  let server: RunningKrandogServer;
  beforeAll(async () => {
    redis = await sharedRedis();
    server = await startKrandogServer(fixture('stats-server.js'), [], { KRANDOG_PUBSUB: redis.url });
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('reports the backplane as connected (1), labelled by its kind, and counts publishes', async () => {
    await statsWhen(server, (s) => s.pubsub.connected);
    expect((await fetch(`${server.url}/publish`)).status).toBe(200);
    const samples = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
    expect(samples.get('krandog_pubsub_backplane_connected{backplane="redis"}')).toBe(1);
    expect(samples.get('krandog_pubsub_publishes_total')).toBe(1);
  });
});
