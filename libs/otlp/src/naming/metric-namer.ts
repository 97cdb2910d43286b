import { NameTranslationError, TranslationStrategy, quote, strategyAddsSuffixes, strategyEscapes } from './strategy';

/** The OTLP metric kinds the name translation distinguishes (otlptranslator `MetricType`). */
export type OtlpMetricKind =
  | 'gauge'
  | 'monotonic_counter'
  | 'non_monotonic_counter'
  | 'histogram'
  | 'exponential_histogram'
  | 'summary'
  | 'unknown';

/**
 * UCUM unit → Prometheus unit word (otlptranslator's default, "legacy" mapping, which Prometheus 3
 * uses with the `...WithSuffixes` strategies). A unit not listed is used as written.
 */
const UNIT_MAP: Readonly<Record<string, string>> = {
  // Time
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  // Bytes
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  // SI
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  // Misc
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

/** The unit after `/`, in the singular (`By/s` → `bytes_per_second`). */
const PER_UNIT_MAP: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function lookup(map: Readonly<Record<string, string>>, key: string): string {
  return Object.prototype.hasOwnProperty.call(map, key) ? map[key] : key;
}

/**
 * Splits an OTLP unit into its main and `per_` suffixes, before any character escaping
 * (`buildUnitSuffixes`). Parts with `{...}` annotations are dropped; `1` maps to nothing.
 */
export function buildUnitSuffixes(unit: string): { main: string; per: string } {
  const slash = unit.indexOf('/');
  const mainOtel = (slash < 0 ? unit : unit.slice(0, slash)).trim();
  let main = '';
  if (mainOtel !== '' && !/[{}]/.test(mainOtel)) main = lookup(UNIT_MAP, mainOtel);
  let per = '';
  if (slash >= 0) {
    const rawPer = unit.slice(slash + 1);
    const perOtel = rawPer.trim();
    if (rawPer !== '' && perOtel !== '' && !/[{}]/.test(perOtel)) per = lookup(PER_UNIT_MAP, perOtel);
    if (per !== '') per = `per_${per}`;
  }
  return { main, per };
}

/** `[a-zA-Z0-9:]`: the characters kept inside metric-name tokens. */
function isMetricTokenChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x3a;
}

/** Splits on every code point outside `[a-zA-Z0-9:]`, dropping empty tokens (Go `FieldsFunc`). */
function metricNameTokens(name: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  for (const ch of name) {
    if (ch.length === 1 && isMetricTokenChar(ch.charCodeAt(0))) {
      cur += ch;
    } else if (cur !== '') {
      tokens.push(cur);
      cur = '';
    }
  }
  if (cur !== '') tokens.push(cur);
  return tokens;
}

