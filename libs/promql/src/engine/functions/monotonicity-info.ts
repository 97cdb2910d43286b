import { formatGoFloat } from '../../literals';
import { type MonotonicityFix, forcedMonotonicityMessage } from './bucket-quantile';

interface Merged {
  minBucket: number;
  maxBucket: number;
  maxDiff: number;
  samples: number;
  minT: number;
  maxT: number;
}

/**
 * Collects the monotonicity fixes of one histogram_quantile call site over a whole query and words
 * them as Prometheus 3 merges them into one info per metric name: `... for metric name "x", from
 * buckets 2.5 to 100, with a max diff of 10, over 3 samples from 2023-12-25T00:00:00Z to
 * 2024-12-25T00:00:00Z`. Hand `add` to `bucketQuantile` as the notes' `forcedMonotonicity`.
 */
export class ForcedMonotonicityInfos {
  private readonly byName = new Map<string, Merged>();

  add(metricName: string, t: number, fix: MonotonicityFix): void {
    const m = this.byName.get(metricName);
    if (!m) {
      this.byName.set(metricName, { ...fix, samples: 1, minT: t, maxT: t });
      return;
    }
    m.minBucket = Math.min(m.minBucket, fix.minBucket);
    m.maxBucket = Math.max(m.maxBucket, fix.maxBucket);
    m.maxDiff = Math.max(m.maxDiff, fix.maxDiff);
    m.samples++;
    if (t < m.minT) m.minT = t;
    if (t > m.maxT) m.maxT = t;
  }

  /** The info texts, one per metric name, in the order the names were first seen. */
  texts(): string[] {
    const out: string[] = [];
    for (const [name, m] of this.byName) {
      out.push(
        `${forcedMonotonicityMessage(name)}, from buckets ${formatGoFloat(m.minBucket)} to ${formatGoFloat(m.maxBucket)}, ` +
          `with a max diff of ${formatGoFloat(m.maxDiff)}, over ${m.samples} samples from ${rfc3339(m.minT)} to ${rfc3339(m.maxT)}`,
      );
    }
    return out;
  }
}

/** Go's time.RFC3339 in UTC (whole seconds): 2023-12-25T00:00:00Z. */
function rfc3339(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
