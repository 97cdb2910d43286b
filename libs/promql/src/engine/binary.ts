import { type Labels, compareLabels } from '@panoptes/block-formats';
import { type BinaryExpr, type BinaryOp, type VectorMatching, isComparisonOp, isSetOp } from '../ast';
import { PromQLExecutionError } from '../errors';
import type { Evaluator } from './evaluator';
import { METRIC_NAME, dropMetricName, formatLabels, getLabel, labelsKey, matchKey, matchLabels, setLabel } from './labels';
import { type Grid, type StepSeries, type Value, type VectorValue, SeriesCollector, mergeSameLabels, newStepSeries } from './values';

/** Go's math.Pow, whose special cases differ from `**` (1^NaN = 1, (-1)^±Inf = 1). */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return x ** y;
}

/** Arithmetic result, or for comparisons 1 (true) / 0 (false). */
function apply(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    case '==':
      return l === r ? 1 : 0;
    case '!=':
      return l !== r ? 1 : 0;
    case '>':
      return l > r ? 1 : 0;
    case '<':
      return l < r ? 1 : 0;
    case '>=':
      return l >= r ? 1 : 0;
    case '<=':
      return l <= r ? 1 : 0;
    default:
      throw new PromQLExecutionError(`operator ${JSON.stringify(op)} not allowed for operations on floats`);
  }
}

/** Arithmetic operators change what the series measures: their results lose the metric name. */
function changesMetricSchema(op: BinaryOp): boolean {
  return op === '+' || op === '-' || op === '*' || op === '/' || op === '%' || op === '^' || op === 'atan2';
}

export async function evalBinary(ev: Evaluator, e: BinaryExpr, g: Grid): Promise<Value> {
  const lhs = await ev.eval(e.lhs, g);
  const rhs = await ev.eval(e.rhs, g);
  if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
    const vals = new Float64Array(g.n);
    for (let k = 0; k < g.n; k++) vals[k] = apply(e.op, lhs.vals[k], rhs.vals[k]);
    return { kind: 'scalar', vals };
  }
  if (lhs.kind === 'vector' && rhs.kind === 'vector') {
    if (isSetOp(e.op)) return setOperation(e, lhs, rhs, g);
    return vectorBinop(ev, e, lhs, rhs, g);
  }
  if (lhs.kind === 'vector' && rhs.kind === 'scalar') return vectorScalar(e, lhs, rhs.vals, false, g);
  if (lhs.kind === 'scalar' && rhs.kind === 'vector') return vectorScalar(e, rhs, lhs.vals, true, g);
  throw new PromQLExecutionError(`binary operator ${e.op} not allowed between ${lhs.kind} and ${rhs.kind}`);
}

function vectorScalar(e: BinaryExpr, vec: VectorValue, scalar: Float64Array, scalarLeft: boolean, g: Grid): VectorValue {
  const comparison = isComparisonOp(e.op);
  const dropName = changesMetricSchema(e.op) || e.returnBool;
  const out: StepSeries[] = [];
  for (const s of vec.series) {
    const r = newStepSeries(dropName ? dropMetricName(s.labels) : s.labels, g.n);
    for (let k = 0; k < g.n; k++) {
      if (!s.has[k]) continue;
      const l = scalarLeft ? scalar[k] : s.vals[k];
      const rv = scalarLeft ? s.vals[k] : scalar[k];
      let v = apply(e.op, l, rv);
      if (comparison) {
        if (e.returnBool) {
          // keep every sample, value 0 or 1
        } else if (v === 0) continue;
        else v = s.vals[k]; // a filter keeps the vector's value, whichever side it is on
      }
      r.vals[k] = v;
      r.has[k] = 1;
    }
    out.push(r);
  }
  return { kind: 'vector', series: dropName ? mergeSameLabels(out) : out };
}

function setOperation(e: BinaryExpr, lhs: VectorValue, rhs: VectorValue, g: Grid): VectorValue {
  const m = e.matching!;
  const names = new Set(m.matchingLabels);
  const lkeys = lhs.series.map((s) => matchKey(s.labels, m.on, names));
  const rkeys = rhs.series.map((s) => matchKey(s.labels, m.on, names));
  const out: StepSeries[] = [];
  if (e.op === 'and' || e.op === 'unless') {
    // Per step: the match keys present on the right.
    const present: Set<string>[] = [];
    for (let k = 0; k < g.n; k++) present.push(new Set());
    rhs.series.forEach((s, i) => {
      for (let k = 0; k < g.n; k++) if (s.has[k]) present[k].add(rkeys[i]);
    });
    const keepWhen = e.op === 'and';
    lhs.series.forEach((s, i) => {
      const r = newStepSeries(s.labels, g.n);
      for (let k = 0; k < g.n; k++) {
        if (s.has[k] && present[k].has(lkeys[i]) === keepWhen) {
          r.has[k] = 1;
          r.vals[k] = s.vals[k];
        }
      }
      out.push(r);
    });
    return { kind: 'vector', series: out.filter((s) => s.has.includes(1)) };
  }
  // or: everything on the left, and the right's series whose key the left lacks at that step.
  const present: Set<string>[] = [];
  for (let k = 0; k < g.n; k++) present.push(new Set());
  lhs.series.forEach((s, i) => {
    for (let k = 0; k < g.n; k++) if (s.has[k]) present[k].add(lkeys[i]);
    out.push(s);
  });
  rhs.series.forEach((s, i) => {
    const r = newStepSeries(s.labels, g.n);
    for (let k = 0; k < g.n; k++) {
      if (s.has[k] && !present[k].has(rkeys[i])) {
        r.has[k] = 1;
        r.vals[k] = s.vals[k];
      }
    }
    if (r.has.includes(1)) out.push(r);
  });
  return { kind: 'vector', series: mergeSameLabels(out) };
}

