// Server options: what a script may pass to createServer/serve, their defaults, and their checks.
import type { TlsOptions } from 'node:tls';
import type { KrandogServerOptions } from 'node:http';
import { describeValue } from '../util/describe-value.ts';
import { readCount } from '../util/options.ts';

/** TLS options of an HTTPS server: `key` and `cert` (or `pfx`), and anything else node:tls takes. */
export type ServerTlsOptions = TlsOptions;

/** Options of `http.createServer(handler, options)` and `serve(port, handler, options)`: types/http.d.ts documents each. */
export type ServerOptions = KrandogServerOptions;

/** The options after defaults and checks; what the server code reads. */
export interface ResolvedOptions {
  readonly quiet: boolean;
  readonly maxBodySize: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly maxHeaderSize: number;
  /** How often Node checks connections against the two timeouts above (it only checks on this tick). */
  readonly connectionsCheckingInterval: number;
  readonly maxConnections: number;
  readonly shutdownTimeout: number;
  /** undefined for plain HTTP. */
  readonly tls: ServerTlsOptions | undefined;
  /** HTTP/2 next to HTTP/1.1 on the TLS port (only with `tls`). */
  readonly http2: boolean;
  /** The metrics path; undefined for none. */
  readonly metrics: string | undefined;
}

const MiB = 1024 * 1024;

// Shorter than Node's 60 s / 300 s: a slow client (slowloris) should not hold a connection for
// minutes, and a 1 MiB body needs seconds, not minutes. Scripts that accept big uploads raise them.
const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
// Well below the file descriptors a server can usually open (raise `ulimit -n` with it), far above
// what one process serves well.
const DEFAULT_MAX_CONNECTIONS = 10_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Applies defaults and rejects values of the wrong kind with a message that names the option. */
export function resolveOptions(options: ServerOptions | undefined): ResolvedOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`http.createServer: options must be an object, got ${describeValue(options)}`);
  }
  const given = options ?? {};
  const requestTimeout = readCount(given, 'requestTimeout', DEFAULT_REQUEST_TIMEOUT_MS, describeValue);
  // Node refuses headersTimeout > requestTimeout; keep the default below a smaller requestTimeout.
  const headersDefault = requestTimeout > 0 ? Math.min(DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout) : DEFAULT_HEADERS_TIMEOUT_MS;
  const headersTimeout = readCount(given, 'headersTimeout', headersDefault, describeValue);
  if (requestTimeout > 0 && headersTimeout > requestTimeout) {
    throw new RangeError(
      `http.createServer: options.headersTimeout (${headersTimeout}) must not exceed options.requestTimeout (${requestTimeout})`,
    );
  }
  return {
    quiet: given.quiet === true || process.env.KRANDOG_QUIET === '1',
    maxBodySize: readCount(given, 'maxBodySize', MiB, describeValue),
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: readCount(given, 'keepAliveTimeout', DEFAULT_KEEP_ALIVE_TIMEOUT_MS, describeValue),
    maxHeaderSize: readCount(given, 'maxHeaderSize', DEFAULT_MAX_HEADER_SIZE, describeValue),
    connectionsCheckingInterval: checkingIntervalFor(headersTimeout, requestTimeout),
    maxConnections: readCount(given, 'maxConnections', DEFAULT_MAX_CONNECTIONS, describeValue) || Infinity,
    shutdownTimeout: readCount(given, 'shutdownTimeout', DEFAULT_SHUTDOWN_TIMEOUT_MS, describeValue),
    tls: readTls(given.tls),
    http2: readHttp2(given.http2, given.tls),
    metrics: readMetricsPath(given.metrics),
  };
}

function readMetricsPath(path: unknown): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(`http.createServer: options.metrics must be a path such as '/metrics', got ${describeValue(path)}`);
  }
  return path;
}

function readTls(tls: unknown): ServerTlsOptions | undefined {
  if (tls === undefined) return undefined;
  if (tls === null || typeof tls !== 'object') throw new TypeError(`http.createServer: options.tls must be an object { key, cert }, got ${describeValue(tls)}`);
  const given = tls as ServerTlsOptions;
  if (given.pfx === undefined && given.SNICallback === undefined && (given.key === undefined || given.cert === undefined)) {
    throw new TypeError('http.createServer: options.tls needs a key and a cert (or a pfx)');
  }
  return given;
}

/** Node's default check runs every 30 s, which would let a 20 s timeout last 50 s; check at 1/10 of it. */
function checkingIntervalFor(headersTimeout: number, requestTimeout: number): number {
  const shortest = Math.min(headersTimeout || Infinity, requestTimeout || Infinity);
  if (shortest === Infinity) return 30_000;
  return Math.min(2_000, Math.max(50, Math.floor(shortest / 10)));
}

function readHttp2(http2: unknown, tls: unknown): boolean {
  if (http2 === undefined) return tls !== undefined;
  if (http2 === false) return false;
  if (http2 !== true) throw new TypeError(`http.createServer: options.http2 must be a boolean, got ${describeValue(http2)}`);
  if (tls === undefined) throw new TypeError('http.createServer: options.http2 needs options.tls (browsers speak HTTP/2 only over TLS)');
  return true;
}
