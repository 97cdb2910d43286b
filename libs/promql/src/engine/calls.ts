import { type Labels, compareLabels } from '@panoptes/block-formats';
import type { Call, Expr } from '../ast';
import { PromQLExecutionError } from '../errors';
import { type Evaluator, forEachWindow, unwrapParens } from './evaluator';
import {
  COUNTS_DROPS,
  RANGE_FUNCTIONS,
  SIMPLE_FUNCTIONS,
  type FunctionNotes,
  type RangeWindow,
  bucketFraction,
  bucketQuantile,
  clampGivesNoSample,
  countDrops,
  invalidQuantileMessage,
  labelJoin,
  labelReplace,
  naturalLess,
  parseLe,
} from './functions';
import { METRIC_NAME, dropMetricName, formatLabels, getLabel, labelsKey, setLabel } from './labels';
import { formatGoFloatFixed } from '../literals';
import {
  type Grid,
  type MatrixValue,
  type ScalarValue,
  type StepSeries,
  type Value,
  type VectorValue,
  gridTime,
  mergeSameLabels,
  newStepSeries,
} from './values';

/** Range functions whose result keeps the metric name (they return a sample as it is). */
const KEEPS_NAME = new Set(['last_over_time', 'first_over_time']);
const DATE_FUNCTIONS = new Set(['day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'hour', 'minute', 'month', 'year']);
const NATIVE_HISTOGRAM_FUNCTIONS = new Set(['histogram_count', 'histogram_sum', 'histogram_avg', 'histogram_stddev', 'histogram_stdvar']);

export async function evalCall(ev: Evaluator, e: Call, g: Grid): Promise<Value> {
  const name = e.func.name;
  const matrixArg = e.func.argTypes.indexOf('matrix');
  if (name === 'absent_over_time') return absentOverTime(ev, e, g);
  if (matrixArg >= 0 && RANGE_FUNCTIONS[name]) return rangeFunction(ev, e, matrixArg, g);
  switch (name) {
    case 'time':
      return scalarOf(g, (k) => gridTime(g, k) / 1000);
    case 'pi':
      return scalarOf(g, () => Math.PI);
    case 'step':
      return scalarOf(g, () => ev.settings.stepMs / 1000);
    case 'range':
      return scalarOf(g, () => (ev.settings.endMs - ev.settings.startMs) / 1000);
    case 'start':
      return scalarOf(g, () => ev.settings.startMs / 1000);
    case 'end':
      return scalarOf(g, () => ev.settings.endMs / 1000);
    case 'min_of':
    case 'max_of': {
      const a = (await ev.evalScalar(e.args[0], g)).vals;
      const b = (await ev.evalScalar(e.args[1], g)).vals;
      const min = name === 'min_of';
      return scalarOf(g, (k) => (Number.isNaN(a[k]) || Number.isNaN(b[k]) ? NaN : min ? Math.min(a[k], b[k]) : Math.max(a[k], b[k])));
    }
    case 'vector': {
      const s = await ev.evalScalar(e.args[0], g);
      return { kind: 'vector', series: [{ labels: [], vals: s.vals, has: new Uint8Array(g.n).fill(1) }] };
    }
    case 'scalar':
      return scalarFn(await ev.evalVector(e.args[0], g), g);
    case 'timestamp':
      return timestampFn(ev, e, g);
    case 'absent':
      return absent(ev, e, g);
    case 'label_replace':
    case 'label_join':
      return labelFunction(ev, e, g);
    case 'sort':
    case 'sort_desc':
    case 'sort_by_label':
    case 'sort_by_label_desc':
      return sortFunction(ev, e, g);
    case 'histogram_quantile':
    case 'histogram_quantiles':
    case 'histogram_fraction':
      return classicHistogramFunction(ev, e, g);
    case 'info':
      throw new PromQLExecutionError('info() is not supported by this engine');
  }
  if (NATIVE_HISTOGRAM_FUNCTIONS.has(name)) {
    // Float samples are no native histograms: these functions give nothing for them.
    await ev.evalVector(e.args[e.args.length - 1], g);
    return { kind: 'vector', series: [] };
  }
  const simple = SIMPLE_FUNCTIONS[name];
  if (simple) return simpleFunction(ev, e, simple, g);
  throw new PromQLExecutionError(`function ${name}() is not supported by this engine`);
}

function scalarOf(g: Grid, f: (k: number) => number): ScalarValue {
  const vals = new Float64Array(g.n);
  for (let k = 0; k < g.n; k++) vals[k] = f(k);
  return { kind: 'scalar', vals };
}

/** Annotation sink for a function: texts get the position of the call's first argument. */
function notesFor(ev: Evaluator, e: Call): FunctionNotes {
  const pos = e.args[0]?.pos ?? e.pos;
  return { warn: (m) => ev.annotations.warn(m, pos), info: (m) => ev.annotations.info(m, pos) };
}

/** The scalar arguments (all but `skip`) as per-step arrays. */
async function scalarArgs(ev: Evaluator, e: Call, skip: number, g: Grid): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (let i = 0; i < e.args.length; i++) {
    if (i !== skip) out.push((await ev.evalScalar(e.args[i], g)).vals);
  }
  return out;
}

async function rangeFunction(ev: Evaluator, e: Call, matrixArg: number, g: Grid): Promise<VectorValue> {
  const fn = RANGE_FUNCTIONS[e.func.name];
  const params = await scalarArgs(ev, e, matrixArg, g);
  const m = await ev.evalMatrix(e.args[matrixArg], g);
  const keepName = KEEPS_NAME.has(e.func.name);
  const drops = COUNTS_DROPS.has(e.func.name);
  const args: number[] = new Array(params.length).fill(0);
  const w: RangeWindow = {
    ts: new Float64Array(0),
    vs: new Float64Array(0),
    lo: 0,
    hi: 0,
    rangeStart: 0,
    rangeEnd: 0,
    evalT: 0,
    metricName: '',
    notes: notesFor(ev, e),
  };
  const out: StepSeries[] = [];
  for (const s of m.series) {
    const pause = ev.tick();
    if (pause) await pause;
    const o = newStepSeries(keepName ? s.labels : dropMetricName(s.labels), g.n);
    w.ts = s.ts;
    w.vs = s.vs;
    if (drops) w.drops = countDrops(s.vs);
    w.metricName = getLabel(s.labels, METRIC_NAME);
    let any = false;
    forEachWindow(m, s, g, (k, lo, hi, ref) => {
      if (hi <= lo) return;
      for (let a = 0; a < params.length; a++) args[a] = params[a][k];
      w.lo = lo;
      w.hi = hi;
      w.rangeStart = ref - m.rangeMs;
      w.rangeEnd = ref;
      w.evalT = gridTime(g, k);
      const v = fn(w, args);
      if (v === undefined) return;
      o.vals[k] = v;
      o.has[k] = 1;
      any = true;
    });
    if (any) out.push(o);
  }
  return { kind: 'vector', series: rejectSameLabels(out) };
}

/** Range functions refuse series whose labels became equal, at any step (Prometheus's matrix-function rule). */
function rejectSameLabels(series: StepSeries[]): StepSeries[] {
  if (series.length < 2) return series;
  const seen = new Set<string>();
  for (const s of series) {
    const key = labelsKey(s.labels);
    if (seen.has(key)) throw new PromQLExecutionError('vector cannot contain metrics with the same labelset');
    seen.add(key);
  }
  return series;
}


/** The labels `absent()` gives its 1: the equality matchers of a plain selector argument. */
function absentLabels(arg: Expr): Labels {
  const inner = unwrapParens(arg);
  const vs = inner.type === 'VectorSelector' ? inner : inner.type === 'MatrixSelector' ? inner.vectorSelector : undefined;
  if (!vs) return [];
  const out = new Map<string, string>();
  const seen = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME) continue;
    if (m.type === '=' && !seen.has(m.name)) {
      out.set(m.name, m.value);
      seen.add(m.name);
    } else {
      out.delete(m.name);
    }
  }
  return [...out.entries()].filter(([, v]) => v !== '').sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

