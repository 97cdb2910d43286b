import type { Labels } from '@panoptes/block-formats';
import type { AggregateExpr } from '../ast';
import { PromQLExecutionError } from '../errors';
import type { Evaluator } from './evaluator';
import { formatGoFloat, formatGoFloatFixed, goQuote, isValidLabelName } from '../literals';
import { quantile } from './functions';
import { METRIC_NAME, labelsKey, setLabel } from './labels';
import { type Grid, type StepSeries, type Value, SeriesCollector, newStepSeries } from './values';

// The step-by-step path's Kahan-Neumaier running sum, in one slot of `kahanAt`'s arrays: no allocation.
const rowSum = new Float64Array(1);
const rowComp = new Float64Array(1);
function kahanAdd(inc: number): void {
  kahanAt(rowSum, rowComp, 0, inc);
}

interface Group {
  index: number;
  labels: Labels;
  members: number[];
}

/** Assigns every input series to its output group, once for all steps. */
function groupSeries(series: readonly StepSeries[], e: AggregateExpr): { groups: Group[]; groupOf: Int32Array } {
  const names = new Set(e.grouping);
  const byKey = new Map<string, Group>();
  const groups: Group[] = [];
  const groupOf = new Int32Array(series.length);
  series.forEach((s, i) => {
    const labels = groupingLabels(s.labels, e.without, names);
    const key = labelsKey(labels);
    let grp = byKey.get(key);
    if (!grp) {
      grp = { index: groups.length, labels, members: [] };
      byKey.set(key, grp);
      groups.push(grp);
    }
    grp.members.push(i);
    groupOf[i] = grp.index;
  });
  return { groups, groupOf };
}

function groupingLabels(labels: Labels, without: boolean, names: ReadonlySet<string>): Labels {
  if (without) return labels.filter(([n]) => !names.has(n) && n !== METRIC_NAME);
  if (names.size === 0) return [];
  return labels.filter(([n]) => names.has(n));
}

export async function evalAggregate(ev: Evaluator, e: AggregateExpr, g: Grid): Promise<Value> {
  let param: Float64Array | undefined;
  let label = '';
  if (e.param) {
    const p = await ev.eval(e.param, g);
    if (p.kind === 'scalar') param = p.vals;
    else if (p.kind === 'string') label = p.val;
  }
  if (e.op === 'count_values' && !isValidLabelName(label)) throw new PromQLExecutionError(`invalid label name ${goQuote(label)}`);
  if ((e.op === 'topk' || e.op === 'bottomk' || e.op === 'limitk') && param!.some((p) => Number.isNaN(p)) && !param!.some((p) => p >= 1)) {
    throw new PromQLExecutionError('Parameter value is NaN');
  }
  const input = await ev.evalVector(e.expr, g);
  switch (e.op) {
    case 'topk':
    case 'bottomk':
    case 'limitk':
      return { kind: 'vector', series: await selectK(ev, e, input.series, param!, g) };
    case 'count_values':
      return { kind: 'vector', series: countValues(e, input.series, label, g) };
    case 'limit_ratio':
      throw new PromQLExecutionError('limit_ratio is not supported by this engine');
    default:
      return { kind: 'vector', series: await simpleAggregate(ev, e, input.series, param, g) };
  }
}

async function simpleAggregate(ev: Evaluator, e: AggregateExpr, series: StepSeries[], param: Float64Array | undefined, g: Grid): Promise<StepSeries[]> {
  const { groups } = groupSeries(series, e);
  const out: StepSeries[] = groups.map((grp) => newStepSeries(grp.labels, g.n));
  const values = new Float64Array(series.length);
  if (e.op === 'quantile') {
    for (let k = 0; k < g.n; k++) {
      const q = param![k];
      if (!(q >= 0 && q <= 1) && series.some((s) => s.has[k])) {
        ev.annotations.warn(`quantile value should be between 0 and 1, got ${formatGoFloat(q)}`, e.param!.pos);
      }
    }
  }
  const columns = COLUMN_OPS.has(e.op);
  for (let gi = 0; gi < groups.length; gi++) {
    const pause = ev.tick();
    if (pause) await pause;
    if (columns) aggregateColumns(e.op, groups[gi].members, series, out[gi], g.n);
    else aggregateRows(e.op, groups[gi].members, series, out[gi], g.n, param, values);
  }
  return out.filter((s) => s.has.includes(1));
}

/** The operators `aggregateColumns` computes; the others go step by step (`aggregateRows`). */
const COLUMN_OPS: ReadonlySet<string> = new Set(['sum', 'avg', 'count', 'min', 'max', 'group']);

