/**
 * Kahan-Neumaier compensated summation, exactly as Prometheus's `kahansum.Inc`: the compensation
 * is reset when the running sum becomes infinite (so +Inf stays +Inf instead of turning NaN), and
 * the larger of sum and increment decides which way the lost low-order bits are recovered.
 */

/**
 * The new compensation after adding `inc` to `sum` (the caller then sets `sum += inc`). Split in
 * two so hot loops keep sum and compensation in locals without allocating a pair.
 */
export function kahanCompensation(inc: number, sum: number, c: number): number {
  const t = sum + inc;
  if (t === Infinity || t === -Infinity) return 0;
  if (Math.abs(sum) >= Math.abs(inc)) return c + (sum - t + inc);
  return c + (inc - t + sum);
}

/** A running compensated sum (Prometheus's `sum, c = kahansum.Inc(x, sum, c)` pair). */
export class KahanSum {
  private sum = 0;
  private c = 0;

  add(x: number): void {
    this.c = kahanCompensation(x, this.sum, this.c);
    this.sum += x;
  }

  /** The compensated total; an infinite sum is returned as it is (its compensation is 0 anyway). */
  value(): number {
    if (this.sum === Infinity || this.sum === -Infinity) return this.sum;
    return this.sum + this.c;
  }

  /** The uncompensated running sum and the compensation, for callers that combine them differently (avg). */
  get rawSum(): number {
    return this.sum;
  }

  get compensation(): number {
    return this.c;
  }

  reset(): void {
    this.sum = 0;
    this.c = 0;
  }
}
