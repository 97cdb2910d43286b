import { compileAnchored } from './config/regex';
import { isValidLabelName } from './config/values';

/** A label set: label name → value. Alertmanager drops labels with empty values on receipt. */
export type LabelSet = Readonly<Record<string, string>>;

export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * One label matcher with Alertmanager's semantics: a missing label matches as the empty string,
 * regexes are fully anchored RE2 (`^(?:re)$`).
 */
export class Matcher {
  private readonly re: RegExp | undefined;

  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    this.re = type === '=~' || type === '!~' ? compileAnchored(value) : undefined;
  }

  matches(v: string): boolean {
    switch (this.type) {
      case '=':
        return v === this.value;
      case '!=':
        return v !== this.value;
      case '=~':
        return this.re!.test(v);
      case '!~':
        return !this.re!.test(v);
    }
  }

  get isRegex(): boolean {
    return this.type === '=~' || this.type === '!~';
  }

  get isEqual(): boolean {
    return this.type === '=' || this.type === '=~';
  }

  /** `name="value"` with OpenMetrics escaping, as Alertmanager prints matchers. */
  toString(): string {
    return `${this.name}${this.type}"${openMetricsEscape(this.value)}"`;
  }
}

export function openMetricsEscape(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** True when every matcher matches the label set (missing labels read as ""). */
export function matchesAll(matchers: readonly Matcher[], labels: LabelSet): boolean {
  for (const m of matchers) if (!m.matches(labels[m.name] ?? '')) return false;
  return true;
}

/** Alertmanager's matcher order: by name, then value, then type (=, !=, =~, !~). */
export function compareMatchers(a: Matcher, b: Matcher): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return TYPE_ORDER[a.type] - TYPE_ORDER[b.type];
}

const TYPE_ORDER: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** `{a="b",c=~"d"}`: Alertmanager's `labels.Matchers.String()`. */
export function matchersString(matchers: readonly Matcher[]): string {
  return `{${matchers.map((m) => m.toString()).join(',')}}`;
}

const MATCHER_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*([\s\S]*?)\s*$/;

/**
 * Parses `{a="b", c=~"d|e"}` or `a=b,c!=d` (braces optional, a trailing comma allowed) with the
 * classic parser of Alertmanager 0.25 (`labels.ParseMatchers`): commas inside double quotes do
 * not split, values may be quoted or bare, `\"`, `\n` and `\\` are unescaped.
 */
export function parseMatchers(input: string): Matcher[] {
  let s = input;
  if (s.startsWith('{')) s = s.slice(1);
  if (s.endsWith('}')) s = s.slice(0, -1);
  const tokens: string[] = [];
  let token = '';
  let insideQuotes = false;
  let escaped = false;
  for (const r of s) {
    if (r === ',' && !insideQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (r === '"') {
      if (!escaped) insideQuotes = !insideQuotes;
      else escaped = false;
    } else if (r === '\\') escaped = !escaped;
    else escaped = false;
    token += r;
  }
  if (token.trim() !== '') tokens.push(token.trim());
  return tokens.map(parseMatcher);
}

/** One `name op value` matcher (see parseMatchers). Throws an Error with Alertmanager's wording. */
export function parseMatcher(s: string): Matcher {
  const m = MATCHER_RE.exec(s);
  if (!m) throw new Error(`bad matcher format: ${s}`);
  let raw = m[3];
  let expectTrailingQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectTrailingQuote = true;
  }
  let value = '';
  let escaped = false;
  const chars = [...raw];
  for (let i = 0; i < chars.length; i++) {
    const r = chars[i];
    if (escaped) {
      escaped = false;
      if (r === 'n') value += '\n';
      else if (r === '"' || r === '\\') value += r;
      else value += `\\${r}`;
      continue;
    }
    if (r === '\\') {
      if (i < chars.length - 1) escaped = true;
      else value += '\\';
    } else if (r === '"') {
      if (!expectTrailingQuote || i < chars.length - 1) throw new Error(`matcher value contains unescaped double quote: ${m[3]}`);
      expectTrailingQuote = false;
    } else value += r;
  }
  if (expectTrailingQuote) throw new Error(`matcher value contains unescaped double quote: ${m[3]}`);
  return new Matcher(m[2] as MatchType, m[1], value);
}

/** Builds a matcher from API fields, checking the label name like Alertmanager's silence validation. */
export function apiMatcher(name: string, value: string, isRegex: boolean, isEqual = true): Matcher {
  if (!isValidLabelName(name)) throw new Error(`invalid label name ${JSON.stringify(name)}`);
  const type: MatchType = isRegex ? (isEqual ? '=~' : '!~') : isEqual ? '=' : '!=';
  return new Matcher(type, name, value);
}
