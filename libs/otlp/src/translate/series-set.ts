import { compareUtf8 } from '../any-value';

/** A label set: `[name, value]` pairs sorted by name (UTF-8 byte order), names unique, values non-empty. */
export type TranslatedLabels = [string, string][];

export interface TranslatedSample {
  timestampMs: number;
  value: number;
}

export interface TranslatedExemplar {
  /** trace_id, span_id and the exemplar's filtered attributes (names as sent), sorted by name. */
  labels: TranslatedLabels;
  value: number;
  /** Undefined when the exemplar carried no timestamp. */
  timestampMs: number | undefined;
}

/** One Prometheus series produced by a translation. */
export interface TranslatedSeries {
  /** Includes `__name__`. */
  labels: TranslatedLabels;
  /** In time order, at most one per timestamp. */
  samples: TranslatedSample[];
  exemplars?: TranslatedExemplar[];
}

const scratch = new DataView(new ArrayBuffer(16));

/** Whether two float64s have the same bits (how the TSDB tells a duplicate from a conflict). */
export function sameFloatBits(a: number, b: number): boolean {
  if (a === b) return a !== 0 || Object.is(a, b);
  if (a === a || b === b) return false; // not both NaN
  scratch.setFloat64(0, a);
  scratch.setFloat64(8, b);
  return scratch.getUint32(0) === scratch.getUint32(8) && scratch.getUint32(4) === scratch.getUint32(12);
}

interface SeriesAcc {
  labels: TranslatedLabels;
  /** Another series whose labels hash the same (rare), forming a chain. */
  next: SeriesAcc | undefined;
  /** Indexes of this series' samples in the SeriesSet's columns, in arrival order. */
  idx: number[];
  sorted: boolean;
  lastTime: number;
  exemplars: TranslatedExemplar[] | undefined;
}

/** Result of `SeriesSet.finish()`. */
export interface FinishedSeries {
  series: TranslatedSeries[];
  samples: number;
  /** Data points with a sample that conflicted with an earlier one at the same timestamp. */
  conflictingPoints: Set<number>;
  /** One description per conflicting series (label set and timestamp). */
  conflicts: string[];
}

/**
 * Accumulates samples per label set, in first-seen series order. `finish()` puts each series'
 * samples in time order and drops repeated timestamps: an identical repeat (same value bits, e.g.
 * the `target_info` sample two resources share) silently, a different value as a conflict, the
 * way the TSDB answers `ErrDuplicateSampleForTimestamp`; the first sample sent wins.
 *
 * Values live in a Float64Array because V8 quiets signalling NaNs stored in plain number arrays,
 * which would turn the staleness marker (0x7ff0000000000002) into an ordinary NaN.
 */
export class SeriesSet {
  /** Series by `LabelHash` key; equal keys with different labels chain through `next`. */
  private readonly byHash = new Map<number, SeriesAcc>();
  private readonly order: SeriesAcc[] = [];
  private times = new Float64Array(256);
  private values = new Float64Array(256);
  /** The translation-wide ordinal of the data point each sample came from (-1: not a data point). */
  private points = new Int32Array(256);
  private n = 0;

  /** Adds a sample to the series `labels` (sorted, unique names) whose label hash is `hash`. */
  add(labels: TranslatedLabels, hash: LabelHash, timestampMs: number, value: number, point: number): SeriesAcc {
    const key = hash.key();
    let s = this.byHash.get(key);
    if (s === undefined) {
      s = this.create(labels);
      this.byHash.set(key, s);
    } else {
      while (!sameLabels(s.labels, labels)) {
        if (s.next === undefined) {
          s.next = this.create(labels);
          s = s.next;
          break;
        }
        s = s.next;
      }
    }
    if (timestampMs <= s.lastTime) s.sorted = false;
    s.lastTime = timestampMs;
    if (this.n === this.times.length) this.grow();
    const i = this.n++;
    this.times[i] = timestampMs;
    this.values[i] = value;
    this.points[i] = point;
    s.idx.push(i);
    return s;
  }

  private create(labels: TranslatedLabels): SeriesAcc {
    const s: SeriesAcc = { labels, next: undefined, idx: [], sorted: true, lastTime: -Infinity, exemplars: undefined };
    this.order.push(s);
    return s;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    const values = new Float64Array(cap);
    values.set(this.values);
    const points = new Int32Array(cap);
    points.set(this.points);
    this.times = times;
    this.values = values;
    this.points = points;
  }

  addExemplars(series: SeriesAcc, exemplars: TranslatedExemplar[]): void {
    if (exemplars.length === 0) return;
    if (series.exemplars === undefined) series.exemplars = [];
    for (const e of exemplars) series.exemplars.push(e);
  }

  get size(): number {
    return this.order.length;
  }

