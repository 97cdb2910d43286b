import { lex, type Token } from '../lexer';
import { parseDuration, parseGoFloat, parseNumber, unquoteString } from '../literals';
import { type CounterResetHint, type TestHistogram, combineHistograms, emptyHistogram } from './histogram';

/** Label name → value. */
export type Labels = Record<string, string>;

/**
 * One position of a series in the test notation: a float (`stale` is a float with
 * `stale: true`, the staleness marker), a histogram, or nothing (`_`).
 */
export type SequenceValue =
  | { kind: 'omitted' }
  | { kind: 'float'; value: number; stale: boolean }
  | { kind: 'histogram'; histogram: TestHistogram; counterResetHintSet: boolean };

export class SeriesSyntaxError extends Error {}

/**
 * Parses a series description (`metric{label="v"} 1+2x3 _ stale {{schema:0 sum:1 count:1}}x2`)
 * as Prometheus's `ParseSeriesDesc` does: `a+bxN` and `a-bxN` expand to N+1 values, `axN` to
 * N+1 copies, `_xN` to N gaps; numbers may be durations (`1m` = 60), Inf, NaN.
 */
export function parseSeriesDesc(line: string): { labels: Labels; values: SequenceValue[] } {
  const { labels, rest } = parseMetric(line);
  const values: SequenceValue[] = [];
  for (const item of splitItems(rest)) values.push(...expandItem(item));
  return { labels, values };
}

/** Parses `name{a="b", "c.d"="e"}` or `{…}` at the start of a line; returns the labels and the rest. */
export function parseMetric(line: string): { labels: Labels; rest: string } {
  const s = line.trimStart();
  const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(s);
  let end = m ? m[0].length : 0;
  if (s[end] === '{') end = closingBrace(s, end);
  const metric = s.slice(0, end);
  const labels: Labels = {};
  const tokens = lex(metric).filter((t) => t.type !== 'COMMENT');
  let i = 0;
  const peek = (): Token => {
    const t = tokens[Math.min(i, tokens.length - 1)];
    if (t.type === 'ERROR') throw new SeriesSyntaxError(t.val);
    return t;
  };
  const fail = (what: string): never => {
    throw new SeriesSyntaxError(`unexpected ${JSON.stringify(peek().val)} in ${what} of ${JSON.stringify(line)}`);
  };
  if (peek().type !== 'LEFT_BRACE' && peek().type !== 'EOF') labels.__name__ = tokens[i++].val;
  if (peek().type === 'LEFT_BRACE') {
    i++;
    while (peek().type !== 'RIGHT_BRACE') {
      const name = peek();
      if (name.type !== 'IDENTIFIER' && name.type !== 'STRING') fail('label set');
      i++;
      const label = name.type === 'STRING' ? unquoteString(name.val) : name.val;
      if (peek().type === 'EQL') {
        i++;
        if (peek().type !== 'STRING') fail('label set');
        labels[label] = unquoteString(tokens[i++].val);
      } else if (name.type === 'STRING') {
        labels.__name__ = label;
      } else {
        fail('label set');
      }
      if (peek().type === 'COMMA') i++;
      else if (peek().type !== 'RIGHT_BRACE') fail('label set');
    }
    i++;
  }
  if (peek().type !== 'EOF') fail('metric');
  return { labels, rest: s.slice(end) };
}

function closingBrace(s: string, open: number): number {
  let quote = '';
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '}') return i + 1;
  }
  return s.length;
}

/** Splits the values part at whitespace, keeping `{{…}}` groups (which contain spaces) whole. */
function splitItems(rest: string): string[] {
  const items: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i];
    if (rest.startsWith('{{', i)) {
      depth++;
      cur += '{{';
      i++;
    } else if (rest.startsWith('}}', i) && depth > 0) {
      depth--;
      cur += '}}';
      i++;
    } else if (/\s/.test(c) && depth === 0) {
      if (cur) items.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (depth > 0) throw new SeriesSyntaxError(`unclosed histogram description in ${JSON.stringify(rest.trim())}`);
  if (cur) items.push(cur);
  return items;
}

const NUM = String.raw`(?:inf|nan|[0-9]+(?:ms|[smhdwy])(?:[0-9]+(?:ms|[smhdw]))*|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)`;
const FLOAT_ITEM = new RegExp(`^([+-]?${NUM})(?:([+-]${NUM}))?(?:x([0-9]+))?$`, 'i');

function seriesNumber(s: string): number {
  const sign = s.startsWith('-') ? -1 : 1;
  const body = s.replace(/^[+-]/, '');
  if (/^[0-9]+(?:ms|[smhdwy])/.test(body) && !/^[0-9]+e/i.test(body)) return (sign * parseDuration(body)) / 1000;
  const f = parseGoFloat(body);
  if (f.ok) return sign * f.value;
  return sign * parseNumber(body);
}

function repetitions(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new SeriesSyntaxError(`invalid repetition in series values: ${s}`);
  return n;
}

