import { goQuote } from '@panoptes/promql';
import { GoHTML, GoInt, GoMap, GoSlice, GoTime, type GoValue, formatGoTime, formatValue, stringer, typeName } from './values';

/**
 * Go's `strconv.FormatFloat` and the parts of `fmt` templates use (`printf`, `print`, `println`):
 * verbs %v %s %q %d %f %F %e %E %g %G %x %X %t %c %%, flags `-+# 0`, width and precision, and
 * Go's `%!d(float64=1.5)` / `%!d(MISSING)` / `%!(EXTRA …)` texts for mismatches.
 *
 * Floats are rounded half-to-even on their exact decimal value, as strconv does: JavaScript's
 * shortest digits are used unless they end exactly on a tie, where the exact expansion decides.
 */

/** A positive finite float as `0.d1d2… × 10^dp`, digits without trailing zeros ('' is zero). */
interface Decimal {
  d: string;
  dp: number;
}

function shortestDecimal(v: number): Decimal {
  if (v === 0) return { d: '', dp: 0 };
  const [mant, exp] = v.toExponential().split('e');
  const d = mant.replace('.', '').replace(/0+$/, '');
  return { d, dp: Number(exp) + 1 };
}

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);

/** The exact decimal expansion of a positive finite double (up to ~770 digits). */
function exactDecimal(v: number): Decimal {
  F64[0] = v;
  const hi = U32[1];
  const lo = U32[0];
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  const trimmed = digits.replace(/0+$/, '');
  const lead = trimmed.length - trimmed.replace(/^0+/, '').length;
  return { d: trimmed.slice(lead), dp: dp - lead };
}

/** Rounds to `nd` significant digits, half to even on the exact value of `v`. */
function roundDecimal(dec: Decimal, nd: number, v: number): Decimal {
  if (nd < 0) return { d: '', dp: dec.dp };
  if (nd >= dec.d.length) return dec;
  const next = dec.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (nd + 1 < dec.d.length) up = true;
  else {
    const exact = exactDecimal(v);
    if (exact.d.length !== dec.d.length || exact.dp !== dec.dp) return roundDecimal(exact, nd - (dec.dp - exact.dp), v);
    up = nd > 0 && (dec.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  }
  if (!up) return { d: dec.d.slice(0, nd).replace(/0+$/, ''), dp: dec.dp };
  let i = nd - 1;
  while (i >= 0 && dec.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: dec.dp + 1 };
  return { d: dec.d.slice(0, i) + String.fromCharCode(dec.d.charCodeAt(i) + 1), dp: dec.dp };
}

function digitAt(dec: Decimal, i: number): string {
  return i >= 0 && i < dec.d.length ? dec.d[i] : '0';
}

function fmtE(dec: Decimal, prec: number, e: string): string {
  let out = digitAt(dec, 0);
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += digitAt(dec, i);
  }
  const exp = dec.d === '' ? 0 : dec.dp - 1;
  const abs = Math.abs(exp);
  return `${out}${e}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

function fmtF(dec: Decimal, prec: number): string {
  let out = '';
  if (dec.dp > 0) for (let i = 0; i < dec.dp; i++) out += digitAt(dec, i);
  else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) out += digitAt(dec, dec.dp + i);
  }
  return out;
}

/** `strconv.FormatFloat(v, fmt, prec, 64)` for fmt e, E, f, g, G; prec -1 is the shortest form. */
export function formatFloat(v: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  let dec = shortestDecimal(abs);
  const shortest = prec < 0;
  let out: string;
  if (fmt === 'e' || fmt === 'E') {
    if (shortest) prec = Math.max(dec.d.length - 1, 0);
    else dec = roundDecimal(dec, prec + 1, abs);
    out = fmtE(dec, prec, fmt);
  } else if (fmt === 'f') {
    if (shortest) prec = Math.max(dec.d.length - dec.dp, 0);
    else dec = roundDecimal(dec, dec.dp + prec, abs);
    out = fmtF(dec, prec);
  } else {
    let eprec = prec;
    if (shortest) {
      prec = dec.d.length;
    } else {
      if (prec === 0) prec = 1;
      dec = roundDecimal(dec, prec, abs);
      eprec = prec;
    }
    if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
    if (shortest) eprec = 6;
    const exp = dec.dp - 1;
    if (dec.d !== '' && (exp < -4 || exp >= eprec)) {
      out = fmtE(dec, Math.min(prec, dec.d.length) - 1, fmt === 'g' ? 'e' : 'E');
    } else {
      if (prec > dec.dp) prec = dec.d.length;
      out = fmtF(dec, Math.max(prec - dec.dp, 0));
    }
  }
  return neg ? `-${out}` : out;
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function pad(s: string, spec: Spec, allowZero = true): string {
  const width = spec.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  const fill = width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && allowZero) {
    const sign = s[0] === '-' || s[0] === '+' || s[0] === ' ' ? s[0] : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function withSign(num: string, spec: Spec): string {
  if (num.startsWith('-')) return num;
  if (spec.plus) return `+${num}`;
  if (spec.space) return ` ${num}`;
  return num;
}

function formatFloatVerb(v: number, verb: string, spec: Spec): string {
  const lower = verb === 'v' ? 'g' : verb === 'F' ? 'f' : verb;
  const prec = spec.prec ?? (verb === 'v' || verb === 'g' || verb === 'G' ? -1 : 6);
  const num = formatFloat(v, lower as 'e' | 'E' | 'f' | 'g' | 'G', prec);
  if (num === '+Inf' || num === '-Inf' || num === 'NaN') {
    const shown = num === 'NaN' ? (spec.plus ? '+NaN' : spec.space ? ' NaN' : 'NaN') : num === '+Inf' && !spec.plus ? (spec.space ? ' Inf' : '+Inf') : num;
    return pad(shown, spec, false);
  }
  return pad(withSign(num, spec), spec);
}

function formatIntVerb(n: number, verb: string, spec: Spec): string | undefined {
  const neg = n < 0;
  const abs = Math.abs(n);
  let digits: string;
  switch (verb) {
    case 'd':
    case 'v':
      digits = String(abs);
      break;
    case 'x':
      digits = (spec.sharp ? '0x' : '') + abs.toString(16);
      break;
    case 'X':
      digits = (spec.sharp ? '0X' : '') + abs.toString(16).toUpperCase();
      break;
    case 'o':
      digits = (spec.sharp ? '0' : '') + abs.toString(8);
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    case 'c':
      return pad(String.fromCodePoint(n), spec, false);
    case 'q':
      return pad(goQuote(String.fromCodePoint(n), "'"), spec, false);
    default:
      return undefined;
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  return pad(withSign(neg ? `-${digits}` : digits, spec), spec, spec.prec === undefined);
}

function hexOfString(s: string, upper: boolean, spec: Spec): string {
  const hex = Buffer.from(s, 'utf8').toString('hex');
  const body = spec.sharp ? hex.replace(/(..)/g, spec.space ? ' 0x$1' : '0x$1').trimStart() : spec.space ? hex.replace(/(..)/g, ' $1').trimStart() : hex;
  return upper ? body.toUpperCase() : body;
}

function badVerb(verb: string, arg: GoValue): string {
  if (arg === null) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(arg)}=${formatValue(arg)})`;
}

