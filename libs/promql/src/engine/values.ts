import type { Labels } from '@panoptes/block-formats';
import { PromQLExecutionError } from '../errors';
import { labelsKey } from './labels';
import { slabF64, slabU8 } from './slab';

/**
 * The evaluator's intermediate values. Everything is evaluated over a step grid at once (Prometheus's
 * range evaluation): an instant vector is a list of series, each with one value slot per step and a
 * presence byte per step; a scalar is one value per step. No sample is a JS object.
 */

/** Evaluation times: `start + k * interval` for k in [0, n). An instant query is a grid of one step. */
export interface Grid {
  start: number;
  interval: number;
  n: number;
}

export function gridTime(g: Grid, k: number): number {
  return g.start + k * g.interval;
}

export interface StepSeries {
  labels: Labels;
  vals: Float64Array;
  has: Uint8Array;
  /** The sampled timestamp per step (vector selectors only), for `timestamp()`. */
  sampleTs?: Float64Array;
}

export interface ScalarValue {
  kind: 'scalar';
  vals: Float64Array;
}

export interface StringValue {
  kind: 'string';
  val: string;
}

export interface VectorValue {
  kind: 'vector';
  series: StepSeries[];
}

/** A raw series of a range vector: samples oldest first, no staleness markers. */
export interface RangeSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** A range vector: at step time t the window is (ref - range, ref] with ref = (at ?? t) - offset. */
export interface MatrixValue {
  kind: 'matrix';
  series: RangeSeries[];
  rangeMs: number;
  offsetMs: number;
  atMs: number | undefined;
}

export type Value = ScalarValue | StringValue | VectorValue | MatrixValue;

export function newStepSeries(labels: Labels, n: number): StepSeries {
  return { labels, vals: slabF64(n), has: slabU8(n) };
}

export function countPresent(s: StepSeries): number {
  let c = 0;
  for (let k = 0; k < s.has.length; k++) c += s.has[k];
  return c;
}

/**
 * Collects output series by label set. Setting a value twice at one step for the same labels is
 * Prometheus's "vector cannot contain metrics with the same labelset".
 */
export class SeriesCollector {
  private readonly byKey = new Map<string, StepSeries>();

  constructor(private readonly n: number) {}

  /** The output series of `labels` (created on first use); pass `key` when already computed. */
  series(labels: Labels, key = labelsKey(labels)): StepSeries {
    let s = this.byKey.get(key);
    if (!s) {
      s = newStepSeries(labels, this.n);
      this.byKey.set(key, s);
    }
    return s;
  }

  set(s: StepSeries, k: number, v: number): void {
    if (s.has[k]) throw new PromQLExecutionError('vector cannot contain metrics with the same labelset');
    s.has[k] = 1;
    s.vals[k] = v;
  }

  result(): StepSeries[] {
    const out: StepSeries[] = [];
    for (const s of this.byKey.values()) if (s.has.includes(1)) out.push(s);
    return out;
  }
}

/**
 * Series whose labels became equal (a function dropped the metric name) are merged; when two of
 * them have a value at the same step that is Prometheus's duplicate-labelset error.
 */
export function mergeSameLabels(series: StepSeries[]): StepSeries[] {
  if (series.length < 2) return series;
  const byKey = new Map<string, StepSeries>();
  let merged = false;
  for (const s of series) {
    const key = labelsKey(s.labels);
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, s);
      continue;
    }
    merged = true;
    for (let k = 0; k < s.has.length; k++) {
      if (!s.has[k]) continue;
      if (prev.has[k]) throw new PromQLExecutionError('vector cannot contain metrics with the same labelset');
      prev.has[k] = 1;
      prev.vals[k] = s.vals[k];
    }
  }
  return merged ? [...byKey.values()] : series;
}
