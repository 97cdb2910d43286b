/** A `query_range` answer's data, as the Prometheus HTTP API returns it. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/** What differs between two answers to the same range query; empty when they agree. */
export interface MatrixDiff {
  /** Series counts of both sides. */
  leftSeries: number;
  rightSeries: number;
  /** Human-readable differences, the first few only. */
  problems: string[];
}

function seriesKey(metric: Record<string, string>): string {
  return Object.keys(metric)
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`)
    .join(',');
}

/** Whether two sample values agree: both NaN, equal, or within `relTol` of the larger magnitude (summation order moves the last bits). */
export function valuesAgree(a: string, b: string, relTol: number): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) && Number.isNaN(y)) return true;
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= relTol * Math.max(Math.abs(x), Math.abs(y), 1e-300);
}

/**
 * Compares two matrices series by series (matched by their label sets) and point by point.
 * `relTol` 0 asks for identical values. Reports at most `maxProblems` differences.
 */
export function compareMatrices(left: readonly MatrixSeries[], right: readonly MatrixSeries[], relTol: number, names: [string, string], maxProblems = 3): MatrixDiff {
  const diff: MatrixDiff = { leftSeries: left.length, rightSeries: right.length, problems: [] };
  const note = (p: string): void => {
    if (diff.problems.length < maxProblems) diff.problems.push(p);
  };
  if (left.length !== right.length) note(`${left.length} series from ${names[0]}, ${right.length} from ${names[1]}`);
  const byKey = new Map(right.map((s) => [seriesKey(s.metric), s]));
  const seen = new Set<string>();
  for (const l of left) {
    const key = seriesKey(l.metric);
    const r = byKey.get(key);
    if (!r) {
      note(`{${key}} only from ${names[0]}`);
      continue;
    }
    seen.add(key);
    const rv = new Map(r.values.map(([t, v]) => [t, v]));
    if (r.values.length !== l.values.length) note(`{${key}}: ${l.values.length} points from ${names[0]}, ${r.values.length} from ${names[1]}`);
    for (const [t, v] of l.values) {
      const w = rv.get(t);
      if (w === undefined) {
        if (r.values.length === l.values.length) note(`{${key}} @${t}: only from ${names[0]}`);
        break;
      }
      if (!valuesAgree(v, w, relTol)) {
        note(`{${key}} @${t}: ${v} from ${names[0]}, ${w} from ${names[1]}`);
        break;
      }
    }
  }
  for (const r of right) {
    const key = seriesKey(r.metric);
    if (!seen.has(key)) note(`{${key}} only from ${names[1]}`);
  }
  return diff;
}