async function absent(ev: Evaluator, e: Call, g: Grid): Promise<VectorValue> {
  const v = await ev.evalVector(e.args[0], g);
  const o = newStepSeries(absentLabels(e.args[0]), g.n);
  for (let k = 0; k < g.n; k++) {
    if (v.series.some((s) => s.has[k])) continue;
    o.vals[k] = 1;
    o.has[k] = 1;
  }
  return { kind: 'vector', series: o.has.includes(1) ? [o] : [] };
}

async function absentOverTime(ev: Evaluator, e: Call, g: Grid): Promise<VectorValue> {
  const m: MatrixValue = await ev.evalMatrix(e.args[0], g);
  const present = new Uint8Array(g.n);
  for (const s of m.series) {
    forEachWindow(m, s, g, (k, lo, hi) => {
      if (hi > lo) present[k] = 1;
    });
  }
  const o = newStepSeries(absentLabels(e.args[0]), g.n);
  for (let k = 0; k < g.n; k++) {
    if (present[k]) continue;
    o.vals[k] = 1;
    o.has[k] = 1;
  }
  return { kind: 'vector', series: o.has.includes(1) ? [o] : [] };
}

function scalarFn(v: VectorValue, g: Grid): ScalarValue {
  return scalarOf(g, (k) => {
    let found = -1;
    for (let i = 0; i < v.series.length; i++) {
      if (!v.series[i].has[k]) continue;
      if (found >= 0) return NaN;
      found = i;
    }
    return found < 0 ? NaN : v.series[found].vals[k];
  });
}

