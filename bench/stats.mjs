// Small statistics helpers: medians and spreads of runs, and a latency histogram cheap enough to
// update for every message of a load test.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `{ median, min, max, n }` of finite values, or null when there are none. */
export function summarize(values) {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return null;
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite), n: finite.length };
}

/**
 * Latencies in whole microseconds up to `maxMicros` (larger ones land in the last bucket): one array
 * increment per sample, percentiles read off the cumulative counts.
 */
export class LatencyHistogram {
  #counts;
  #total = 0;

  constructor(maxMicros = 1_000_000) {
    this.#counts = new Float64Array(maxMicros + 1);
  }

  /** Records `count` samples of `micros` microseconds each. */
  record(micros, count = 1) {
    const bucket = micros < 0 ? 0 : micros >= this.#counts.length ? this.#counts.length - 1 : Math.round(micros);
    this.#counts[bucket] += count;
    this.#total += count;
  }

  reset() {
    this.#counts.fill(0);
    this.#total = 0;
  }

  get count() {
    return this.#total;
  }

  /** The smallest latency (µs) at or below which `fraction` of the samples lie; NaN when empty. */
  percentile(fraction) {
    if (this.#total === 0) return NaN;
    const target = Math.ceil(this.#total * fraction);
    let seen = 0;
    for (let micros = 0; micros < this.#counts.length; micros++) {
      seen += this.#counts[micros];
      if (seen >= target) return micros;
    }
    return this.#counts.length - 1;
  }
}