async function vectorBinop(ev: Evaluator, e: BinaryExpr, lhsV: VectorValue, rhsV: VectorValue, g: Grid): Promise<VectorValue> {
  const m: VectorMatching = e.matching!;
  if (m.card === 'many-to-many') throw new PromQLExecutionError('many-to-many only allowed for set operators');
  const names = new Set(m.matchingLabels);
  const swap = m.card === 'one-to-many';
  // `many` is the side whose labels the result keeps; `one` must be unique per match key.
  const many = swap ? rhsV.series : lhsV.series;
  const one = swap ? lhsV.series : rhsV.series;
  const manyKeys = many.map((s) => matchKey(s.labels, m.on, names));
  const oneKeys = one.map((s) => matchKey(s.labels, m.on, names));
  const comparison = isComparisonOp(e.op);
  const out = new SeriesCollector(g.n);
  // Result labels per (many, one) pair, computed once.
  const labelCache = new Map<number, { one: number; labels: Labels; key: string }>();
  const include = new Set(m.include);
  const oneAt = new Map<string, number>();
  const matched = new Map<string, Set<string> | null>();
  for (let k = 0; k < g.n; k++) {
    const pause = ev.tick();
    if (pause) await pause;
    // An empty side at this step gives nothing, before any matching error (as Prometheus).
    if (!many.some((s) => s.has[k]) || !one.some((s) => s.has[k])) continue;
    oneAt.clear();
    for (let j = 0; j < one.length; j++) {
      if (!one[j].has[k]) continue;
      const prev = oneAt.get(oneKeys[j]);
      if (prev !== undefined) {
        const side = swap ? 'left' : 'right';
        const [a, b] = [one[j].labels, one[prev].labels].sort(compareLabels);
        throw new PromQLExecutionError(
          `found duplicate series for the match group ${formatLabels(matchLabels(one[j].labels, m.on, names))} on the ${side} hand-side of the operation: [${formatLabels(a)}, ${formatLabels(b)}];many-to-many matching not allowed: matching labels must be unique on one side`,
        );
      }
      oneAt.set(oneKeys[j], j);
    }
    if (oneAt.size === 0) continue;
    matched.clear();
    for (let i = 0; i < many.length; i++) {
      if (!many[i].has[k]) continue;
      const j = oneAt.get(manyKeys[i]);
      if (j === undefined) continue;
      const lv = swap ? one[j].vals[k] : many[i].vals[k];
      const rv = swap ? many[i].vals[k] : one[j].vals[k];
      let cached = labelCache.get(i);
      if (!cached || cached.one !== j) {
        const labels = resultLabels(many[i].labels, one[j].labels, e, m, names, include);
        cached = { one: j, labels, key: labelsKey(labels) };
        labelCache.set(i, cached);
      }
      const sig = manyKeys[i];
      if (m.card === 'one-to-one') {
        if (matched.has(sig)) {
          throw new PromQLExecutionError('multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        }
        matched.set(sig, null);
      } else {
        let seen = matched.get(sig);
        if (!seen) {
          seen = new Set();
          matched.set(sig, seen);
        } else if (seen.has(cached.key)) {
          throw new PromQLExecutionError('multiple matches for labels: grouping labels must ensure unique matches');
        }
        seen.add(cached.key);
      }
      // Matching errors come first: a comparison that filters every pair still has bad matching.
      let v = apply(e.op, lv, rv);
      if (comparison && !e.returnBool) {
        if (v === 0) continue;
        v = lv;
      }
      out.set(out.series(cached.labels, cached.key), k, v);
    }
  }
  return { kind: 'vector', series: out.result() };
}

function resultLabels(
  manyLabels: Labels,
  oneLabels: Labels,
  e: BinaryExpr,
  m: VectorMatching,
  names: ReadonlySet<string>,
  include: ReadonlySet<string>,
): Labels {
  let labels = manyLabels;
  if (changesMetricSchema(e.op) || e.returnBool) labels = dropMetricName(labels);
  if (m.card === 'one-to-one') {
    labels = m.on ? labels.filter(([n]) => names.has(n)) : labels.filter(([n]) => !names.has(n));
  }
  for (const name of include) {
    labels = setLabel(labels, name, getLabel(oneLabels, name));
  }
  if (e.returnBool && getLabel(labels, METRIC_NAME) !== '') labels = dropMetricName(labels);
  return labels;
}