/** One argument under one verb, as fmt prints it. */
function formatArg(arg: GoValue, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(arg === null ? '<nil>' : typeName(arg), spec);
  if (arg === null) return verb === 'v' || verb === 's' ? pad('<nil>', spec) : badVerb(verb, arg);
  // A value with a String() method prints through it for the string verbs (fmt.Stringer).
  const str = 'vsqxX'.includes(verb) ? stringer(arg) : undefined;
  if (str !== undefined) return formatArg(str, verb, spec);
  if (typeof arg === 'number') {
    return 'vbeEfFgG'.includes(verb) && verb !== 'b' ? formatFloatVerb(arg, verb, spec) : badVerb(verb, arg);
  }
  if (arg instanceof GoInt) return formatIntVerb(arg.value, verb, spec) ?? badVerb(verb, arg);
  if (typeof arg === 'boolean') return verb === 'v' || verb === 't' ? pad(String(arg), spec) : badVerb(verb, arg);
  if (typeof arg === 'string' || arg instanceof GoHTML || arg instanceof GoTime) {
    const s = typeof arg === 'string' ? arg : arg instanceof GoHTML ? arg.value : formatGoTime(arg.unixMs);
    switch (verb) {
      case 'v':
      case 's':
        return pad(spec.prec !== undefined ? [...s].slice(0, spec.prec).join('') : s, spec, false);
      case 'q':
        return pad(spec.sharp && !s.includes('`') ? `\`${s}\`` : goQuote(s), spec, false);
      case 'x':
      case 'X':
        return pad(hexOfString(s, verb === 'X', spec), spec, false);
      default:
        return badVerb(verb, arg);
    }
  }
  if (arg instanceof GoMap) {
    return `map[${arg
      .sortedKeys()
      .map((k) => `${formatArg(k, verb, { ...spec, width: undefined })}:${formatArg(arg.entries.get(k)!, verb, { ...spec, width: undefined })}`)
      .join(' ')}]`;
  }
  if (arg instanceof GoSlice) return `[${arg.items.map((x) => formatArg(x, verb, spec)).join(' ')}]`;
  return verb === 'v' || verb === 's' ? pad(formatValue(arg), spec) : badVerb(verb, arg);
}

/** Go's `fmt.Sprintf`. */
export function sprintf(format: string, args: readonly GoValue[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const width = /^[0-9]+/.exec(format.slice(i));
    if (width) {
      spec.width = Number(width[0]);
      i += width[0].length;
    }
    if (format[i] === '.') {
      i++;
      const prec = /^[0-9]+/.exec(format.slice(i));
      spec.prec = prec ? Number(prec[0]) : 0;
      if (prec) i += prec[0].length;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argi++], verb, spec);
  }
  if (argi < args.length) {
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => (a === null ? '<nil>' : `${typeName(a)}=${formatValue(a)}`))
      .join(', ')})`;
  }
  return out;
}

const isStringLike = (v: GoValue): boolean => typeof v === 'string' || v instanceof GoHTML;

/** Go's `fmt.Sprint`: spaces between operands when neither side is a string. */
export function sprint(args: readonly GoValue[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && !isStringLike(args[i]) && !isStringLike(args[i - 1])) out += ' ';
    out += formatArg(args[i], 'v', { minus: false, plus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined });
  }
  return out;
}

/** Go's `fmt.Sprintln`: always spaces, and a newline at the end. */
export function sprintln(args: readonly GoValue[]): string {
  return `${args.map((a) => sprint([a])).join(' ')}\n`;
}
