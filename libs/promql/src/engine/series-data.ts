import { type Labels, XorChunkIterator } from '@panoptes/block-formats';
import { PromQLExecutionError } from '../errors';
import { slabF64, slabU8 } from './slab';
import type { StoredSeries } from './types';
import type { Grid, StepSeries } from './values';

/** Prometheus's staleness marker: the NaN with payload 2 (0x7ff0000000000002). */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

/**
 * A series decoded once for evaluation: timestamps and values in two typed arrays, oldest first,
 * one sample per timestamp. `stale[i] === 1` marks a staleness marker (its value is NaN); `stale`
 * is null when the series has none, the common case.
 */
export interface SeriesData {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  stale: Uint8Array | null;
}

const iterator = new XorChunkIterator();
// Decoding scratch, grown on demand and reused: a series' samples are decoded here and copied out
// at their exact count, so a selection that needs part of a chunk (a split's or a step's edges)
// keeps only that part alive, not every sample of the chunks it touched.
let scratchTs = new Float64Array(1024);
let scratchVs = new Float64Array(1024);
let scratchStale = new Uint8Array(1024);

/**
 * Decodes a stored series' chunks, keeping samples in [minT, maxT]. Overlapping chunks (replicas,
 * head and blocks) are merged; of two samples with the same timestamp the first chunk's wins.
 * A chunk is decoded no further than its first sample after maxT (a chunk's samples are in time
 * order), and samples before minT are decoded (XOR is sequential) but not kept.
 */
export function decodeSeries(s: StoredSeries, minT: number, maxT: number): SeriesData {
  let total = 0;
  for (const c of s.chunks) {
    if (c.encoding !== 1) throw new PromQLExecutionError(`unsupported chunk encoding ${c.encoding} in series ${JSON.stringify(s.labels)}`);
    if (c.maxT >= minT && c.minT <= maxT) total += iterator.reset(c.data).numSamples;
  }
  if (scratchTs.length < total) {
    const size = Math.max(total, scratchTs.length * 2);
    scratchTs = new Float64Array(size);
    scratchVs = new Float64Array(size);
    scratchStale = new Uint8Array(size);
  }
  const ts = scratchTs;
  const vs = scratchVs;
  let anyStale = false;
  let n = 0;
  let sorted = true;
  for (const c of s.chunks) {
    if (c.maxT < minT || c.minT > maxT) continue;
    const it = iterator.reset(c.data);
    while (it.next()) {
      const t = it.t;
      if (t < minT) continue;
      if (t > maxT) break;
      if (n > 0 && t <= ts[n - 1]) sorted = false;
      ts[n] = t;
      vs[n] = it.v;
      const isStale = it.valueHi === STALE_NAN_HI && it.valueLo === STALE_NAN_LO;
      scratchStale[n] = isStale ? 1 : 0;
      if (isStale) anyStale = true;
      n++;
    }
  }
  const stale = anyStale ? scratchStale : null;
  if (!sorted) return mergeUnsorted(s.labels, ts, vs, stale, n);
  const outTs = slabF64(n);
  outTs.set(ts.subarray(0, n));
  const outVs = slabF64(n);
  outVs.set(vs.subarray(0, n));
  return { labels: s.labels, ts: outTs, vs: outVs, stale: stale ? stale.slice(0, n) : null };
}

/**
 * An instant-vector selector's value at every step of `g`, read straight from a stored series'
 * chunks (no decoded copy of the series): at step k the last sample at or before
 * `ref = start + k * interval - offsetMs`, when it is newer than `ref - lookbackMs` and not a
 * staleness marker. Only samples in [minT, maxT] are considered, and `samples` counts them, as
 * `decodeSeries` would. `series` is undefined when no step has a value. Undefined altogether when
 * the chunks overlap in time (replicas, out-of-order chunks): those need `decodeSeries`' merge.
 */
