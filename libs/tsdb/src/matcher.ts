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
 * into the `i` flag, case flags inside the regex into character classes, `(?P<name>` into
 * `(?<name>`; other RE2-only syntax (named classes like `[[:alpha:]]`, `\z`, the `U` flag) is
 * rejected with a typed error rather than silently matching differently.
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
  source = source.replace(/(?<!\\)\(\?P</g, '(?<'); // RE2's named groups, in JavaScript's syntax
  if (/\(\?[a-zA-Z-]*[:)]/.test(source.replace(/\(\?:/g, ''))) {
    for (const m of source.matchAll(/\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?[:)]/g)) {
      // `s` is always on here (Prometheus 3 compiles every regex with it); only `i` can change mid-way.
      if (/[^is]/.test(m[1] + (m[2] ?? ''))) {
        throw new ValidationError('invalid_regex', `regular expression ${JSON.stringify(value)} uses inline flags other than i and s inside it; only i can change mid-way`);
      }
    }
    source = expandInlineCaseFlags(source, value);
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

const LETTER = /[a-zA-Z]/;

function otherCase(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
}

/**
 * RE2's inline case flags inside a regex (`(?i:PRO)`, `a((?i)b)c`, `(?-i:x)`), which Node 20's
 * RegExp has no syntax for, rewritten as character classes: inside a case-insensitive scope a
 * letter `p` becomes `[pP]` and a class gains the other case of its letters and letter ranges.
 * Flags last to the end of their group, as in RE2.
 */
function expandInlineCaseFlags(src: string, original: string): string {
  let out = '';
  const saved: boolean[] = [];
  let ci = false;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      out += src.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (src[j] === '^') cls += src[j++];
      if (src[j] === ']') {
        cls += '\\]';
        j++;
      }
      let extra = '';
      while (j < src.length && src[j] !== ']') {
        if (src[j] === '\\') {
          cls += src.slice(j, j + 2);
          j += 2;
          continue;
        }
        const a = src[j];
        if (src[j + 1] === '-' && j + 2 < src.length && src[j + 2] !== ']') {
          const b = src[j + 2];
          cls += `${a}-${b}`;
          if (ci && LETTER.test(a) && LETTER.test(b) && (a === a.toLowerCase()) === (b === b.toLowerCase())) extra += `${otherCase(a)}-${otherCase(b)}`;
          j += 3;
          continue;
        }
        cls += a;
        if (ci && LETTER.test(a)) extra += otherCase(a);
        j++;
      }
      if (j >= src.length) throw new ValidationError('invalid_regex', `invalid regular expression ${JSON.stringify(original)}: missing closing ]`);
      out += `${cls}${extra}]`;
      i = j + 1;
      continue;
    }
    if (c === '(') {
      const flags = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(src.slice(i));
      if (flags) {
        const next: boolean = (flags[2] ?? '').includes('i') ? false : flags[1].includes('i') ? true : ci;
        if (flags[3] === ':') {
          saved.push(ci);
          out += '(?:';
        }
        ci = next;
        i += flags[0].length;
        continue;
      }
      saved.push(ci);
      const named = /^\(\?<([^>]*)>/.exec(src.slice(i));
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length;
        continue;
      }
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      ci = saved.pop() ?? false;
      out += ')';
      i++;
      continue;
    }
    if (c === '{') {
      // A repetition like {2,3}: copied as it is (no letters to fold).
      const rep = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
      if (rep) {
        out += rep[0];
        i += rep[0].length;
        continue;
      }
    }
    out += ci && LETTER.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
    i++;
  }
  return out;
}