/** `cleanUpUnit`: escape to `[a-zA-Z0-9:_]`, collapse `_` runs, drop one leading `_`. */
function cleanUpUnit(unit: string): string {
  let out = '';
  let prevUnderscore = false;
  for (const ch of unit) {
    const keep = ch.length === 1 && isMetricTokenChar(ch.charCodeAt(0));
    if (keep) {
      out += ch;
      prevUnderscore = false;
    } else if (!prevUnderscore) {
      out += '_';
      prevUnderscore = true;
    }
  }
  return out.startsWith('_') ? out.slice(1) : out;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * `normalizeName`: the escaped name with suffixes (strategy `UnderscoreEscapingWithSuffixes`).
 * - the name is cut into tokens of `[a-zA-Z0-9:]`; everything else (`.`, `-`, `_`, spaces, …)
 *   separates tokens, so runs collapse to one `_` and leading/trailing ones disappear;
 * - the unit's main word and its `per_` word are added unless a token already equals them;
 * - a monotonic counter gets `total` last (any `total` token is moved to the end);
 * - a gauge with unit `1` gets `ratio` last (likewise);
 * - the namespace, if any, becomes the first token; tokens are joined with `_`;
 * - a name starting with a digit gets a leading `_`.
 */
function normalizeName(name: string, unit: string, kind: OtlpMetricKind, namespace: string): string {
  let tokens = metricNameTokens(name);
  const suffixes = buildUnitSuffixes(unit);
  let main = cleanUpUnit(suffixes.main);
  let per = cleanUpUnit(suffixes.per);
  // addUnitTokens
  if (tokens.includes(main)) main = '';
  if (per === 'per_') {
    per = '';
  } else {
    if (per.endsWith('_')) per = per.slice(0, -1);
    if (tokens.includes(per)) per = '';
  }
  if (per !== '' && main.endsWith('_')) main = main.slice(0, -1);
  if (main !== '') tokens.push(main);
  if (per !== '') tokens.push(per);

  if (kind === 'monotonic_counter') tokens = [...tokens.filter((t) => t !== 'total'), 'total'];
  if (unit === '1' && kind === 'gauge') tokens = [...tokens.filter((t) => t !== 'ratio'), 'ratio'];
  if (namespace !== '') tokens.unshift(namespace);

  let normalized = tokens.join('_');
  if (normalized !== '' && isDigit(normalized.charCodeAt(0))) normalized = `_${normalized}`;
  return normalized;
}

/** Splits on runs of code points outside `[a-zA-Z0-9:_]` (the escaping without suffixes). */
function escapeWithoutSuffixes(name: string): string {
  const parts: string[] = [];
  let cur = '';
  for (const ch of name) {
    if (ch.length === 1 && (isMetricTokenChar(ch.charCodeAt(0)) || ch === '_')) {
      cur += ch;
    } else if (cur !== '') {
      parts.push(cur);
      cur = '';
    }
  }
  if (cur !== '') parts.push(cur);
  return parts.join('_');
}

function buildCompliantMetricName(
  name: string,
  unit: string,
  kind: OtlpMetricKind,
  namespace: string,
  addSuffixes: boolean,
): string {
  let normalized: string;
  if (addSuffixes) {
    normalized = normalizeName(name, unit, kind, namespace);
  } else {
    const metricName = escapeWithoutSuffixes(name);
    if (namespace !== '') {
      // As Prometheus does: no leading-digit check once a namespace is prefixed.
      normalized = `${escapeWithoutSuffixes(namespace)}_${metricName}`;
    } else {
      normalized = metricName !== '' && isDigit(metricName.charCodeAt(0)) ? `_${metricName}` : metricName;
    }
  }
  if (normalized.length === 0) {
    throw new NameTranslationError(`normalization for metric ${quote(name)} resulted in empty name`);
  }
  if (normalized !== name && /^_+$/.test(normalized)) {
    throw new NameTranslationError(`normalization for metric ${quote(name)} resulted in invalid name ${quote(normalized)}`);
  }
  return normalized;
}

/** Trims `suffix` plus the one delimiter character before it (`trimSuffixAndDelimiter`). */
function trimSuffixAndDelimiter(name: string, suffix: string): string {
  if (name.endsWith(suffix) && name.length > suffix.length + 1) {
    return name.slice(0, name.length - (suffix.length + 1));
  }
  return name;
}

/** The UTF-8 strategies: the name as sent, with suffixes appended after trimming existing ones. */
function buildUtf8MetricName(
  inputName: string,
  unit: string,
  kind: OtlpMetricKind,
  namespace: string,
  addSuffixes: boolean,
): string {
  let name = namespace !== '' ? `${namespace}_${inputName}` : inputName;
  if (!addSuffixes) return name;
  // Prometheus trims ratio, then total, then the per unit, and appends them back in the reverse
  // order (Go defers): name + main unit + per unit + total + ratio.
  const ratio = unit === '1' && kind === 'gauge';
  const total = kind === 'monotonic_counter';
  if (ratio) name = trimSuffixAndDelimiter(name, 'ratio');
  if (total) name = trimSuffixAndDelimiter(name, 'total');
  const { main, per } = buildUnitSuffixes(unit);
  if (per !== '') name = trimSuffixAndDelimiter(name, per);
  if (main !== '' && !name.endsWith(main)) name = `${name}_${main}`;
  if (per !== '') name = `${name}_${per}`;
  if (total) name = `${name}_total`;
  if (ratio) name = `${name}_ratio`;
  return name;
}

/**
 * The Prometheus metric family name of an OTLP metric under `strategy` (otlptranslator
 * `MetricNamer.Build`). `namespace` is Prometheus's converter namespace (not configurable in
 * Prometheus's OTLP receiver; empty by default). Throws `NameTranslationError` when the name
 * translates to nothing usable.
 */
export function buildMetricName(
  name: string,
  unit: string,
  kind: OtlpMetricKind,
  strategy: TranslationStrategy,
  namespace = '',
): string {
  const addSuffixes = strategyAddsSuffixes(strategy);
  if (strategyEscapes(strategy)) return buildCompliantMetricName(name, unit, kind, namespace, addSuffixes);
  const out = buildUtf8MetricName(name, unit, kind, namespace, addSuffixes);
  // Prometheus itself passes an empty name on and the append fails; we reject it here.
  if (out === '') throw new NameTranslationError(`metric name ${quote(name)} is empty`);
  return out;
}

/**
 * The unit Prometheus records in the metric's metadata (otlptranslator `UnitNamer{}`):
 * `By/s` → `bytes_per_second`, `1` → ``, `{request}` → ``.
 */
export function buildUnitName(unit: string): string {
  const { main: rawMain, per: rawPer } = buildUnitSuffixes(unit);
  const main = cleanUpUnit(rawMain);
  const per = cleanUpUnit(rawPer);
  let u = main !== '' && per !== '' ? `${main}_${per}` : main !== '' ? main : per;
  if (u.startsWith('_')) u = u.slice(1);
  if (u.endsWith('_')) u = u.slice(0, -1);
  return u;
}