async function timestampFn(ev: Evaluator, e: Call, g: Grid): Promise<VectorValue> {
  const v = await ev.evalVector(e.args[0], g);
  // The sample's own time only for a plain selector; anything computed is stamped with the step.
  const selector = unwrapParens(e.args[0]).type === 'VectorSelector';
  const out = v.series.map((s) => {
    const o = newStepSeries(dropMetricName(s.labels), g.n);
    for (let k = 0; k < g.n; k++) {
      if (!s.has[k]) continue;
      o.has[k] = 1;
      o.vals[k] = (selector && s.sampleTs ? s.sampleTs[k] : gridTime(g, k)) / 1000;
    }
    return o;
  });
  return { kind: 'vector', series: mergeSameLabels(out) };
}

async function stringArg(ev: Evaluator, e: Expr, g: Grid): Promise<string> {
  const v = await ev.eval(e, g);
  if (v.kind !== 'string') throw new PromQLExecutionError(`expected string, got ${v.kind}`);
  return v.val;
}

async function labelFunction(ev: Evaluator, e: Call, g: Grid): Promise<VectorValue> {
  const strs: string[] = [];
  for (const a of e.args.slice(1)) strs.push(await stringArg(ev, a, g));
  const relabel =
    e.func.name === 'label_replace'
      ? (l: Labels) => labelReplace(l, strs[0], strs[1], strs[2], strs[3])
      : (l: Labels) => labelJoin(l, strs[0], strs[1], strs.slice(2));
  relabel([]); // checks the arguments (regex, label names) even when the vector is empty
  const v = await ev.evalVector(e.args[0], g);
  const out = v.series.map((s) => ({ ...s, labels: relabel(s.labels) }));
  return { kind: 'vector', series: mergeSameLabels(out.map((s) => ({ labels: s.labels, vals: s.vals.slice(), has: s.has.slice() }))) };
}