export function sampleSteps(s: StoredSeries, minT: number, maxT: number, g: Grid, offsetMs: number, lookbackMs: number): { series: StepSeries | undefined; samples: number } | undefined {
  let lastMaxT = -Infinity;
  for (const c of s.chunks) {
    if (c.encoding !== 1) throw new PromQLExecutionError(`unsupported chunk encoding ${c.encoding} in series ${JSON.stringify(s.labels)}`);
    if (c.maxT < minT || c.minT > maxT) continue;
    if (c.minT <= lastMaxT) return undefined;
    lastMaxT = c.maxT;
  }
  let vals: Float64Array | undefined;
  let has: Uint8Array | undefined;
  let sampleTs: Float64Array | undefined;
  let samples = 0;
  let k = 0;
  let ref = g.start - offsetMs;
  // The previous sample: the last one at or before every ref below the current sample's time.
  let pt = -Infinity;
  let pv = 0;
  let pStale = true;
  for (const c of s.chunks) {
    if (c.maxT < minT || c.minT > maxT) continue;
    const it = iterator.reset(c.data);
    while (it.next()) {
      const t = it.t;
      if (t < minT) continue;
      if (t > maxT) break;
      samples++;
      for (; k < g.n && ref < t; k++, ref = g.start + k * g.interval - offsetMs) {
        if (pStale || pt <= ref - lookbackMs) continue;
        if (!vals) {
          vals = slabF64(g.n);
          has = slabU8(g.n);
          sampleTs = slabF64(g.n);
        }
        vals[k] = pv;
        sampleTs![k] = pt;
        has![k] = 1;
      }
      pt = t;
      pv = it.v;
      pStale = it.valueHi === STALE_NAN_HI && it.valueLo === STALE_NAN_LO;
    }
  }
  for (; k < g.n; k++, ref = g.start + k * g.interval - offsetMs) {
    if (pStale || pt <= ref - lookbackMs) continue;
    if (!vals) {
      vals = slabF64(g.n);
      has = slabU8(g.n);
      sampleTs = slabF64(g.n);
    }
    vals[k] = pv;
    sampleTs![k] = pt;
    has![k] = 1;
  }
  return { series: vals ? { labels: s.labels, vals, has: has!, sampleTs } : undefined, samples };
}

/**
 * A decoded series' value at every step of `g` (what an instant-vector selector gives): the last
 * sample at or before the step's time (or `atMs`) minus `offsetMs`, when newer than the lookback
 * window's start and not a staleness marker. Undefined when no step has a value.
 */
export function stepDecoded(sd: SeriesData, g: Grid, atMs: number | undefined, offsetMs: number, lookbackMs: number): StepSeries | undefined {
  const vals = slabF64(g.n);
  const has = slabU8(g.n);
  const sampleTs = slabF64(g.n);
  let any = false;
  let idx = -1;
  for (let k = 0; k < g.n; k++) {
    const ref = (atMs ?? g.start + k * g.interval) - offsetMs;
    if (atMs === undefined) {
      // Refs grow with k: move forward from the last position.
      while (idx + 1 < sd.ts.length && sd.ts[idx + 1] <= ref) idx++;
    } else if (k === 0) {
      idx = lastAtOrBefore(sd.ts, ref);
    }
    if (idx < 0 || sd.ts[idx] <= ref - lookbackMs) continue;
    if (sd.stale && sd.stale[idx]) continue;
    vals[k] = sd.vs[idx];
    sampleTs[k] = sd.ts[idx];
    has[k] = 1;
    any = true;
  }
  return any ? { labels: sd.labels, vals, has, sampleTs } : undefined;
}

function mergeUnsorted(labels: Labels, ts: Float64Array, vs: Float64Array, stale: Uint8Array | null, n: number): SeriesData {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  // Stable: equal timestamps keep chunk order, so the first chunk's sample wins below.
  const idx = Array.from(order).sort((a, b) => ts[a] - ts[b] || a - b);
  const ots = new Float64Array(n);
  const ovs = new Float64Array(n);
  const ostale = stale ? new Uint8Array(n) : null;
  let m = 0;
  for (const i of idx) {
    if (m > 0 && ots[m - 1] === ts[i]) continue;
    ots[m] = ts[i];
    ovs[m] = vs[i];
    if (ostale) ostale[m] = stale![i];
    m++;
  }
  return { labels, ts: ots.subarray(0, m), vs: ovs.subarray(0, m), stale: ostale ? ostale.subarray(0, m) : null };
}

/** The index of the last sample at or before `t`, -1 when none (binary search). */
export function lastAtOrBefore(ts: Float64Array, t: number, from = 0): number {
  let lo = from;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