/** Prometheus's Kahan-Neumaier step (kahanSumInc) on step k's running sum and compensation. */
function kahanAt(sum: Float64Array, comp: Float64Array, k: number, inc: number): void {
  const s = sum[k];
  const t = s + inc;
  if (t === Infinity || t === -Infinity) comp[k] = 0;
  else if (Math.abs(s) >= Math.abs(inc)) comp[k] += s - t + inc;
  else comp[k] += inc - t + s;
  sum[k] = t;
}

/**
 * One group's sum, avg, count, min, max or group at every step, member by member: each member's
 * arrays are read front to back once (a step at a time over all members touched every member's
 * arrays at every step). Each step still sees the members in the same order, so every value is
 * bit for bit what `aggregateRows` computes.
 */
export function aggregateColumns(op: string, members: readonly number[], series: readonly StepSeries[], o: StepSeries, n: number): void {
  const count = new Float64Array(n);
  // sum/avg: the Kahan sum and its compensation; min/max: the value so far.
  const acc = new Float64Array(n);
  const comp = new Float64Array(n);
  const incremental = op === 'avg' ? new Uint8Array(n) : undefined;
  for (const i of members) {
    const { has, vals } = series[i];
    switch (op) {
      case 'sum':
        for (let k = 0; k < n; k++) {
          if (!has[k]) continue;
          if (++count[k] === 1) acc[k] = vals[k];
          else kahanAt(acc, comp, k, vals[k]);
        }
        break;
      case 'avg':
        for (let k = 0; k < n; k++) {
          if (!has[k]) continue;
          const f = vals[k];
          const c = ++count[k];
          if (c === 1) {
            acc[k] = f;
            continue;
          }
          if (!incremental![k]) {
            const sum = acc[k];
            const cc = comp[k];
            kahanAt(acc, comp, k, f);
            if (acc[k] !== Infinity && acc[k] !== -Infinity) continue;
            // The running sum overflowed: from here on, an incremental mean (as Prometheus).
            incremental![k] = 1;
            acc[k] = sum / (c - 1);
            comp[k] = cc / (c - 1);
          }
          const q = (c - 1) / c;
          acc[k] *= q;
          comp[k] *= q;
          kahanAt(acc, comp, k, f / c);
        }
        break;
      case 'max':
        for (let k = 0; k < n; k++) {
          if (!has[k]) continue;
          const f = vals[k];
          if (++count[k] === 1 || acc[k] < f || Number.isNaN(acc[k])) acc[k] = f;
        }
        break;
      case 'min':
        for (let k = 0; k < n; k++) {
          if (!has[k]) continue;
          const f = vals[k];
          if (++count[k] === 1 || acc[k] > f || Number.isNaN(acc[k])) acc[k] = f;
        }
        break;
      default: // count, group
        for (let k = 0; k < n; k++) count[k] += has[k];
    }
  }
  for (let k = 0; k < n; k++) {
    const c = count[k];
    if (c === 0) continue;
    let value: number;
    switch (op) {
      case 'sum':
        value = acc[k] + comp[k];
        break;
      case 'avg':
        value = incremental![k] ? acc[k] + comp[k] : acc[k] / c + comp[k] / c;
        break;
      case 'count':
        value = c;
        break;
      case 'group':
        value = 1;
        break;
      default:
        value = acc[k];
    }
    o.vals[k] = value;
    o.has[k] = 1;
  }
}

