// `metrics: '/metrics'`: the server answers that path itself with its stats in the Prometheus text
// format, before the script's handler sees the request. prom-client writes the format; it is loaded
// on the first scrape, and its metrics read server.stats() then (collect callbacks): counting costs
// the hot path nothing beyond the plain counters of stats().
import type * as PromClient from 'prom-client';
import type { ServerStats } from './stats.ts';

/**
 * A variable, not a literal, so esbuild leaves the import alone: dist/runtime loads prom-client from
 * krandog's node_modules at run time; `krandog build` files load it from node_modules next to them.
 */
const CLIENT_MODULE: string = 'prom-client';

type Gauge = PromClient.Gauge<string>;
type Counter = PromClient.Counter<string>;

/** The answer to a request for the metrics path. */
export interface MetricsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One server's metrics endpoint: its own prom-client registry, made on the first scrape. */
export class MetricsEndpoint {
  readonly path: string;
  readonly #stats: () => ServerStats;
  #registry: Promise<PromClient.Registry> | undefined;

  constructor(path: string, stats: () => ServerStats) {
    this.path = path;
    this.#stats = stats;
  }

  /** GET and HEAD get the metrics; other methods 405 with `Allow`. */
  async respond(method: string): Promise<MetricsResponse> {
    if (method !== 'GET' && method !== 'HEAD') {
      return { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method Not Allowed' };
    }
    let registry: PromClient.Registry;
    try {
      registry = await (this.#registry ??= this.#createRegistry());
    } catch (error) {
      this.#registry = undefined;
      const message = `krandog: metrics: cannot load prom-client: ${(error as Error).message}; \`npm install prom-client\` next to the script`;
      console.error(message);
      return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'metrics unavailable: prom-client is not installed' };
    }
    return { status: 200, headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' }, body: await registry.metrics() };
  }

  async #createRegistry(): Promise<PromClient.Registry> {
    const client = ((await import(CLIENT_MODULE)) as { default?: typeof PromClient } & typeof PromClient);
    const prom = client.default ?? client;
    const registry = new prom.Registry();
    prom.collectDefaultMetrics({ register: registry });
    defineServerMetrics(prom, registry, this.#stats);
    return registry;
  }
}

/** The server's stats as metrics; each reads one fresh snapshot per scrape. */
function defineServerMetrics(prom: typeof PromClient, registry: PromClient.Registry, stats: () => ServerStats): void {
  // Every collect() of one scrape reads the same snapshot, taken by the first of them.
  let snapshot: ServerStats | undefined;
  const current = (): ServerStats => {
    if (snapshot === undefined) {
      snapshot = stats();
      queueMicrotask(() => (snapshot = undefined));
    }
    return snapshot;
  };
  const registers = [registry];
  // Each scrape sets every metric afresh: gauges to the value now, counters (reset first) to the count.
  const gauge = (name: string, help: string, read: (s: ServerStats) => Reading, label?: string) =>
    new prom.Gauge({ name, help, registers, labelNames: label === undefined ? [] : [label], collect(this: Gauge) {
      this.reset();
      forEachValue(read(current()), label, (labels, value) => this.set(labels, value));
    } });
  const counter = (name: string, help: string, read: (s: ServerStats) => Reading, label?: string) =>
    new prom.Counter({ name, help, registers, labelNames: label === undefined ? [] : [label], collect(this: Counter) {
      this.reset();
      forEachValue(read(current()), label, (labels, value) => this.inc(labels, value));
    } });

  gauge('krandog_http_connections', 'Open HTTP connections (WebSocket connections not included)', (s) => s.http.connections);
  counter('krandog_http_requests_total', 'HTTP requests received', (s) => s.http.requests);
  gauge('krandog_websocket_connections', 'Open WebSocket connections', (s) => s.websocket.connections);
  counter('krandog_websocket_opened_total', 'WebSocket connections accepted', (s) => s.websocket.opened);
  counter('krandog_websocket_messages_received_total', 'WebSocket messages received', (s) => s.websocket.messagesIn);
  counter('krandog_websocket_messages_sent_total', 'WebSocket messages sent (send and publish deliveries)', (s) => s.websocket.messagesOut);
  counter('krandog_websocket_received_bytes_total', 'Bytes read from WebSocket connections', (s) => s.websocket.bytesIn);
  counter('krandog_websocket_sent_bytes_total', 'Bytes written to WebSocket connections', (s) => s.websocket.bytesOut);
  gauge('krandog_websocket_backpressured', 'WebSocket connections over the backpressure limit', (s) => s.websocket.backpressured);
  counter('krandog_websocket_closes_total', 'Closed WebSocket connections by close code', (s) => s.websocket.closes, 'code');
  gauge('krandog_pubsub_topics', 'Topics with a subscriber in this process', (s) => s.pubsub.topics);
  counter('krandog_pubsub_publishes_total', 'Messages published', (s) => s.pubsub.publishes);
  counter('krandog_pubsub_deliveries_total', 'Published messages written to subscribers in this process', (s) => s.pubsub.deliveries);
  counter('krandog_pubsub_dropped_total', 'Published messages kept in this process because the backplane was down or full', (s) => s.pubsub.dropped);
  gauge(
    'krandog_pubsub_backplane_connected',
    'Whether the pub/sub backplane is connected (1) or not (0), by kind',
    ({ pubsub: { backplane, connected } }) => (backplane === 'none' ? {} : { [backplane]: connected ? 1 : 0 }),
    'backplane',
  );
}

/** A metric's value: one number, or one number per value of its label. */
type Reading = number | Record<string, number>;

function forEachValue(reading: Reading, label: string | undefined, write: (labels: Record<string, string>, value: number) => void): void {
  if (typeof reading === 'number') write({}, reading);
  else for (const [key, value] of Object.entries(reading)) write({ [label!]: key }, value);
}
