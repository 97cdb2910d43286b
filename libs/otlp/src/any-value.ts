/**
 * Rendering of OTLP `AnyValue`s and floats exactly as Prometheus (Go) renders them, so that label
 * values and `le`/`quantile` values are byte-for-byte what Prometheus 3 stores:
 * - attribute values: `pcommon.Value.AsString()` (maps and arrays as Go `encoding/json` output);
 * - `le` and `quantile`: `strconv.FormatFloat(f, 'f', -1, 64)`.
 *
 * Both decoders convert an `AnyValue` to a `RawValue` only when it is not a plain string, bool or
 * number; those common cases are rendered directly.
 */

/** An OTLP `int_value` (int64), kept as its decimal string so no precision is lost. */
export class RawInt {
  constructor(readonly decimal: string) {}
}

/** An OTLP `kvlist_value`, in wire order (duplicates allowed; the last one wins, as in Go). */
export class RawKvList {
  constructor(readonly entries: [string, RawValue][]) {}
}

/** A decoded `AnyValue`. `null` is an empty `AnyValue` (no field of the oneof set). */
export type RawValue = null | string | boolean | number | RawInt | Uint8Array | RawValue[] | RawKvList;

/** `pcommon.Value.AsString()` of a decoded value. */
export function rawAsString(v: RawValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return float64AsString(v);
  if (v instanceof RawInt) return v.decimal;
  if (v instanceof Uint8Array) return bytesToBase64(v);
  // Maps and slices are marshalled to JSON; Go ignores the marshal error (NaN/Inf inside) and
  // returns the empty string.
  const out: string[] = [];
  return writeGoJson(v, out) ? out.join('') : '';
}

/** Standard base64 with padding, as Go's `base64.StdEncoding`. */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * `pcommon`'s `float64AsString`: the ES6 number-to-string conversion Go's encoding/json uses
 * (JavaScript's own `String(f)` except for -0), with a message for values JSON cannot hold.
 */
export function float64AsString(f: number): string {
  if (!Number.isFinite(f)) return `json: unsupported value: ${formatFloatG(f)}`;
  return goJsonFloat(f);
}

/** Go's JSON encoding of a finite float64. */
function goJsonFloat(f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const abs = Math.abs(f);
  if (abs < 1e-6 || abs >= 1e21) {
    // Go formats with 'e' and then trims a leading zero of a negative two-digit exponent
    // ("1e-07" → "1e-7"); JavaScript's shortest exponential form is already that.
    return f.toExponential();
  }
  return String(f);
}

/** `strconv.FormatFloat(f, 'g', -1, 64)` for the non-finite values (the only ones we need). */
function formatFloatG(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  return f > 0 ? '+Inf' : '-Inf';
}

/**
 * `strconv.FormatFloat(f, 'f', -1, 64)`: the shortest decimal that reads back as `f`, never in
 * exponent form ("0.0000001", "1000000000000000000000"), with "+Inf", "-Inf", "NaN" and "-0".
 */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const s = String(f);
  if (s.indexOf('e') < 0) return s;
  const negative = f < 0;
  const exp = Math.abs(f).toExponential(); // "d.ddde+x" / "de-x", shortest round-trip digits
  const ePos = exp.indexOf('e');
  const digits = exp.slice(0, ePos).replace('.', '');
  const e = Number(exp.slice(ePos + 1));
  let out: string;
  if (e >= 0) {
    const intDigits = e + 1;
    out =
      intDigits >= digits.length
        ? digits + '0'.repeat(intDigits - digits.length)
        : `${digits.slice(0, intDigits)}.${digits.slice(intDigits)}`;
  } else {
    out = `0.${'0'.repeat(-e - 1)}${digits}`;
  }
  return negative ? `-${out}` : out;
}

const HEX = '0123456789abcdef';

/**
 * Appends the Go `json.Marshal` encoding of `v` (as produced by `pcommon` `AsRaw()`) to `out`.
 * Returns false where Go returns an error (a NaN or infinite float).
 */
function writeGoJson(v: RawValue, out: string[]): boolean {
  if (v === null) {
    out.push('null');
  } else if (typeof v === 'string') {
    out.push(goJsonString(v));
  } else if (typeof v === 'boolean') {
    out.push(v ? 'true' : 'false');
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return false;
    out.push(goJsonFloat(v));
  } else if (v instanceof RawInt) {
    out.push(v.decimal);
  } else if (v instanceof Uint8Array) {
    out.push(`"${bytesToBase64(v)}"`);
  } else if (v instanceof RawKvList) {
    // A Go map: duplicate keys collapse to the last value; keys are sorted bytewise (UTF-8).
    const byKey = new Map<string, RawValue>();
    for (const [k, val] of v.entries) byKey.set(k, val);
    const keys = [...byKey.keys()].sort(compareUtf8);
    out.push('{');
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out.push(',');
      out.push(goJsonString(keys[i]), ':');
      if (!writeGoJson(byKey.get(keys[i])!, out)) return false;
    }
    out.push('}');
  } else {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      if (!writeGoJson(v[i], out)) return false;
    }
    out.push(']');
  }
  return true;
}

/**
 * A JSON string literal as Go's encoding/json writes it with HTML escaping on (the default):
 * `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`; control characters other than \b \f \n \r \t
 * become `\u00XX`; invalid UTF-16 (a lone surrogate, which is invalid UTF-8 in Go) becomes \ufffd.
 */
export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20 || c === 0x22 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x26) {
      switch (c) {
        case 0x22:
          esc = '\\"';
          break;
        case 0x5c:
          esc = '\\\\';
          break;
        case 0x08:
          esc = '\\b';
          break;
        case 0x0c:
          esc = '\\f';
          break;
        case 0x0a:
          esc = '\\n';
          break;
        case 0x0d:
          esc = '\\r';
          break;
        case 0x09:
          esc = '\\t';
          break;
        default:
          esc = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
      }
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair: copied as is
        continue;
      }
      esc = '\\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/**
 * Orders strings as Go compares them (bytewise on UTF-8, which is code point order). JavaScript's
 * `<` compares UTF-16 code units, which differs only between surrogate pairs and U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Lift surrogates above the rest of the BMP so the order becomes code point order.
    if (ca >= 0xd800 && cb >= 0xd800) {
      ca = ca >= 0xe000 ? ca - 0x800 : ca + 0x2000;
      cb = cb >= 0xe000 ? cb - 0x800 : cb + 0x2000;
    }
    return ca - cb;
  }
  return a.length - b.length;
}
