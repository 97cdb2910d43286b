/** Latency figures of one query on one server, in milliseconds. */
export interface Latency {
  runs: number;
  medianMs: number;
  /** Nearest-rank 90th percentile: with 9 runs, the slowest. */
  p90Ms: number;
  minMs: number;
}

/** Nearest-rank percentile (`q` in (0, 1]) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
}

/** Median: the middle value, or the mean of the two middle ones; NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function latencyOf(samplesMs: readonly number[]): Latency {
  return { runs: samplesMs.length, medianMs: median(samplesMs), p90Ms: percentile(samplesMs, 0.9), minMs: samplesMs.length ? Math.min(...samplesMs) : NaN };
}

/** Geometric mean of the finite, positive values; NaN when there are none. */
export function geometricMean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (ok.length === 0) return NaN;
  return Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length);
}