async function sortFunction(ev: Evaluator, e: Call, g: Grid): Promise<VectorValue> {
  const v = await ev.evalVector(e.args[0], g);
  if (ev.settings.stepMs > 0) {
    ev.annotations.warn('sort is ineffective for range queries since results are always ordered by labels', e.pos);
  }
  if (g.n !== 1) return v; // range results are ordered by labels anyway
  const series = v.series.slice();
  const name = e.func.name;
  if (name === 'sort' || name === 'sort_desc') {
    const desc = name === 'sort_desc';
    series.sort((a, b) => {
      const x = a.vals[0];
      const y = b.vals[0];
      if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
      if (Number.isNaN(y)) return -1;
      return desc ? y - x : x - y;
    });
  } else {
    const names: string[] = [];
    for (const a of e.args.slice(1)) names.push(await stringArg(ev, a, g));
    const desc = name === 'sort_by_label_desc';
    series.sort((a, b) => {
      let c = 0;
      for (const n of names) {
        const x = getLabel(a.labels, n);
        const y = getLabel(b.labels, n);
        if (x === y) continue;
        c = naturalLess(x, y) ? -1 : 1;
        break;
      }
      if (c === 0) c = compareLabels(a.labels, b.labels);
      return desc ? -c : c;
    });
  }
  return { kind: 'vector', series };
}

async function simpleFunction(ev: Evaluator, e: Call, fn: (v: number, args: readonly number[]) => number, g: Grid): Promise<VectorValue> {
  const name = e.func.name;
  let input: VectorValue;
  let params: Float64Array[];
  if (e.args.length === 0 && DATE_FUNCTIONS.has(name)) {
    // No argument: the function of vector(time()).
    const vals = new Float64Array(g.n);
    for (let k = 0; k < g.n; k++) vals[k] = gridTime(g, k) / 1000;
    input = { kind: 'vector', series: [{ labels: [], vals, has: new Uint8Array(g.n).fill(1) }] };
    params = [];
  } else {
    params = await scalarArgs(ev, e, 0, g);
    input = await ev.evalVector(e.args[0], g);
  }
  const clamp = name === 'clamp';
  const args: number[] = new Array(params.length).fill(0);
  const out: StepSeries[] = [];
  for (const s of input.series) {
    const pause = ev.tick();
    if (pause) await pause;
    const o = newStepSeries(dropMetricName(s.labels), g.n);
    for (let k = 0; k < g.n; k++) {
      if (!s.has[k]) continue;
      for (let a = 0; a < params.length; a++) args[a] = params[a][k];
      if (clamp && clampGivesNoSample(args[0], args[1])) continue;
      o.vals[k] = fn(s.vals[k], args);
      o.has[k] = 1;
    }
    out.push(o);
  }
  return { kind: 'vector', series: mergeSameLabels(out.filter((s) => s.has.includes(1))) };
}

/** Go's `FormatFloat(q, 'f', -1, 64)` with a `.0` added to whole numbers: histogram_quantiles' label values. */
function quantileLabel(q: number): string {
  const f = formatGoFloatFixed(q);
  return /^-?\d+$/.test(f) ? `${f}.0` : f;
}

/**
 * histogram_quantile, histogram_quantiles and histogram_fraction over classic histograms: the
 * `_bucket` series grouped by their labels without `le` and the metric name, one computation per
 * group and step over the buckets present at that step.
 */
