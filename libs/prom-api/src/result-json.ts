import type { EngineQueryValue, MatrixSeries, QueryStats, VectorSample } from '@panoptes/promql';
import { formatGoFloatFixed } from '@panoptes/promql';
import type { ExemplarSeries } from './types';
import { formatJsonNumber, formatSampleValue, formatTimestamp, labelsJson, quoteGo } from './json';
import { JsonWriter } from './json-writer';

/**
 * Query results as Prometheus writes them. Matrices are written straight from their typed
 * arrays: no object per sample, one string per series, joined once.
 */

/** `[{"metric":{…},"value":[t,"v"]},…]` */
export function vectorJson(samples: readonly VectorSample[]): string {
  const w = new JsonWriter(samples.length * 64 + 2);
  w.byte(0x5b);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (i > 0) w.byte(0x2c);
    w.ascii('{"metric":').utf8(labelsJson(s.labels)).ascii(',"value":[').timestamp(s.t).byte(0x2c).sampleValue(s.v).ascii(']}');
  }
  return w.byte(0x5d).toString();
}

/** One series: `{"metric":{…},"values":[[t,"v"],…]}`; `values` is left out when empty, as Prometheus does. */
function writeSeries(w: JsonWriter, series: MatrixSeries): void {
  const { ts, vs } = series;
  w.ascii('{"metric":').utf8(labelsJson(series.labels));
  if (ts.length > 0) {
    w.ascii(',"values":[');
    for (let i = 0; i < ts.length; i++) {
      if (i > 0) w.byte(0x2c);
      w.byte(0x5b).timestamp(ts[i]).byte(0x2c).sampleValue(vs[i]).byte(0x5d);
    }
    w.byte(0x5d);
  }
  w.byte(0x7d);
}

/** `[series,…]`, written straight from each series' typed arrays. */
export function matrixJson(series: readonly MatrixSeries[]): string {
  let points = 0;
  for (const s of series) points += s.ts.length;
  const w = new JsonWriter(points * 24 + series.length * 64 + 2);
  w.byte(0x5b);
  for (let i = 0; i < series.length; i++) {
    if (i > 0) w.byte(0x2c);
    writeSeries(w, series[i]);
  }
  return w.byte(0x5d).toString();
}

/**
 * `result` of a query. Scalars and strings go through Go's encoding/json in Prometheus
 * (`Scalar.MarshalJSON`), so their time is a plain float (`1.5`, not `1.500`) and a scalar's
 * value is never in exponent form.
 */
export function resultJson(value: EngineQueryValue): string {
  switch (value.resultType) {
    case 'vector':
      return vectorJson(value.result);
    case 'matrix':
      return matrixJson(value.result);
    case 'scalar':
      return `[${formatJsonNumber(value.t / 1000)},"${formatGoFloatFixed(value.v)}"]`;
    case 'string':
      return `[${formatJsonNumber(value.t / 1000)},${quoteGo(value.v)}]`;
  }
}

/** Wall-clock phases of a query, ms, for `stats`. */
export interface QueryTimings {
  queueMs: number;
  evalMs: number;
  totalMs: number;
}

/**
 * Prometheus's `stats` object (`stats=true` or `stats=all`). Per-step sample counts
 * (`totalQueryableSamplesPerStep`, `stats=all`) are not collected by the engine and left out.
 */
export function statsJson(stats: QueryStats, timings: QueryTimings): string {
  const s = (ms: number) => formatJsonNumber(ms / 1000);
  return (
    `{"timings":{"evalTotalTime":${s(timings.evalMs)},"resultSortTime":0,"queryPreparationTime":0,` +
    `"innerEvalTime":${s(timings.evalMs)},"execQueueTime":${s(timings.queueMs)},"execTotalTime":${s(timings.totalMs)}},` +
    `"samples":{"totalQueryableSamples":${stats.totalSamples},"peakSamples":${stats.peakSamples}}}`
  );
}

/** `data` of a query response: `{"resultType":…,"result":…[,"stats":…]}`. */
export function queryDataJson(value: EngineQueryValue, stats?: string): string {
  const base = `{"resultType":"${value.resultType}","result":${resultJson(value)}`;
  return stats === undefined ? `${base}}` : `${base},"stats":${stats}}`;
}

/** `[{"seriesLabels":{…},"exemplars":[{"labels":{…},"value":"6","timestamp":1600096945.479}]}]` */
export function exemplarsJson(series: readonly ExemplarSeries[]): string {
  const parts = series.map((s) => {
    const ex = s.exemplars.map((e) => `{"labels":${labelsJson(e.labels)},"value":"${formatSampleValue(e.value)}","timestamp":${formatTimestamp(e.t)}}`);
    return `{"seriesLabels":${labelsJson(s.seriesLabels)},"exemplars":[${ex.join(',')}]}`;
  });
  return `[${parts.join(',')}]`;
}
