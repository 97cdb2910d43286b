import { coalesceBuckets, sortBuckets } from './bucket-quantile';

/**
 * histogram_fraction(lower, upper, b) over a classic histogram, Prometheus's `BucketFraction`: the
 * share of observations between `lower` and `upper`, interpolating linearly inside the buckets the
 * bounds fall in. The first bucket starts at 0 when its upper bound is positive, else at -Inf (and
 * a bound inside a bucket starting at -Inf takes the bucket's whole count). No monotonicity fix.
 * Reorders and merges the first `n` entries in place, as `bucketQuantile` does.
 * NaN for no +Inf bucket, zero observations or a NaN bound; 0 when lower >= upper.
 */
export function bucketFraction(lower: number, upper: number, upperBounds: Float64Array, counts: Float64Array, n: number): number {
  if (n === 0) return NaN;
  sortBuckets(upperBounds, counts, n);
  if (upperBounds[n - 1] !== Infinity) return NaN;
  n = coalesceBuckets(upperBounds, counts, n);
  const count = counts[n - 1];
  if (count === 0 || Number.isNaN(lower) || Number.isNaN(upper)) return NaN;
  if (lower >= upper) return 0;

  let rank = 0;
  let lowerRank = 0;
  let upperRank = 0;
  let lowerSet = false;
  let upperSet = false;
  let lowerBound = upperBounds[0] <= 0 ? -Infinity : 0;
  for (let i = 0; i < n; i++) {
    if (i > 0) lowerBound = upperBounds[i - 1];
    const upperBound = upperBounds[i];
    const c = counts[i];
    if (!lowerSet && lowerBound >= lower) {
      lowerRank = rank;
      lowerSet = true;
    }
    if (!upperSet && lowerBound >= upper) {
      upperRank = rank;
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    if (!lowerSet && lowerBound < lower && upperBound > lower) {
      lowerRank = lowerBound === -Infinity ? c : rank + ((c - rank) * (lower - lowerBound)) / (upperBound - lowerBound);
      lowerSet = true;
    }
    if (!upperSet && lowerBound < upper && upperBound > upper) {
      upperRank = lowerBound === -Infinity ? c : rank + ((c - rank) * (upper - lowerBound)) / (upperBound - lowerBound);
      upperSet = true;
    }
    if (lowerSet && upperSet) break;
    // Classic counts are cumulative: the rank so far is this bucket's count.
    rank = c;
  }
  if (!lowerSet || lowerRank > count) lowerRank = count;
  if (!upperSet || upperRank > count) upperRank = count;
  return (upperRank - lowerRank) / count;
}