async function classicHistogramFunction(ev: Evaluator, e: Call, g: Grid): Promise<VectorValue> {
  const name = e.func.name;
  const vectorArg = name === 'histogram_quantile' ? 1 : name === 'histogram_quantiles' ? 0 : 2;
  const pos = e.args[vectorArg].pos;
  let quantiles: { vals: Float64Array; label: string }[] = [];
  let fraction: { lower: Float64Array; upper: Float64Array } | undefined;
  let qLabel = '';
  if (name === 'histogram_quantile') {
    quantiles = [{ vals: (await ev.evalScalar(e.args[0], g)).vals, label: '' }];
  } else if (name === 'histogram_quantiles') {
    qLabel = await stringArg(ev, e.args[1], g);
    for (const a of e.args.slice(2)) {
      const vals = (await ev.evalScalar(a, g)).vals;
      quantiles.push({ vals, label: quantileLabel(vals[0]) });
    }
  } else {
    fraction = { lower: (await ev.evalScalar(e.args[0], g)).vals, upper: (await ev.evalScalar(e.args[1], g)).vals };
  }
  for (const q of quantiles) {
    for (let k = 0; k < g.n; k++) {
      const x = q.vals[k];
      if (Number.isNaN(x) || x < 0 || x > 1) ev.annotations.warn(invalidQuantileMessage(x), name === 'histogram_quantile' ? e.args[0].pos : pos);
    }
  }
  const v = await ev.evalVector(e.args[vectorArg], g);
  const notes: FunctionNotes = { warn: (m) => ev.annotations.warn(m, pos), info: (m) => ev.annotations.info(m, pos) };
  // Group the buckets once: labels without `le` and the metric name.
  const groups = new Map<string, { labels: Labels; members: number[]; les: number[]; name: string }>();
  v.series.forEach((s, i) => {
    const le = parseLe(getLabel(s.labels, 'le'));
    const metric = getLabel(s.labels, METRIC_NAME);
    if (le === undefined) {
      ev.annotations.warn(`bucket label "le" is missing or has a malformed value of ${JSON.stringify(getLabel(s.labels, 'le'))} for metric name ${JSON.stringify(metric)}`, pos);
      return;
    }
    const labels = s.labels.filter(([n]) => n !== 'le' && n !== METRIC_NAME);
    if (qLabel !== '' && getLabel(labels, qLabel) !== '') {
      throw new PromQLExecutionError(`label ${JSON.stringify(qLabel)} given to histogram_quantiles() is already a label of ${formatLabels(s.labels)}`);
    }
    // Buckets of different histograms never mix: the key keeps the metric name (dropped from the output).
    const key = labelsKey(s.labels.filter(([n]) => n !== 'le'));
    let grp = groups.get(key);
    if (!grp) {
      grp = { labels, members: [], les: [], name: metric };
      groups.set(key, grp);
    }
    grp.members.push(i);
    grp.les.push(le);
  });
  const out: StepSeries[] = [];
  const bounds = new Float64Array(v.series.length);
  const counts = new Float64Array(v.series.length);
  const fill = (grp: { members: number[]; les: number[] }, k: number): number => {
    let n = 0;
    grp.members.forEach((i, j) => {
      if (!v.series[i].has[k]) return;
      bounds[n] = grp.les[j];
      counts[n] = v.series[i].vals[k];
      n++;
    });
    return n;
  };
  for (const grp of groups.values()) {
    const pause = ev.tick();
    if (pause) await pause;
    const outs = fraction
      ? [newStepSeries(grp.labels, g.n)]
      : quantiles.map((q) => newStepSeries(qLabel === '' ? grp.labels : setLabel(grp.labels, qLabel, q.label), g.n));
    for (let k = 0; k < g.n; k++) {
      if (fraction) {
        const n = fill(grp, k);
        if (n === 0) continue;
        outs[0].vals[k] = bucketFraction(fraction.lower[k], fraction.upper[k], bounds, counts, n);
        outs[0].has[k] = 1;
        continue;
      }
      quantiles.forEach((q, qi) => {
        const n = fill(grp, k);
        if (n === 0) return;
        outs[qi].vals[k] = bucketQuantile(q.vals[k], bounds, counts, n, notes, grp.name);
        outs[qi].has[k] = 1;
      });
    }
    for (const o of outs) if (o.has.includes(1)) out.push(o);
  }
  return { kind: 'vector', series: mergeSameLabels(out) };
}
