import { isIP } from 'node:net';
import { type Labels, compareUtf8 } from '@panoptes/block-formats';
import { goQuote, parseDuration } from '@panoptes/promql';
import { compileRegex } from '@panoptes/tsdb';
import { BUILTINS, queryEscape, type TemplateFunc, sprintf, GoHTML, GoInt, GoMap, GoSlice, GoStruct, GoTime, type GoValue, formatGoTime, typeName } from '@panoptes/gotemplate';

/**
 * Prometheus's template functions (template/template.go and common's helpers/templates), with
 * their argument types, conversions and error texts.
 */

/** Runs PromQL for the `query` function: an instant vector (a scalar comes back as one sample). */
export type TemplateQueryFunc = (query: string, timeMs: number, signal?: AbortSignal) => Promise<readonly { labels: Labels; v: number }[]>;

export interface TemplateFuncOptions {
  /** The evaluation time, ms: what `now` returns and where `query` runs. */
  timestampMs: number;
  /** Without it `query` fails ("query function is not available"). */
  query?: TemplateQueryFunc;
  /** What `externalURL` returns; its path is `pathPrefix`. */
  externalURL: string;
  signal?: AbortSignal;
}

const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';

/** Every function name a template may call: parse-time checks use it. */
export const TEMPLATE_FUNCTION_NAMES: ReadonlySet<string> = new Set([
  ...BUILTINS.keys(),
  ...['query', 'first', 'label', 'value', 'strvalue', 'args', 'reReplaceAll', 'safeHtml', 'match', 'title', 'toUpper', 'toLower'],
  ...['graphLink', 'tableLink', 'sortByLabel', 'humanize', 'humanize1024', 'humanizeDuration', 'humanizePercentage'],
  ...['humanizeTimestamp', 'toTime', 'now', 'pathPrefix', 'externalURL', 'parseDuration', 'stripPort', 'stripDomain'],
]);

export function sampleValue(labels: Labels, v: number): GoStruct {
  return new GoStruct('*template.sample', new Map<string, GoValue>([['Labels', GoMap.ofStrings(new Map(labels))], ['Value', v]]), true);
}

const GO_FLOAT = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$/i;

