import { almostEqual } from '../engine/functions/bucket-quantile';
/**
 * Float native histograms as the test scripts write them (`{{schema:0 sum:5 count:4 buckets:[1 2 1]}}`),
 * with the arithmetic the series notation needs (`{{a}}+{{b}}x3`) and the comparison the runner
 * uses. Bucket counts are absolute (float histograms). Schema -53 means custom bucket bounds
 * (`customValues`).
 */
export type CounterResetHint = 'unknown' | 'reset' | 'not_reset' | 'gauge';

export interface Span {
  /** Gap to the previous span's end (for the first span: the index of its first bucket). */
  offset: number;
  length: number;
}

export interface TestHistogram {
  schema: number;
  count: number;
  sum: number;
  zeroThreshold: number;
  zeroCount: number;
  positiveSpans: Span[];
  positiveBuckets: number[];
  negativeSpans: Span[];
  negativeBuckets: number[];
  customValues?: number[];
  counterResetHint: CounterResetHint;
}

export const CUSTOM_BUCKETS_SCHEMA = -53;

export function emptyHistogram(): TestHistogram {
  return {
    schema: 0,
    count: 0,
    sum: 0,
    zeroThreshold: 0,
    zeroCount: 0,
    positiveSpans: [],
    positiveBuckets: [],
    negativeSpans: [],
    negativeBuckets: [],
    counterResetHint: 'unknown',
  };
}

/** Bucket index → count. */
function toMap(spans: readonly Span[], buckets: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  let idx = 0;
  let b = 0;
  for (const s of spans) {
    idx += s.offset;
    for (let k = 0; k < s.length; k++) m.set(idx++, buckets[b++] ?? 0);
  }
  return m;
}

/** Spans and buckets of the non-zero buckets (or all buckets with `keepZeros`), one span per consecutive run. */
function fromMap(m: Map<number, number>, keepZeros: boolean): { spans: Span[]; buckets: number[] } {
  const idxs = [...m.keys()].filter((i) => keepZeros || m.get(i) !== 0).sort((a, b) => a - b);
  const spans: Span[] = [];
  const buckets: number[] = [];
  let prevEnd = 0;
  for (const i of idxs) {
    const last = spans[spans.length - 1];
    if (last && i === prevEnd) last.length++;
    else spans.push({ offset: spans.length === 0 ? i : i - prevEnd, length: 1 });
    buckets.push(m.get(i)!);
    prevEnd = i + 1;
  }
  return { spans, buckets };
}

function reduceResolution(m: Map<number, number>, from: number, to: number): Map<number, number> {
  if (from === to || from === CUSTOM_BUCKETS_SCHEMA) return m;
  const out = new Map<number, number>();
  const delta = from - to;
  for (const [i, v] of m) {
    const j = ((i - 1) >> delta) + 1;
    out.set(j, (out.get(j) ?? 0) + v);
  }
  return out;
}

/**
 * `a + sign*b` the way the series notation combines histograms: the result has `a`'s schema
 * (`b` is brought down to it; a finer `a` than `b` is an error, as in Prometheus), the wider
 * zero threshold, and custom bounds only when both agree.
 */
