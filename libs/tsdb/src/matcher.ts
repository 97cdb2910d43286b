import { ValidationError } from '@panoptes/common';

export type MatchType = '=' | '!=' | '=~' | '!~';

/**
 * A label matcher with Prometheus semantics: regular expressions are fully anchored and `.` matches
 * newlines too (Prometheus compiles `^(?s:re)$`). A missing label has the value "", so `{a=""}`
 * matches series without `a` and `{a!="x"}` matches series without `a`.
 *
 * Common regex shapes take fast paths without running a RegExp: `.*`, `.+`, literal alternations
 * (`a|b|c`, the shape Grafana's multi-value variables produce) and literal prefixes (`foo.*`).
 */
export class Matcher {
  private readonly test: (value: string) => boolean;

  constructor(
    readonly type: MatchType,
    readonly name: string,
    readonly value: string,
  ) {
    const positive = type === '=' || type === '=~' ? compilePositive(type, value) : compilePositive(type === '!=' ? '=' : '=~', value);
    this.test = type === '!=' || type === '!~' ? (v) => !positive(v) : positive;
  }

  matches(value: string): boolean {
    return this.test(value);
  }

  /** Whether a series without this label (value "") matches. */
  get matchesEmpty(): boolean {
    return this.test('');
  }

  /** The matcher that selects exactly the values this one rejects. */
  inverse(): Matcher {
    const inv: Record<MatchType, MatchType> = { '=': '!=', '!=': '=', '=~': '!~', '!~': '=~' };
    return new Matcher(inv[this.type], this.name, this.value);
  }

  /** `=~".*"`: matches every value including "", so it selects nothing away. */
  get matchesEverything(): boolean {
    return this.type === '=~' && (this.value === '.*' || this.value === '(?s:.*)');
  }

  toString(): string {
    return `${this.name}${this.type}${JSON.stringify(this.value)}`;
  }
}

const META = /[\\^$.|?*+()[\]{}]/;

function compilePositive(type: '=' | '=~', value: string): (v: string) => boolean {
  if (type === '=') return (v) => v === value;
  if (value === '.*') return () => true;
  if (value === '.+') return (v) => v.length > 0;
  // Literal alternation: a|b|c with no metacharacters in any branch.
  const branches = value.split('|');
  if (branches.every((b) => !META.test(b))) {
    if (branches.length === 1) return (v) => v === value;
    const set = new Set(branches);
    return (v) => set.has(v);
  }
  // Literal prefix followed by .*
  if (value.endsWith('.*') && !META.test(value.slice(0, -2))) {
    const prefix = value.slice(0, -2);
    return (v) => v.startsWith(prefix);
  }
  const re = compileRegex(value);
  return (v) => re.test(v);
}

/**
 * Compiles a Prometheus (RE2) regex as a fully anchored JavaScript RegExp. A leading `(?i)` turns
 * into the `i` flag; other RE2-only syntax (named classes like `[[:alpha:]]`, `\z`, inline flags
 * elsewhere) is rejected with a typed error rather than silently matching differently.
 */
export function compileRegex(value: string): RegExp {
  let source = value;
  let flags = 's';
  const leading = /^\(\?([ims]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    if (leading[1].includes('i')) flags += 'i';
    if (leading[1].includes('m')) flags += 'm';
  }
  if (/\(\?[a-zA-Z-]*[:)]/.test(source.replace(/\(\?:/g, ''))) {
    throw new ValidationError('invalid_regex', `regular expression ${JSON.stringify(value)} uses inline flags that are only supported at its start, like (?i)`);
  }
  if (/\[\[:[a-z]+:\]\]|\\[zAQE]/.test(source)) {
    throw new ValidationError('invalid_regex', `regular expression ${JSON.stringify(value)} uses RE2 syntax that is not supported yet`);
  }
  try {
    return new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    throw new ValidationError('invalid_regex', `invalid regular expression ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
}