/** common's `ConvertToFloat`: float64, int, a string parsed by strconv.ParseFloat. */
export function convertToFloat(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (v instanceof GoInt) return v.value;
  if (typeof v === 'string') {
    if (!GO_FLOAT.test(v)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(v)}: invalid syntax`);
    const lower = v.toLowerCase().replace(/^\+/, '');
    if (lower === 'nan') return NaN;
    if (lower === 'inf' || lower === 'infinity') return Infinity;
    if (lower === '-inf' || lower === '-infinity') return -Infinity;
    const f = Number(v);
    if (!Number.isFinite(f)) throw new Error(`strconv.ParseFloat: parsing ${goQuote(v)}: value out of range`);
    return f;
  }
  throw new Error(`can't convert ${v === null ? '<nil>' : typeName(v)} to float`);
}

const g4 = (v: number): string => sprintf('%.4g', [v]);

export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  if (Math.abs(v) >= 1) {
    let prefix = '';
    for (const p of ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y']) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    v = Math.abs(v);
    const total = Math.trunc(v);
    const seconds = total % 60;
    const minutes = Math.trunc(total / 60) % 60;
    const hours = Math.trunc(total / 3600) % 24;
    const days = Math.trunc(total / 86400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = '';
  for (const p of ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}

/** Prometheus's `floatToTime`: seconds to a time truncated to the millisecond. */
function floatToTime(v: number): GoTime {
  if (!Number.isFinite(v)) throw new Error('value is NaN or Inf');
  const ns = v * 1e9;
  if (ns >= 2 ** 63 || ns < -(2 ** 63)) {
    throw new Error(`${sprintf('%v', [v])} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  }
  return new GoTime(Number(BigInt(Math.trunc(ns)) / 1_000_000n));
}

const regexCache = new Map<string, RegExp>();

/** A Go (RE2) regexp, unanchored as `regexp.MustCompile` is; `.` does not match `\n` unless `(?s)`. */
function goRegexp(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re) return re;
  let anchored: RegExp;
  try {
    anchored = compileRegex(pattern);
  } catch (err) {
    throw new Error(`error parsing regexp: ${err instanceof Error ? err.message : String(err)}`);
  }
  const leading = /^\(\?([ims]+)\)/.exec(pattern)?.[1] ?? '';
  const flags = `g${anchored.flags.includes('i') ? 'i' : ''}${anchored.flags.includes('m') ? 'm' : ''}${leading.includes('s') ? 's' : ''}`;
  re = new RegExp(anchored.source.slice(4, -2), flags);
  if (regexCache.size >= 256) regexCache.clear();
  regexCache.set(pattern, re);
  return re;
}

/** Go's `Regexp.Expand` template syntax: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expandReplacement(repl: string, m: RegExpExecArray): string {
  return repl.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))?/g, (all, _x, braced?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined) return '$';
    const v = /^[0-9]+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    return v ?? '';
  });
}

/** Go's `Regexp.ReplaceAllString`, including how it skips an empty match right after a match. */
export function reReplaceAll(pattern: string, repl: string, text: string): string {
  const re = goRegexp(pattern);
  let out = '';
  let lastEnd = 0;
  let search = 0;
  while (search <= text.length) {
    re.lastIndex = search;
    const m = re.exec(text);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += text.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expandReplacement(repl, m);
    lastEnd = end;
    const width = (text.codePointAt(search) ?? 0) > 0xffff ? 2 : 1;
    search = search + width > end ? search + width : end;
  }
  return out + text.slice(lastEnd);
}

const WORD = /[\p{L}\p{N}_]/u;
const MID_WORD = /[.'’:]/;
const LETTER = /\p{L}/u;

/**
 * `cases.Title(language.AmericanEnglish, cases.NoLower)` (Prometheus 3): the first letter of each
 * word upper-cased, the rest kept. Words run over letters, digits and `_`, and over `.` `'` `:`
 * between letters (`it's` stays one word), as Unicode word segmentation has it.
 */
export function title(s: string): string {
  const chars = [...s];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const prev = chars[i - 1];
    const inWord = prev !== undefined && (WORD.test(prev) || (MID_WORD.test(prev) && i >= 2 && LETTER.test(chars[i - 2])));
    out += !inWord && LETTER.test(chars[i]) ? chars[i].toUpperCase() : chars[i];
  }
  return out;
}

/** Go's `net.SplitHostPort`; undefined when it fails. */
function splitHostPort(hp: string): [string, string] | undefined {
  let host: string;
  let port: string;
  if (hp.startsWith('[')) {
    // The first ']' must sit just before the last ':'.
    const end = hp.indexOf(']');
    if (end < 0 || end + 1 !== hp.lastIndexOf(':')) return undefined;
    host = hp.slice(1, end);
    port = hp.slice(end + 2);
  } else {
    const i = hp.lastIndexOf(':');
    if (i < 0) return undefined;
    host = hp.slice(0, i);
    port = hp.slice(i + 1);
    if (host.includes(':')) return undefined;
  }
  if (/[[\]]/.test(host) || port.includes(']')) return undefined;
  return [host, port];
}

export function stripPort(hostPort: string): string {
  return splitHostPort(hostPort)?.[0] ?? hostPort;
}

export function stripDomain(hostPort: string): string {
  const split = splitHostPort(hostPort);
  const host = split ? split[0] : hostPort;
  const port = split ? split[1] : '';
  if (isIP(host) !== 0) return hostPort;
  const short = host.split('.')[0];
  if (port !== '') return short.includes(':') ? `[${short}]:${port}` : `${short}:${port}`;
  return short;
}

function sampleOf(v: GoValue): GoStruct {
  if (v === null) throw new Error(NIL_DEREF);
  return v as GoStruct;
}

function sampleLabel(s: GoStruct, name: string): string {
  const labels = s.fields.get('Labels') as GoMap;
  return (labels.entries.get(name) as string | undefined) ?? '';
}

/** The functions of one expansion: builtins plus Prometheus's, bound to its time and query. */
export function prometheusFuncs(opts: TemplateFuncOptions): Map<string, TemplateFunc> {
  const fns = new Map<string, TemplateFunc>(BUILTINS);
  const def = (name: string, fn: TemplateFunc): void => void fns.set(name, fn);
  const str = (name: string, f: (s: string) => GoValue): void => def(name, { params: ['string'], call: ([s]) => f(s as string) });
  const num = (name: string, f: (v: number) => GoValue): void => def(name, { params: ['any'], call: ([v]) => f(convertToFloat(v)) });
  let pathPrefix = '';
  try {
    pathPrefix = opts.externalURL === '' ? '' : new URL(opts.externalURL).pathname.replace(/^\/$/, '');
  } catch {
    pathPrefix = '';
  }
  def('query', {
    params: ['string'],
    call: async ([q]) => {
      if (!opts.query) throw new Error('query function is not available');
      const vector = await opts.query(q as string, opts.timestampMs, opts.signal);
      return new GoSlice('template.queryResult', vector.map((s) => sampleValue(s.labels, s.v)));
    },
  });
  def('first', {
    params: ['queryResult'],
    call: ([v]) => {
      const items = (v as GoSlice).items;
      if (items.length === 0) throw new Error('first() called on vector with no elements');
      return items[0];
    },
  });
  def('label', { params: ['string', 'sample'], call: ([l, s]) => sampleLabel(sampleOf(s), l as string) });
  def('value', { params: ['sample'], call: ([s]) => sampleOf(s).fields.get('Value')! });
  def('strvalue', { params: ['sample'], call: ([s]) => sampleLabel(sampleOf(s), '__value__') });
  def('args', { params: [], variadic: 'any', call: (a) => new GoMap('map[string]interface {}', null, new Map(a.map((v, i) => [`arg${i}`, v]))) });
  def('reReplaceAll', { params: ['string', 'string', 'string'], call: ([p, r, t]) => reReplaceAll(p as string, r as string, t as string) });
  str('safeHtml', (s) => new GoHTML(s));
  def('match', {
    params: ['string', 'string'],
    call: ([p, t]) => {
      const re = goRegexp(p as string);
      re.lastIndex = 0;
      return re.test(t as string);
    },
  });
  str('title', title);
  str('toUpper', (s) => s.toUpperCase());
  str('toLower', (s) => s.toLowerCase());
  str('graphLink', (e) => `/graph?g0.expr=${queryEscape(e)}&g0.tab=0`);
  str('tableLink', (e) => `/graph?g0.expr=${queryEscape(e)}&g0.tab=1`);
  def('sortByLabel', {
    params: ['string', 'queryResult'],
    call: ([l, v]) => {
      const items = [...(v as GoSlice).items].sort((a, b) => compareUtf8(sampleLabel(a as GoStruct, l as string), sampleLabel(b as GoStruct, l as string)));
      return new GoSlice('template.queryResult', items);
    },
  });
  num('humanize', humanize);
  num('humanize1024', humanize1024);
  num('humanizeDuration', humanizeDuration);
  num('humanizePercentage', (v) => `${g4(v * 100)}%`);
  num('humanizeTimestamp', (v) => (Number.isFinite(v) ? formatGoTime(floatToTime(v).unixMs) : g4(v)));
  num('toTime', floatToTime);
  def('now', { params: [], call: () => opts.timestampMs / 1000 });
  def('pathPrefix', { params: [], call: () => pathPrefix });
  def('externalURL', { params: [], call: () => opts.externalURL });
  str('parseDuration', (d) => parseDuration(d) / 1000);
  str('stripPort', stripPort);
  str('stripDomain', stripDomain);
  return fns;
}
