import type { Labels } from '@panoptes/block-formats';

/**
 * JSON text exactly as Prometheus (Go, json-iterator) and Mimir (Go, encoding/json) write it.
 * Prometheus writes JSON through three encoders that differ in how they escape strings:
 *
 * - `quoteRaw`: jsoniter's `Stream.WriteString`, used for label names and values in `metric`,
 *   `/series` and exemplar objects. Escapes only `"`, `\` and control characters.
 * - `quoteHtml`: jsoniter's standard-library-compatible string encoder, used for every other
 *   string of a Prometheus response (errors, warnings, label name/value lists). Also escapes
 *   `<`, `>`, `&`, U+2028, U+2029 and turns invalid UTF-16 (Go: invalid UTF-8) into U+FFFD.
 * - `quoteGo`: Go's encoding/json (Go ≥ 1.22), used by Mimir's own handlers and by Prometheus's
 *   `string` results: as `quoteHtml`, but `\b` and `\f` get short escapes.
 *
 * Numbers: sample values go through `formatSampleValue` (quoted in the output), timestamps
 * through `formatTimestamp`, other floats through `formatJsonNumber`.
 */

type QuoteMode = 'raw' | 'html' | 'go';

// Characters that need work in each mode; strings without them are quoted as they are.
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const RAW_SPECIAL = /["\\\u0000-\u001f]/;
// eslint-disable-next-line no-control-regex -- as above
const HTML_SPECIAL = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';

export function quoteRaw(s: string): string {
  return RAW_SPECIAL.test(s) ? quoteSlow(s, 'raw') : `"${s}"`;
}

export function quoteHtml(s: string): string {
  return HTML_SPECIAL.test(s) ? quoteSlow(s, 'html') : `"${s}"`;
}

export function quoteGo(s: string): string {
  return HTML_SPECIAL.test(s) ? quoteSlow(s, 'go') : `"${s}"`;
}

function quoteSlow(s: string, mode: QuoteMode): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      if (c === 0x0a) esc = '\\n';
      else if (c === 0x0d) esc = '\\r';
      else if (c === 0x09) esc = '\\t';
      else if (mode === 'go' && c === 0x08) esc = '\\b';
      else if (mode === 'go' && c === 0x0c) esc = '\\f';
      else esc = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x22) {
      esc = '\\"';
    } else if (c === 0x5c) {
      esc = '\\\\';
    } else if (mode !== 'raw') {
      if (c === 0x3c) esc = '\\u003c';
      else if (c === 0x3e) esc = '\\u003e';
      else if (c === 0x26) esc = '\\u0026';
      else if (c === 0x2028) esc = '\\u2028';
      else if (c === 0x2029) esc = '\\u2029';
      else if (c >= 0xd800 && c <= 0xdfff) {
        const next = s.charCodeAt(i + 1);
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          i++; // a valid pair: one code point, written as is
          continue;
        }
        esc = '\\ufffd';
      }
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return `${out}${s.slice(start)}"`;
}

const POS_INF = 1 / 0;
const NEG_INF = -1 / 0;

/**
 * A sample value as Prometheus's `jsonutil.MarshalFloat` writes it (without the quotes): Go's
 * `strconv.FormatFloat(v, 'f', -1, 64)`, switching to `'e'` below 1e-6 and from 1e21; "NaN",
 * "+Inf", "-Inf", "-0". JavaScript's shortest round-trip digits and its exponent cut-offs are
 * the same as Go's, so only the exponent needs two digits (`1e-07`).
 */
export function formatSampleValue(v: number): string {
  if (v !== v) return 'NaN';
  if (v === POS_INF) return '+Inf';
  if (v === NEG_INF) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const s = '' + v; // not String(v): no global lookup in the hot path
  const e = s.indexOf('e');
  if (e < 0) return s;
  return s.length - e - 2 >= 2 ? s : `${s.slice(0, e + 2)}0${s.slice(e + 2)}`;
}

/**
 * A timestamp in ms as Prometheus's `jsonutil.MarshalTimestamp` writes it: unix seconds with the
 * milliseconds as three digits, which are not trimmed (1500 → `1.500`), and no fraction when
 * they are zero (4000 → `4`).
 */
export function formatTimestamp(ms: number): string {
  let t = Math.trunc(ms);
  let sign = '';
  if (t < 0) {
    sign = '-';
    t = -t;
  }
  const sec = Math.floor(t / 1000);
  const frac = t - sec * 1000;
  if (frac === 0) return sign + sec;
  return `${sign}${sec}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/**
 * A float as a JSON number the way Go's encoding/json (and jsoniter's compatible mode) writes
 * it: shortest digits, exponent form below 1e-6 and from 1e21 (`1e-7`, `1e+21`). NaN and ±Inf
 * have no JSON form; callers never pass them.
 */
export function formatJsonNumber(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return String(v);
}

/** A label set as a JSON object, pairs in their (sorted) order, strings escaped as jsoniter's WriteString does. */
export function labelsJson(labels: Labels): string {
  let out = '{';
  for (let i = 0; i < labels.length; i++) {
    if (i > 0) out += ',';
    out += `${quoteRaw(labels[i][0])}:${quoteRaw(labels[i][1])}`;
  }
  return `${out}}`;
}

/** A JSON array of strings, each escaped with `quote`. */
export function stringArrayJson(values: readonly string[], quote: (s: string) => string = quoteHtml): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += quote(values[i]);
  }
  return `${out}]`;
}
