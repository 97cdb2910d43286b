import { PromLabels, PromQueryResult } from '@panoptes/testing';

/**
 * Comparison of two Prometheus API answers to the same range query: same series (label sets),
 * same timestamps per series, values equal within a relative tolerance, NaN equal to NaN and
 * ±Inf equal only to itself. Pure functions; the spec feeds them the two HTTP answers.
 */

export const RELATIVE_TOLERANCE = 1e-5;

/** One side's answer: the result, or the API error it gave. */
export type QueryAnswer = { result: PromQueryResult } | { error: string };

export interface ResultDiff {
  /** Short, human-readable reasons (at most a few per query), empty when the answers agree. */
  problems: string[];
}

/** A canonical key for a label set: `{a="1",b="2"}`, names sorted. */
export function labelsKey(labels: PromLabels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(',')}}`;
}

/** A sample value as the API writes it (Go's `strconv.FormatFloat(v, 'f', -1, 64)`, `NaN`, `±Inf`). */
export function parseApiValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/** Whether two values count as equal: NaN = NaN, infinities exactly, finite ones within `tolerance` relative. */
export function valuesAgree(a: number, b: number, tolerance = RELATIVE_TOLERANCE): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  if (a === b) return true;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

interface NormalSeries {
  ts: number[];
  values: string[];
}

/** A range or instant answer as series by label key (a scalar becomes the series `{}`). */
function normalise(result: PromQueryResult): Map<string, NormalSeries> {
  const out = new Map<string, NormalSeries>();
  const add = (labels: PromLabels, pairs: [number, string][]): void => {
    const key = labelsKey(labels);
    if (out.has(key)) throw new Error(`the answer holds series ${key} twice`);
    out.set(key, { ts: pairs.map(([t]) => Math.round(t * 1000)), values: pairs.map(([, v]) => v) });
  };
  switch (result.resultType) {
    case 'matrix':
      for (const s of result.result) add(s.metric, s.values);
      break;
    case 'vector':
      for (const s of result.result) add(s.metric, [s.value]);
      break;
    default:
      add({}, [result.result]);
  }
  return out;
}

const MAX_PROBLEMS = 4;

/**
 * The differences between Prometheus's answer (`want`) and Panoptes's (`got`): errors on one side
 * only, result types, series only on one side, timestamps, values. Both sides failing counts as a
 * difference too: every query in the comparison must be valid.
 */
/** An API error shortened to its message (the request URL repeats the query). */
function shortError(error: string): string {
  const text = error.replace(/^GET \S+ /, '');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export function compareAnswers(want: QueryAnswer, got: QueryAnswer, tolerance = RELATIVE_TOLERANCE): ResultDiff {
  if ('error' in want || 'error' in got) {
    if ('error' in want && 'error' in got) return { problems: [`both failed: Prometheus: ${shortError(want.error)}; Panoptes: ${shortError(got.error)}`] };
    return { problems: ['error' in want ? `only Prometheus failed: ${shortError(want.error)}` : `only Panoptes failed: ${shortError((got as { error: string }).error)}`] };
  }
  if (want.result.resultType !== got.result.resultType) {
    return { problems: [`result type ${want.result.resultType} (Prometheus) vs ${got.result.resultType} (Panoptes)`] };
  }
  let w: Map<string, NormalSeries>;
  let g: Map<string, NormalSeries>;
  try {
    w = normalise(want.result);
    g = normalise(got.result);
  } catch (err) {
    return { problems: [String(err)] };
  }
  const problems: string[] = [];
  const onlyWant = [...w.keys()].filter((k) => !g.has(k));
  const onlyGot = [...g.keys()].filter((k) => !w.has(k));
  if (onlyWant.length > 0) problems.push(`${onlyWant.length} series only in Prometheus, e.g. ${onlyWant.slice(0, 2).join(' ')}`);
  if (onlyGot.length > 0) problems.push(`${onlyGot.length} series only in Panoptes, e.g. ${onlyGot.slice(0, 2).join(' ')}`);
  let seriesWithDiffs = 0;
  for (const [key, ws] of w) {
    const gs = g.get(key);
    if (!gs) continue;
    const diff = seriesDiff(ws, gs, tolerance);
    if (diff === undefined) continue;
    seriesWithDiffs++;
    if (problems.length < MAX_PROBLEMS) problems.push(`${key}: ${diff}`);
  }
  if (seriesWithDiffs > 0 && problems.length >= MAX_PROBLEMS) problems.push(`(${seriesWithDiffs} series differ in all)`);
  return { problems };
}

function seriesDiff(want: NormalSeries, got: NormalSeries, tolerance: number): string | undefined {
  const wantTs = new Set(want.ts);
  const gotTs = new Set(got.ts);
  const missing = want.ts.filter((t) => !gotTs.has(t));
  const extra = got.ts.filter((t) => !wantTs.has(t));
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`${missing.length} steps only in Prometheus (first t=${missing[0] / 1000})`);
    if (extra.length > 0) parts.push(`${extra.length} steps only in Panoptes (first t=${extra[0] / 1000})`);
    return parts.join(', ');
  }
  const gotAt = new Map(got.ts.map((t, i) => [t, got.values[i]]));
  let differing = 0;
  let first = '';
  want.ts.forEach((t, i) => {
    const gv = gotAt.get(t)!;
    if (valuesAgree(parseApiValue(want.values[i]), parseApiValue(gv), tolerance)) return;
    if (differing++ === 0) first = `t=${t / 1000}: Prometheus ${want.values[i]}, Panoptes ${gv}`;
  });
  return differing === 0 ? undefined : `${differing}/${want.ts.length} values differ, first ${first}`;
}
