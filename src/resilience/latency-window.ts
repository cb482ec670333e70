/** Latency percentiles and mean over a window, in ms. */
export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

/**
 * The latencies of the last `capacity` calls, in a fixed ring: O(1) to record, sorted only
 * when read, so an outage (many failures) costs nothing extra.
 */
export class LatencyWindow {
  readonly #samples: Float64Array;
  #next = 0;
  #count = 0;

  constructor(capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('LatencyWindow capacity must be a positive integer');
    this.#samples = new Float64Array(capacity);
  }

  /** Records one call's latency in ms. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#samples.length;
    if (this.#count < this.#samples.length) this.#count++;
  }

  /** Number of samples currently in the window. */
  get size(): number {
    return this.#count;
  }

  /** Nearest-rank percentiles of the window; all 0 when it is empty. */
  summary(): LatencySummary {
    if (this.#count === 0) return { p50: 0, p95: 0, p99: 0, mean: 0 };
    const sorted = this.#samples.slice(0, this.#count).sort();
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
    let sum = 0;
    for (const v of sorted) sum += v;
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: sum / sorted.length };
  }
}
