/**
 * Go-compatible literal handling for PromQL: durations (`model.ParseDuration` and
 * `model.Duration.String()`), numbers (`strconv.ParseInt(s, 0, 64)` falling back to
 * `strconv.ParseFloat`), float printing (`fmt.Sprint`), string quoting (`strconv.Quote`) and
 * unquoting of PromQL string tokens.
 *
 * Invalid UTF-8 bytes in strings (`"\xff"`) are carried as lone surrogates U+DC80+byte
 * ("surrogate escape") so that they survive in a JavaScript string and can be quoted back.
 */

const MS_PER_UNIT: Record<string, number> = {
  y: 365 * 24 * 3600 * 1000,
  w: 7 * 24 * 3600 * 1000,
  d: 24 * 3600 * 1000,
  h: 3600 * 1000,
  m: 60 * 1000,
  s: 1000,
  ms: 1,
};
const UNIT_ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
/** The largest duration a Go time.Duration (int64 nanoseconds) holds, in milliseconds. */
const MAX_DURATION_NS = (1n << 63n) - 1n;

export class LiteralError extends Error {}

/**
 * Parses a Prometheus duration (`1h30m`, `5m`, `100ms`, `0`) into milliseconds. Units are y, w,
 * d, h, m, s, ms, each at most once, largest first. Throws LiteralError with Prometheus's text.
 */
export function parseDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new LiteralError('empty duration string');
  let rest = s;
  let totalNs = 0n;
  let lastUnit = -1;
  const invalid = () => new LiteralError(`not a valid duration string: ${goQuote(s)}`);
  while (rest !== '') {
    const digits = /^[0-9]+/.exec(rest);
    if (!digits) throw invalid();
    rest = rest.slice(digits[0].length);
    const unitMatch = /^[^0-9]+/.exec(rest);
    if (!unitMatch) throw invalid();
    const unit = unitMatch[0];
    rest = rest.slice(unit.length);
    const idx = UNIT_ORDER.indexOf(unit);
    if (idx < 0) throw new LiteralError(`unknown unit ${goQuote(unit)} in duration ${goQuote(s)}`);
    if (idx <= lastUnit) throw invalid();
    lastUnit = idx;
    const v = BigInt(digits[0]);
    const multNs = BigInt(MS_PER_UNIT[unit]) * 1_000_000n;
    if (v > (1n << 63n) / multNs) throw new LiteralError('duration out of range');
    totalNs += v * multNs;
    if (totalNs > MAX_DURATION_NS) throw new LiteralError('duration out of range');
  }
  return Number(totalNs / 1_000_000n);
}

/** Formats milliseconds as Prometheus does (`model.Duration.String()`): `1h30m`, `90d`, `0s`. Negative durations print as "". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.trunc(ms);
  let out = '';
  const take = (unit: string, exact: boolean) => {
    const mult = MS_PER_UNIT[unit];
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  };
  // Years and weeks only when exact: 90d reads better than 12w6d.
  take('y', true);
  take('w', true);
  for (const u of ['d', 'h', 'm', 's', 'ms']) take(u, false);
  return out;
}

function underscoreOk(s: string): boolean {
  // Underscores may only separate digits, or follow a base prefix (Go's strconv rules).
  let saw = '^';
  let i = 0;
  if (s.startsWith('+') || s.startsWith('-')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

function parseGoInt(s: string): number | undefined {
  if (!underscoreOk(s)) return undefined;
  const t = s.replace(/_/g, '');
  let digits: string;
  let base: number;
  if (/^0[xX]/.test(t)) {
    digits = t.slice(2);
    base = 16;
    if (!/^[0-9a-fA-F]+$/.test(digits)) return undefined;
  } else if (/^0[oO]/.test(t)) {
    digits = t.slice(2);
    base = 8;
    if (!/^[0-7]+$/.test(digits)) return undefined;
  } else if (/^0[bB]/.test(t)) {
    digits = t.slice(2);
    base = 2;
    if (!/^[01]+$/.test(digits)) return undefined;
  } else if (/^0[0-9]/.test(t)) {
    digits = t.slice(1);
    base = 8;
    if (!/^[0-7]+$/.test(digits)) return undefined;
  } else {
    digits = t;
    base = 10;
    if (!/^[0-9]+$/.test(digits)) return undefined;
  }
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : base === 2 ? '0b' : '';
  const v = BigInt(prefix + digits);
  if (v > (1n << 63n) - 1n) return undefined; // out of range: Go falls back to ParseFloat
  return Number(v);
}

/**
 * Parses a PromQL number token like Prometheus: Go integer syntax first (hex `0x1f`, octal `017`,
 * `1_000`), then Go float syntax (`1.5e3`, `.5`, `2.`, `Inf`, `NaN`). Throws LiteralError
 * ("error parsing number: …") when neither applies or the float overflows.
 */
export function parseNumber(s: string): number {
  const i = parseGoInt(s);
  if (i !== undefined) return i;
  const f = parseGoFloat(s);
  if (f.ok) return f.value;
  throw new LiteralError(`error parsing number: strconv.ParseFloat: parsing ${goQuote(s)}: ${f.range ? 'value out of range' : 'invalid syntax'}`);
}

/**
 * Go's strconv.ParseFloat(s, 64): decimal and hexadecimal (`0x1p-3`, exponent required) syntax with
 * Go's underscore rules, and the case-insensitive specials inf/infinity (signed) and nan (unsigned).
 */
