// The soak's load, by default (bench/soak.mjs takes flags for the first few).
export const SOAK_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  connections: 10_000,
  durationMs: 180_000,
  /** Each healthy client sends one message this often (spread evenly over the interval). */
  messageIntervalMs: 1000,
  payloadBytes: 64,
  /** Shares of `connections` that are hostile, per kind; the rest are healthy. */
  vanish: 0.01,
  garbage: 0.01,
  slowloris: 0.01,
  slow: 0.002,
  /** A slow consumer stops sending (but still never reads) after this many bytes. */
  slowConsumerBytes: 48 * 1024 * 1024,
  /** After the run, how long healthy clients wait for their last echoes. */
  drainMs: 15_000,
  connectConcurrency: 200,
};
