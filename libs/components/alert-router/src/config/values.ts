/**
 * Parsers for the scalar types of Alertmanager's config, with Go's acceptance rules and error
 * wording: Prometheus `model.Duration`, Go `time.Duration`, http(s) URLs, `host:port`, label names.
 * Durations are milliseconds.
 */

const DURATION_RE = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const UNIT_MS = [365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1];
const MAX_DURATION_MS = 9_223_372_036_854; // Go's time.Duration limit (~292 years) in ms

/** Prometheus `model.ParseDuration` (`1h30m`, `1w`, `0`), in milliseconds. */
export function parseModelDuration(s: string): number {
  if (s === '0') return 0;
  if (s === '') throw new Error('empty duration string');
  const m = DURATION_RE.exec(s);
  if (!m) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) if (m[i + 1]) ms += Number(m[i + 1]) * UNIT_MS[i];
  if (ms > MAX_DURATION_MS) throw new Error('duration out of range');
  return ms;
}

/** Prometheus `model.Duration.String()`: `5m`, `1h30m`, `0s`; years and weeks only when exact. */
export function formatModelDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.trunc(ms);
  let out = '';
  const units: [string, number, boolean][] = [
    ['y', UNIT_MS[0], true],
    ['w', UNIT_MS[1], true],
    ['d', UNIT_MS[2], false],
    ['h', UNIT_MS[3], false],
    ['m', UNIT_MS[4], false],
    ['s', UNIT_MS[5], false],
    ['ms', 1, false],
  ];
  for (const [unit, mult, exact] of units) {
    if (exact && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3600_000 };

/** Go `time.ParseDuration` (`1.5h`, `300ms`, `-2m`), in milliseconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  while (rest !== '') {
    const num = /^([0-9]*(?:\.[0-9]*)?)/.exec(rest)![1];
    if (num === '' || num === '.') throw new Error(`time: invalid duration ${JSON.stringify(orig)}`);
    rest = rest.slice(num.length);
    const unit = /^([^0-9.]*)/.exec(rest)![1];
    if (unit === '') throw new Error(`time: missing unit in duration ${JSON.stringify(orig)}`);
    const mult = GO_UNITS[unit];
    if (mult === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`);
    rest = rest.slice(unit.length);
    total += Number(num) * mult;
  }
  return sign * total;
}

/** Go `time.Duration.String()` for whole milliseconds: `1m0s`, `1h0m0s`, `1.5s`, `0s`. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3600_000);
  rest -= h * 3600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  let out = `${s}s`;
  if (h > 0 || m > 0) out = `${m}m${out}`;
  if (h > 0) out = `${h}h${out}`;
  return `${neg ? '-' : ''}${out}`;
}

/**
 * An http(s) URL as Alertmanager's `parseURL` accepts it (Go's url.Parse, then scheme http or
 * https, then a non-empty host). Returns the URL as written.
 */
export function parseHttpUrl(s: string): string {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(s);
  const schemeName = scheme ? scheme[1].toLowerCase() : '';
  if (schemeName !== 'http' && schemeName !== 'https') throw new Error(`unsupported scheme ${JSON.stringify(schemeName)} for URL`);
  const rest = s.slice(scheme![0].length);
  const authority = rest.startsWith('//') ? /^\/\/([^/?#]*)/.exec(rest)![1] : '';
  const host = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
  if (host === '') throw new Error('missing host for URL');
  if (/[\s<>"{}|\\^`]/.test(host)) throw new Error(`parse ${JSON.stringify(s)}: invalid character ${JSON.stringify(/[\s<>"{}|\\^`]/.exec(host)![0])} in host name`);
  try {
    new URL(s);
  } catch {
    throw new Error(`parse ${JSON.stringify(s)}: invalid URL`);
  }
  return s;
}

/** Go's url.Parse acceptance for URLs of any scheme (proxy_url): a scheme is required when a colon leads. */
export function parseAnyUrl(s: string): string {
  if (s === '') return s;
  if (/^:/.test(s) || (/^[^/?#]*:/.test(s) && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s))) throw new Error(`parse ${JSON.stringify(s)}: missing protocol scheme`);
  return s;
}

/** `host:port` (Go's net.SplitHostPort; port must not be empty). `""` stays empty. */
export function parseHostPort(s: string): string {
  if (s === '') return s;
  let host: string;
  let port: string;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw new Error(`address ${s}: missing ']' in address`);
    host = s.slice(1, end);
    const after = s.slice(end + 1);
    if (!after.startsWith(':')) throw new Error(`address ${s}: missing port in address`);
    port = after.slice(1);
  } else {
    const i = s.lastIndexOf(':');
    if (i < 0) throw new Error(`address ${s}: missing port in address`);
    host = s.slice(0, i);
    port = s.slice(i + 1);
    if (host.includes(':')) throw new Error(`address ${s}: too many colons in address`);
  }
  if (port === '') throw new Error(`address ${JSON.stringify(s)}: port cannot be empty`);
  void host;
  return s;
}

const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prometheus's (pre-UTF-8) label name rule, which Alertmanager 0.25 applies everywhere. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME_RE.test(name);
}

/** Go's `strconv.Quote` for the strings Alertmanager prints in group keys and label sets. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c === 0xfffd && ch !== '\ufffd') out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}
