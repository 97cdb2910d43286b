import { PromQLParseError, documentedType, exprType, goQuote, parseDuration, parseExpr } from '@panoptes/promql';
import type { Matcher } from '@panoptes/tsdb';
import { invalidParam } from './respond';
import type { ApiParams } from './types';

/**
 * Request parameters: building them from a request, and reading times, durations, limits and
 * series selectors out of them with Prometheus's rules and error texts.
 */

/**
 * Merges the query string and, for `application/x-www-form-urlencoded` bodies, the form body
 * into one multimap, body values first: Go's `r.Form`, so `get()` returns what Prometheus's
 * `r.FormValue` does and `getAll('match[]')` collects the values from both. Other bodies are
 * ignored, as Go's ParseForm ignores them.
 */
export function parseApiParams(queryString: string, contentType: string | undefined, rawBody: string | Uint8Array | undefined): URLSearchParams {
  const params = new URLSearchParams();
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded' && rawBody !== undefined && rawBody.length > 0) {
    const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength).toString('utf8');
    for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
  }
  const qs = queryString.startsWith('?') ? queryString.slice(1) : queryString;
  for (const [k, v] of new URLSearchParams(qs)) params.append(k, v);
  return params;
}

/** `r.FormValue(name)`: the first value, "" when absent. */
export function formValue(params: ApiParams, name: string): string {
  return params.get(name) ?? '';
}

/**
 * Prometheus's `MinTime` / `MaxTime` (the widest times a Go time.Time formats back and forth),
 * in ms: the defaults of `start` / `end` on series, labels and exemplars. Their RFC3339 forms are
 * accepted as parameters although their years have more than four digits.
 */
export const MIN_TIME_MS = -9223309901257974 * 1000;
export const MAX_TIME_MS = 9223309901257974 * 1000 + 999;
export const MIN_TIME_FORMATTED = '-292273086-05-16T16:47:06Z';
export const MAX_TIME_FORMATTED = '292277025-08-18T07:12:54.999999999Z';

const DECIMAL_FLOAT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/** Go's `strconv.ParseFloat` for decimal text; undefined for anything else or when out of range. */
function parseFiniteFloat(s: string): number | undefined {
  if (!DECIMAL_FLOAT.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Parses a timestamp parameter into ms: unix seconds as a float (rounded to the millisecond,
 * halves away from zero, as Prometheus's `parseTime` does), or RFC3339 with an optional fraction
 * (truncated to the millisecond). Throws with Prometheus's text otherwise.
 */
export function parseTime(s: string): number {
  const f = parseFiniteFloat(s);
  if (f !== undefined) {
    const sec = Math.trunc(f);
    const fracMs = f - sec === 0 ? 0 : Math.sign(f - sec) * Math.round(Math.abs(f - sec) * 1000);
    const nanos = Math.trunc((fracMs / 1000) * 1e9);
    return sec * 1000 + Math.floor(nanos / 1e6);
  }
  const rfc = parseRfc3339(s);
  if (rfc !== undefined) return rfc;
  if (s === MIN_TIME_FORMATTED) return MIN_TIME_MS;
  if (s === MAX_TIME_FORMATTED) return MAX_TIME_MS;
  throw new Error(`cannot parse ${goQuote(s)} to a valid timestamp`);
}

function parseRfc3339(s: string): number | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMs = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMs = (m[8][0] === '-' ? -1 : 1) * (oh * 3600_000 + om * 60_000);
  }
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3600_000 + minute * 60_000 + second * 1000 + ms - offsetMs;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (no Date object: it maps years 0–99 to 1900+). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** A time parameter that may be absent (then `fallback`); a bad value is a bad_data error naming it. */
export function timeParam(params: ApiParams, name: string, fallback: number): number {
  const v = formValue(params, name);
  if (v === '') return fallback;
  return requiredTimeParam(params, name);
}

/** A time parameter that must be present (`start` / `end` of range queries). */
export function requiredTimeParam(params: ApiParams, name: string): number {
  try {
    return parseTime(formValue(params, name));
  } catch (err) {
    throw invalidParam(name, (err as Error).message);
  }
}

/** float64(math.MaxInt64), which is 2^63: the bound Go checks durations against. */
const MAX_INT64_FLOAT = 2 ** 63;

/**
 * Parses a duration parameter (`step`, `timeout`, `lookback_delta`) into nanoseconds: float
 * seconds, or a Prometheus duration (`5m`, `1h30m`). Throws with Prometheus's text otherwise.
 */
export function parseDurationNs(s: string): number {
  const f = parseFiniteFloat(s);
  if (f !== undefined || /^[+-]?inf(inity)?$/i.test(s)) {
    const ns = (f ?? Infinity) * 1e9;
    if (ns > MAX_INT64_FLOAT || ns < -MAX_INT64_FLOAT) throw new Error(`cannot parse ${goQuote(s)} to a valid duration. It overflows int64`);
    return Math.trunc(ns);
  }
  try {
    return parseDuration(s) * 1e6;
  } catch {
    throw new Error(`cannot parse ${goQuote(s)} to a valid duration`);
  }
}

/** A duration parameter in ns, parsed even when empty (`step` is required); a bad value is a bad_data error naming it. */
export function requiredDurationParamNs(params: ApiParams, name: string): number {
  try {
    return parseDurationNs(formValue(params, name));
  } catch (err) {
    throw invalidParam(name, (err as Error).message);
  }
}

/** A duration parameter in ms (truncated), or undefined when absent; a bad value is a bad_data error naming it. */
export function durationParamMs(params: ApiParams, name: string): number | undefined {
  if (formValue(params, name) === '') return undefined;
  return Math.trunc(requiredDurationParamNs(params, name) / 1e6);
}

/** Go's `strconv.Atoi`, with its error texts. */
export function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`);
  const big = BigInt(s);
  if (big > 9223372036854775807n || big < -9223372036854775808n) throw new Error(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`);
  return Number(big);
}

