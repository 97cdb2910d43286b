/**
 * Go's `strconv.ParseFloat(s, 64)` as Prometheus applies it to a bucket's `le` label: decimal and
 * hexadecimal (`0x1p-3`, exponent required) literals with Go's underscore rules, and the
 * case-insensitive specials `NaN`, `Inf`, `Infinity` (signed except NaN). Undefined when the text
 * is malformed or the value overflows (Go reports ErrRange for those).
 */
export function parseLe(value: string): number | undefined {
  const special = parseSpecial(value);
  if (special !== undefined) return special;
  if (value.includes('_') && !underscoresOk(value)) return undefined;
  const s = value.replace(/_/g, '');
  if (DECIMAL.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : undefined;
  }
  const hex = HEX.exec(s);
  if (hex) {
    const sign = hex[1] === '-' ? -1 : 1;
    const intPart = hex[2] ?? '';
    const fracPart = hex[3] ?? '';
    const digits = intPart + fracPart;
    if (digits === '') return undefined;
    const mantissa = Number(BigInt(`0x${digits}`));
    if (mantissa === 0) return sign * 0;
    const v = sign * mantissa * 2 ** (Number(hex[4]) - 4 * fracPart.length);
    return Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/;

function parseSpecial(s: string): number | undefined {
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  const unsigned = lower[0] === '+' || lower[0] === '-' ? lower.slice(1) : lower;
  if (unsigned === 'inf' || unsigned === 'infinity') return lower[0] === '-' ? -Infinity : Infinity;
  return undefined;
}

/** Go's underscoreOK: underscores only between digits, or between a base prefix and a digit. */
function underscoresOk(value: string): boolean {
  let s = value;
  if (s[0] === '+' || s[0] === '-') s = s.slice(1);
  let saw = '^';
  let i = 0;
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1])) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const ch = s[i];
    if ((ch >= '0' && ch <= '9') || (hex && /[a-fA-F]/.test(ch))) {
      saw = '0';
      continue;
    }
    if (ch === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}