export function parseGoFloat(s: string): { ok: true; value: number } | { ok: false; range: boolean } {
  if (/^nan$/i.test(s)) return { ok: true, value: NaN }; // never signed, as in Go
  const inf = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (inf) return { ok: true, value: inf[1] === '-' ? -Infinity : Infinity };
  if (s.includes('_') && !underscoreOk(s)) return { ok: false, range: false };
  const hex = HEX_FLOAT.exec(s.replace(/_/g, ''));
  if (hex) {
    const digits = (hex[2] ?? '') + (hex[3] ?? '');
    if (digits === '') return { ok: false, range: false };
    const sign = hex[1] === '-' ? -1 : 1;
    const mantissa = Number(BigInt(`0x${digits}`));
    const v = mantissa === 0 ? sign * 0 : sign * mantissa * 2 ** (Number(hex[4]) - 4 * (hex[3] ?? '').length);
    return Number.isFinite(v) ? { ok: true, value: v } : { ok: false, range: true };
  }
  if (!/^[+-]?(?:[0-9_]+\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?$/.test(s) || !/[0-9]/.test(s)) {
    return { ok: false, range: false };
  }
  const v = Number(s.replace(/_/g, ''));
  if (Number.isNaN(v)) return { ok: false, range: false };
  if (!Number.isFinite(v)) return { ok: false, range: true };
  return { ok: true, value: v };
}

const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/;

/** Formats a float as Go's `fmt.Sprint(float64)` (`%g`, shortest): `%e` style from 1e6 and below 1e-4, `+Inf`, `NaN`. */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mant, expStr] = Math.abs(v).toExponential().split('e');
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  const sign = v < 0 ? '-' : '';
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's `strconv.Quote` (the `%q` verb) of a string in surrogate-escape form. */
export function goQuote(s: string, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      out += `\\x${(cp - 0xdc00).toString(16).padStart(2, '0')}`;
      continue;
    }
    if (ch === quote || ch === '\\') {
      out += `\\${ch}`;
      continue;
    }
    if (cp < 0xd800 || cp > 0xdfff) {
      if (PRINTABLE.test(ch)) {
        out += ch;
        continue;
      }
    }
    switch (ch) {
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Go's `%.10q`: the first 10 characters quoted, as Prometheus shows long tokens in messages. */
export function goQuoteTruncated(s: string, max: number): string {
  return goQuote(Array.from(s).slice(0, max).join(''));
}

/** Decodes UTF-8 bytes, turning each byte of an invalid sequence into U+DC80+byte. */
export function decodeUtf8(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
      min = 0x10000;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    let ok = true;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}

function utf8Bytes(ch: string, into: number[]): void {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0xdc80 && cp <= 0xdcff) into.push(cp - 0xdc00);
  else for (const b of Buffer.from(ch, 'utf8')) into.push(b);
}

/**
 * Unquotes a PromQL string token (with its quotes) that the lexer accepted: `"…"` and `'…'`
 * with Go escapes (`\n`, `\x41`, `\101`, `\u00e9`, `\U0001F600`, the own quote), or a raw
 * `` `…` `` string (carriage returns dropped). Byte escapes that do not form valid UTF-8 come
 * back surrogate-escaped.
 */
export function unquoteString(token: string): string {
  const q = token[0];
  const body = token.slice(1, -1);
  if (q === '`') return body.replace(/\r/g, '');
  if (!body.includes('\\')) return body;
  const bytes: number[] = [];
  const chars = Array.from(body);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c !== '\\') {
      utf8Bytes(c, bytes);
      continue;
    }
    const e = chars[++i];
    switch (e) {
      case 'a':
        bytes.push(7);
        break;
      case 'b':
        bytes.push(8);
        break;
      case 'f':
        bytes.push(12);
        break;
      case 'n':
        bytes.push(10);
        break;
      case 'r':
        bytes.push(13);
        break;
      case 't':
        bytes.push(9);
        break;
      case 'v':
        bytes.push(11);
        break;
      case 'x':
        bytes.push(parseInt(chars.slice(i + 1, i + 3).join(''), 16));
        i += 2;
        break;
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        utf8Bytes(String.fromCodePoint(parseInt(chars.slice(i + 1, i + 1 + n).join(''), 16)), bytes);
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          bytes.push(parseInt(chars.slice(i, i + 3).join(''), 8));
          i += 2;
        } else {
          utf8Bytes(e, bytes); // \\ and the own quote
        }
    }
  }
  return decodeUtf8(bytes);
}

/** Whether a string is a valid label name in Prometheus 3 (UTF-8 names): non-empty, valid UTF-8. */
export function isValidLabelName(s: string): boolean {
  return s.length > 0 && !LONE_SURROGATE.test(s);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether a name needs no quoting in PromQL (the legacy metric-name character set). */
export function isLegacyMetricName(s: string): boolean {
  return /^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(s);
}

/** Whether a label name needs no quoting in PromQL. */
export function isLegacyLabelName(s: string): boolean {
  return /^[a-zA-Z_][a-zA-Z0-9_]*$/.test(s);
}

/**
 * Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest digits that read back as `v`, never in
 * exponent form (`1e21` → "1000000000000000000000"); "NaN", "+Inf", "-Inf". Prometheus writes
 * sample values and `count_values` labels this way.
 */
export function formatGoFloatFixed(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(v).toExponential().split('e');
  const exp = Number(expStr);
  const digits = mant.replace('.', '');
  if (exp >= 0) {
    if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
    return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}