/** Prometheus's `limit` parameter: absent → 0 (no limit); negative or not a number → bad_data. */
export function limitParam(params: ApiParams): number {
  const v = formValue(params, 'limit');
  if (v === '') return 0;
  let limit: number;
  try {
    limit = atoi(v);
  } catch (err) {
    throw invalidParam('limit', (err as Error).message);
  }
  if (limit < 0) throw invalidParam('limit', 'limit must be non-negative');
  return limit;
}

/**
 * Parses one series selector (`up`, `{job="api",code=~"5.."}`) into its matchers. Anything else
 * (a function call, a range, `offset`, `@`) is a parse error: Prometheus parses `match[]` with a
 * grammar that only knows selectors.
 */
export function parseSeriesSelector(s: string): Matcher[] {
  const expr = parseExpr(s);
  if (expr.type !== 'VectorSelector') {
    throw new PromQLParseError(s, { start: 0, end: s.length }, `expected a series selector such as {job="api"}, got ${documentedType(exprType(expr))} expression`);
  }
  if (expr.originalOffsetMs !== 0 || expr.originalOffsetExpr || expr.timestampMs !== undefined || expr.startOrEnd) {
    throw new PromQLParseError(s, expr.pos, 'offset and @ modifiers are not allowed in a series selector');
  }
  return expr.matchers;
}

/**
 * Prometheus's `parseMatchersParam`: every `match[]` value parsed, and each set must have a
 * matcher that does not match the empty string (else it would select every series).
 */
export function parseMatcherSets(values: readonly string[]): Matcher[][] {
  const sets = values.map(parseSeriesSelector);
  for (const set of sets) {
    if (!set.some((m) => !m.matchesEmpty)) throw new Error('match[] must contain at least one non-empty matcher');
  }
  return sets;
}

/**
 * Undoes Prometheus's `U__` escaping of label names in URL paths (`U__http_2e_method` →
 * `http.method`, `__` → `_`); Grafana sends UTF-8 label names this way. A malformed escape
 * leaves the name as it is, as `model.UnescapeName` does.
 */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const escaped = name.slice(3);
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] !== '_') {
      out += escaped[i];
      continue;
    }
    i++;
    if (i >= escaped.length) return name;
    if (escaped[i] === '_') {
      out += '_';
      continue;
    }
    let code = 0;
    let digits = 0;
    for (; i < escaped.length && escaped[i] !== '_'; i++, digits++) {
      const d = parseInt(escaped[i], 16);
      if (Number.isNaN(d)) return name;
      code = code * 16 + d;
    }
    // Go gives up after six characters, the closing underscore included.
    if (i >= escaped.length || digits >= 6 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return name;
    out += String.fromCodePoint(code);
  }
  return out;
}