  finish(): FinishedSeries {
    const { times, values, points } = this;
    const series: TranslatedSeries[] = [];
    const conflictingPoints = new Set<number>();
    const conflicts: string[] = [];
    let samples = 0;
    for (const s of this.order) {
      const idx = s.idx;
      // Stable: of two samples with one timestamp, the first sent stays first.
      if (!s.sorted) idx.sort((a, b) => times[a] - times[b] || a - b);
      const out: TranslatedSample[] = [];
      let conflicted = false;
      let lastT = NaN;
      let lastI = -1;
      for (const i of idx) {
        const t = times[i];
        if (t === lastT) {
          if (!sameFloatBits(values[lastI], values[i])) {
            if (points[i] >= 0) conflictingPoints.add(points[i]);
            if (!conflicted) conflicts.push(`${formatLabels(s.labels)} at ${t}`);
            conflicted = true;
          }
          continue;
        }
        out.push({ timestampMs: t, value: values[i] });
        lastT = t;
        lastI = i;
      }
      samples += out.length;
      const ts: TranslatedSeries = { labels: s.labels, samples: out };
      if (s.exemplars !== undefined) ts.exemplars = s.exemplars;
      series.push(ts);
    }
    return { series, samples, conflictingPoints, conflicts };
  }
}

function sameLabels(a: TranslatedLabels, b: TranslatedLabels): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x !== y && (x[0] !== y[0] || x[1] !== y[1])) return false;
  }
  return true;
}

/**
 * An order-independent hash of a label set: two 32-bit sums of per-pair hashes, so adding or
 * replacing a label updates it without rehashing the others (histogram buckets share their
 * data point's labels). Equal label sets hash equally; `SeriesSet` compares labels on a match.
 */
export class LabelHash {
  h1 = 0;
  h2 = 0;

  static of(labels: TranslatedLabels): LabelHash {
    const h = new LabelHash();
    for (const [name, value] of labels) h.add(name, value);
    return h;
  }

  copy(): LabelHash {
    const h = new LabelHash();
    h.h1 = this.h1;
    h.h2 = this.h2;
    return h;
  }

  add(name: string, value: string): void {
    this.h1 = (this.h1 + pairHash1(name, value)) | 0;
    this.h2 = (this.h2 + pairHash2(name, value)) | 0;
  }

  remove(name: string, value: string): void {
    this.h1 = (this.h1 - pairHash1(name, value)) | 0;
    this.h2 = (this.h2 - pairHash2(name, value)) | 0;
  }

  /** A 53-bit Map key. */
  key(): number {
    return (this.h1 >>> 0) * 2097152 + ((this.h2 >>> 0) >>> 11);
  }
}

// A local binding: inside a vm context (Jest's sandbox) every `Math.imul` would be a global
// lookup through the context's interceptor, which is about 100x slower.
const imul = Math.imul;

/** FNV-1a over `name`, a separator no UTF-16 code unit equals, and `value`; murmur3's finalizer. */
function pairHash1(name: string, value: string): number {
  let a = 0x811c9dc5 | 0;
  for (let i = 0; i < name.length; i++) a = imul(a ^ name.charCodeAt(i), 0x01000193);
  a = imul(a ^ 0x10000, 0x01000193);
  for (let i = 0; i < value.length; i++) a = imul(a ^ value.charCodeAt(i), 0x01000193);
  a ^= a >>> 16;
  a = imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  a = imul(a, 0xc2b2ae35);
  return a ^ (a >>> 16);
}

/** A second, independent hash of the same input (a multiply-xorshift mix, another finalizer). */
function pairHash2(name: string, value: string): number {
  let b = 0x9747b28c | 0;
  for (let i = 0; i < name.length; i++) {
    b = imul(b ^ name.charCodeAt(i), 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = imul(b ^ 0x10000, 0x5bd1e995);
  for (let i = 0; i < value.length; i++) {
    b = imul(b ^ value.charCodeAt(i), 0x5bd1e995);
    b ^= b >>> 15;
  }
  b ^= b >>> 15;
  b = imul(b, 0x2c1b3c6d);
  b ^= b >>> 12;
  b = imul(b, 0x297a2d39);
  return b ^ (b >>> 15);
}

export function formatLabels(labels: TranslatedLabels): string {
  const name = labels.find((l) => l[0] === '__name__')?.[1] ?? '';
  const rest = labels.filter((l) => l[0] !== '__name__').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${rest.join(', ')}}`;
}

/** Sorts `[name, value]` pairs by name in UTF-8 byte order (in place). */
export function sortLabels(labels: TranslatedLabels): TranslatedLabels {
  return labels.sort((a, b) => compareUtf8(a[0], b[0]));
}

/**
 * `base` (sorted) with the `extra` pairs set on it, overriding a label of the same name, as a new
 * sorted array; `hash` (a copy of base's) is updated to match. Used for `__name__`, `le` and
 * `quantile`.
 */
export function withLabels(
  base: TranslatedLabels,
  extra: TranslatedLabels,
  hash: LabelHash,
  compare: (a: string, b: string) => number,
): TranslatedLabels {
  const out = base.slice();
  for (const pair of extra) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(out[mid][0], pair[0]) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo < out.length && out[lo][0] === pair[0]) {
      hash.remove(out[lo][0], out[lo][1]);
      out[lo] = pair;
    } else {
      out.splice(lo, 0, pair);
    }
    hash.add(pair[0], pair[1]);
  }
  return out;
}