export function combineHistograms(a: TestHistogram, b: TestHistogram, sign: 1 | -1): TestHistogram {
  if (a.schema > b.schema && b.schema !== CUSTOM_BUCKETS_SCHEMA && a.schema !== CUSTOM_BUCKETS_SCHEMA) {
    throw new Error(`error combining histograms: cannot merge from schema ${b.schema} to ${a.schema}`);
  }
  if ((a.schema === CUSTOM_BUCKETS_SCHEMA) !== (b.schema === CUSTOM_BUCKETS_SCHEMA)) {
    throw new Error('error combining histograms: cannot mix exponential and custom buckets');
  }
  if (a.schema === CUSTOM_BUCKETS_SCHEMA && !sameNumbers(a.customValues ?? [], b.customValues ?? [])) {
    throw new Error('error combining histograms: custom bucket bounds differ');
  }
  const side = (sa: Span[], ba: number[], sb: Span[], bb: number[]) => {
    const ma = toMap(sa, ba);
    const mb = reduceResolution(toMap(sb, bb), b.schema, a.schema);
    for (const [i, v] of mb) ma.set(i, (ma.get(i) ?? 0) + sign * v);
    return fromMap(ma, true);
  };
  const pos = side(a.positiveSpans, a.positiveBuckets, b.positiveSpans, b.positiveBuckets);
  const neg = side(a.negativeSpans, a.negativeBuckets, b.negativeSpans, b.negativeBuckets);
  return {
    schema: a.schema,
    count: a.count + sign * b.count,
    sum: a.sum + sign * b.sum,
    zeroThreshold: Math.max(a.zeroThreshold, b.zeroThreshold),
    zeroCount: a.zeroCount + sign * b.zeroCount,
    positiveSpans: pos.spans,
    positiveBuckets: pos.buckets,
    negativeSpans: neg.spans,
    negativeBuckets: neg.buckets,
    customValues: a.customValues ? [...a.customValues] : undefined,
    counterResetHint: a.counterResetHint === b.counterResetHint ? a.counterResetHint : a.counterResetHint === 'gauge' || b.counterResetHint === 'gauge' ? 'gauge' : 'unknown',
  };
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export { almostEqual };

/**
 * The runner's histogram comparison (Prometheus's `compareNativeHistogram` on compacted
 * histograms): schema, count, sum, zero bucket, custom bounds and non-zero buckets by index
 * (so span layout does not matter); the counter-reset hint only when the test spelled it out.
 */
export function histogramsMatch(exp: TestHistogram, got: TestHistogram, counterResetHintSet: boolean, epsilon = 1e-6): boolean {
  if (exp.schema !== got.schema || !almostEqual(exp.count, got.count, epsilon) || !almostEqual(exp.sum, got.sum, epsilon)) return false;
  if (exp.schema === CUSTOM_BUCKETS_SCHEMA && !sameNumbers(exp.customValues ?? [], got.customValues ?? [])) return false;
  if (exp.zeroThreshold !== got.zeroThreshold || !almostEqual(exp.zeroCount, got.zeroCount, epsilon)) return false;
  const bucketsMatch = (sa: Span[], ba: number[], sb: Span[], bb: number[]) => {
    const a = fromMap(toMap(sa, ba), false);
    const b = fromMap(toMap(sb, bb), false);
    if (a.buckets.length !== b.buckets.length) return false;
    if (!a.spans.every((s, i) => s.offset === b.spans[i].offset && s.length === b.spans[i].length)) return false;
    return a.buckets.every((v, i) => almostEqual(v, b.buckets[i], epsilon));
  };
  if (!bucketsMatch(exp.positiveSpans, exp.positiveBuckets, got.positiveSpans, got.positiveBuckets)) return false;
  if (!bucketsMatch(exp.negativeSpans, exp.negativeBuckets, got.negativeSpans, got.negativeBuckets)) return false;
  return !counterResetHintSet || exp.counterResetHint === got.counterResetHint;
}

/** The test-script notation of a histogram, for failure messages. */
export function histogramString(h: TestHistogram): string {
  const parts = [`schema:${h.schema}`, `count:${h.count}`, `sum:${h.sum}`];
  if (h.zeroCount !== 0) parts.push(`z_bucket:${h.zeroCount}`);
  if (h.zeroThreshold !== 0) parts.push(`z_bucket_w:${h.zeroThreshold}`);
  if (h.customValues) parts.push(`custom_values:[${h.customValues.join(' ')}]`);
  const side = (spans: Span[], buckets: number[], prefix: string) => {
    const { spans: s, buckets: b } = fromMap(toMap(spans, buckets), true);
    if (b.length === 0) return;
    parts.push(`${prefix}offset:${s[0].offset}`, `${prefix}buckets:[${b.join(' ')}]`);
  };
  side(h.positiveSpans, h.positiveBuckets, '');
  side(h.negativeSpans, h.negativeBuckets, 'n_');
  if (h.counterResetHint !== 'unknown') parts.push(`counter_reset_hint:${h.counterResetHint}`);
  return `{{${parts.join(' ')}}}`;
}