function expandItem(item: string): SequenceValue[] {
  if (item === '_') return [{ kind: 'omitted' }];
  const blank = /^_x([0-9]+)$/.exec(item);
  if (blank) return Array.from({ length: repetitions(blank[1])! }, () => ({ kind: 'omitted' }) as const);
  if (item === 'stale') return [{ kind: 'float', value: NaN, stale: true }];
  if (item.startsWith('{{')) return expandHistogramItem(item);
  const m = FLOAT_ITEM.exec(item);
  if (!m) throw new SeriesSyntaxError(`unexpected ${JSON.stringify(item)} in series values, expected number or "stale"`);
  const start = seriesNumber(m[1]);
  const times = repetitions(m[3]);
  if (m[2] !== undefined && times === undefined) throw new SeriesSyntaxError(`missing "x<count>" after ${JSON.stringify(item)} in series values`);
  if (times === undefined) return [{ kind: 'float', value: start, stale: false }];
  const inc = m[2] !== undefined ? seriesNumber(m[2]) : 0;
  const out: SequenceValue[] = [];
  let v = start;
  for (let k = 0; k <= times; k++) {
    out.push({ kind: 'float', value: v, stale: false });
    v += inc;
  }
  return out;
}

function expandHistogramItem(item: string): SequenceValue[] {
  const m = /^(\{\{.*?\}\})(?:([+-])(\{\{.*?\}\}))?(?:x([0-9]+))?$/.exec(item);
  if (!m) throw new SeriesSyntaxError(`invalid histogram series item ${JSON.stringify(item)}`);
  const base = parseHistogram(m[1]);
  const times = repetitions(m[4]);
  if (m[2] === undefined) {
    const n = times === undefined ? 1 : times + 1;
    return Array.from({ length: n }, () => ({ kind: 'histogram', histogram: base.histogram, counterResetHintSet: base.hintSet }) as const);
  }
  if (times === undefined) throw new SeriesSyntaxError(`missing "x<count>" after ${JSON.stringify(item)} in series values`);
  const inc = parseHistogram(m[3]);
  const out: SequenceValue[] = [{ kind: 'histogram', histogram: base.histogram, counterResetHintSet: inc.hintSet }];
  let cur = base.histogram;
  for (let k = 1; k <= times; k++) {
    try {
      cur = combineHistograms(cur, inc.histogram, m[2] === '+' ? 1 : -1);
    } catch (err) {
      throw new SeriesSyntaxError((err as Error).message);
    }
    out.push({ kind: 'histogram', histogram: cur, counterResetHintSet: inc.hintSet });
  }
  return out;
}

const HINTS: readonly CounterResetHint[] = ['unknown', 'reset', 'not_reset', 'gauge'];

/** Parses `{{schema:1 sum:3 count:22 buckets:[5 10 7] offset:1 n_buckets:[…] z_bucket:… custom_values:[…] counter_reset_hint:gauge}}`. */
export function parseHistogram(desc: string): { histogram: TestHistogram; hintSet: boolean } {
  const body = desc.slice(2, -2).trim();
  const h = emptyHistogram();
  let hintSet = false;
  const seen = new Set<string>();
  const re = /\s*([a-z_]+):\s*(\[[^\]]*\]|\S+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  let buckets: number[] = [];
  let nBuckets: number[] = [];
  let offset = 0;
  let nOffset = 0;
  while ((m = re.exec(body)) !== null) {
    pos = re.lastIndex;
    const [, key, raw] = m;
    if (seen.has(key)) throw new SeriesSyntaxError(`duplicate key "${key}" in histogram`);
    seen.add(key);
    const num = () => seriesNumber(raw);
    const int = () => {
      if (!/^-?[0-9]+$/.test(raw)) throw new SeriesSyntaxError(`error parsing ${key} number: ${raw}`);
      return Number(raw);
    };
    const list = () => {
      if (!raw.startsWith('[')) throw new SeriesSyntaxError(`error parsing ${key} float array: ${raw}`);
      return raw.slice(1, -1).trim().split(/\s+/).filter(Boolean).map(seriesNumber);
    };
    switch (key) {
      case 'schema':
        h.schema = int();
        break;
      case 'sum':
        h.sum = num();
        break;
      case 'count':
        h.count = num();
        break;
      case 'z_bucket':
        h.zeroCount = num();
        break;
      case 'z_bucket_w':
        h.zeroThreshold = num();
        break;
      case 'custom_values':
        h.customValues = list();
        break;
      case 'buckets':
        buckets = list();
        break;
      case 'offset':
        offset = int();
        break;
      case 'n_buckets':
        nBuckets = list();
        break;
      case 'n_offset':
        nOffset = int();
        break;
      case 'counter_reset_hint':
        if (!HINTS.includes(raw as CounterResetHint)) throw new SeriesSyntaxError(`error parsing counter_reset_hint: unknown value ${raw}`);
        h.counterResetHint = raw as CounterResetHint;
        hintSet = true;
        break;
      default:
        throw new SeriesSyntaxError(`bad histogram descriptor found: ${JSON.stringify(key)}`);
    }
  }
  if (body.slice(pos).trim() !== '') throw new SeriesSyntaxError(`unexpected ${JSON.stringify(body.slice(pos).trim())} in histogram description`);
  if (buckets.length > 0) {
    h.positiveSpans = [{ offset, length: buckets.length }];
    h.positiveBuckets = buckets;
  }
  if (nBuckets.length > 0) {
    h.negativeSpans = [{ offset: nOffset, length: nBuckets.length }];
    h.negativeBuckets = nBuckets;
  }
  return { histogram: h, hintSet };
}