/** One group's aggregate step by step, all members at each step (every operator `simpleAggregate` takes). */
export function aggregateRows(op: string, members: readonly number[], series: readonly StepSeries[], o: StepSeries, n: number, param: Float64Array | undefined, values: Float64Array): void {
  for (let k = 0; k < n; k++) {
      let count = 0;
      let value = 0;
      let mean = 0;
      let incremental = false;
      rowSum[0] = 0;
      rowComp[0] = 0;
      for (const i of members) {
        const s = series[i];
        if (!s.has[k]) continue;
        const f = s.vals[k];
        count++;
        if (count === 1) {
          value = f;
          mean = f;
          switch (op) {
            case 'sum':
            case 'avg':
              rowSum[0] = f;
              break;
            case 'stddev':
            case 'stdvar':
              value = Number.isNaN(f) || !Number.isFinite(f) ? NaN : 0;
              break;
            case 'group':
              value = 1;
              break;
            case 'quantile':
              values[0] = f;
              break;
          }
          continue;
        }
        switch (op) {
          case 'sum':
            kahanAdd(f);
            break;
          case 'avg':
            if (!incremental) {
              const sum = rowSum[0];
              const c = rowComp[0];
              kahanAdd(f);
              if (rowSum[0] !== Infinity && rowSum[0] !== -Infinity) break;
              // The running sum overflowed: from here on, an incremental mean (as Prometheus).
              incremental = true;
              rowSum[0] = sum / (count - 1);
              rowComp[0] = c / (count - 1);
            }
            {
              const q = (count - 1) / count;
              rowSum[0] *= q;
              rowComp[0] *= q;
              kahanAdd(f / count);
            }
            break;
          case 'max':
            if (value < f || Number.isNaN(value)) value = f;
            break;
          case 'min':
            if (value > f || Number.isNaN(value)) value = f;
            break;
          case 'stddev':
          case 'stdvar': {
            const delta = f - mean;
            mean += delta / count;
            value += delta * (f - mean);
            break;
          }
          case 'quantile':
            values[count - 1] = f;
            break;
        }
      }
      if (count === 0) continue;
      switch (op) {
        case 'sum':
          value = rowSum[0] + rowComp[0];
          break;
        case 'avg':
          value = incremental ? rowSum[0] + rowComp[0] : rowSum[0] / count + rowComp[0] / count;
          break;
        case 'count':
          value = count;
          break;
        case 'stdvar':
          value = count === 1 ? value : value / count;
          break;
        case 'stddev':
          value = count === 1 ? value : Math.sqrt(value / count);
          break;
        case 'quantile':
          value = quantile(param![k], values, count);
          break;
      }
      o.vals[k] = value;
      o.has[k] = 1;
  }
}

/** 2^63, and the largest float Prometheus still converts to an int64 plus one ulp (9223372036854774784 + 1024). */
const INT64_LIMIT = 2 ** 63;
const INT64_MAX_FLOAT = 2 ** 63 - 1024;

/** topk, bottomk and limitk: per step and group, k input series keep their labels and values. */
async function selectK(ev: Evaluator, e: AggregateExpr, series: StepSeries[], param: Float64Array, g: Grid): Promise<StepSeries[]> {
  const { groups } = groupSeries(series, e);
  const outs = new Map<number, StepSeries>();
  const order: number[] = [];
  const candidates: number[] = [];
  let maxK = -Infinity;
  for (let k = 0; k < g.n; k++) if (param[k] > maxK) maxK = param[k];
  if (maxK < 1) return [];
  for (let k = 0; k < g.n; k++) {
    const p = param[k];
    if (p >= INT64_MAX_FLOAT) throw new PromQLExecutionError(`Scalar value ${formatGoFloat(p)} overflows int64`);
    if (p <= -INT64_LIMIT) throw new PromQLExecutionError(`Scalar value ${formatGoFloat(p)} underflows int64`);
    const kk = Math.min(Math.trunc(p), series.length);
    if (!(kk >= 1)) continue;
    for (const grp of groups) {
      const pause = ev.tick();
      if (pause) await pause;
      candidates.length = 0;
      for (const i of grp.members) if (series[i].has[k]) candidates.push(i);
      if (candidates.length === 0) continue;
      let chosen: number[];
      if (e.op === 'limitk') {
        chosen = candidates.slice(0, kk);
      } else {
        const top = e.op === 'topk';
        // Bigger first for topk, smaller first for bottomk; NaN always last.
        const sorted = candidates.slice().sort((a, b) => {
          const x = series[a].vals[k];
          const y = series[b].vals[k];
          if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
          if (Number.isNaN(y)) return -1;
          return top ? y - x : x - y;
        });
        chosen = sorted.slice(0, kk);
      }
      for (const i of chosen) {
        let o = outs.get(i);
        if (!o) {
          o = newStepSeries(series[i].labels, g.n);
          outs.set(i, o);
          order.push(i);
        }
        o.vals[k] = series[i].vals[k];
        o.has[k] = 1;
      }
    }
  }
  return order.map((i) => outs.get(i)!);
}

function countValues(e: AggregateExpr, series: StepSeries[], label: string, g: Grid): StepSeries[] {
  // The value label is added to `by`; `without` removes what it lists, the value label included.
  const names = new Set(e.grouping);
  if (!e.without) names.add(label);
  const out = new SeriesCollector(g.n);
  const counts = new Map<string, { labels: Labels; count: number }>();
  for (let k = 0; k < g.n; k++) {
    counts.clear();
    for (const s of series) {
      if (!s.has[k]) continue;
      const labels = groupingLabels(setLabel(s.labels, label, formatGoFloatFixed(s.vals[k])), e.without, names);
      const key = labelsKey(labels);
      const c = counts.get(key);
      if (c) c.count++;
      else counts.set(key, { labels, count: 1 });
    }
    for (const [key, c] of counts) out.set(out.series(c.labels, key), k, c.count);
  }
  return out.result();
}
