/**
 * Go (RE2) regular expressions, as Alertmanager compiles them (`^(?:` + re + `)$`, no flags), on
 * JavaScript's RegExp. RE2 syntax JavaScript lacks is translated (a leading `(?i)`/`(?s)`/`(?m)`,
 * `(?P<name>`, POSIX classes like `[[:alpha:]]`, `\A`, `\z`, `\Q…\E`); what RE2 rejects and
 * JavaScript would accept (look-arounds, back-references) is rejected, so a config valid here is
 * valid for Alertmanager. Anything else RE2-only (inline flags mid-regex, `\p{…}`) is rejected
 * with a message saying so rather than matching differently.
 */
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp>();

/** Compiles `re` anchored at both ends; throws an Error with Go's `error parsing regexp: …` prefix. */
export function compileAnchored(re: string): RegExp {
  const hit = cache.get(re);
  if (hit) return hit;
  let source = re;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    if (leading[1].includes('U')) throw new Error(`error parsing regexp: the ungreedy flag (?U) is not supported: \`${re}\``);
    flags = [...new Set(leading[1])].join('');
    source = source.slice(leading[0].length);
  }
  source = translate(source, re);
  let compiled: RegExp;
  try {
    compiled = new RegExp(`^(?:${source})$`, flags);
  } catch (err) {
    throw new Error(`error parsing regexp: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '')}: \`${re}\``);
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(re, compiled);
  return compiled;
}

function translate(source: string, original: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (next === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const literal = source.slice(i + 2, end < 0 ? source.length : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end < 0 ? source.length : end + 1;
        continue;
      }
      if (/[1-9]/.test(next)) throw new Error(`error parsing regexp: invalid escape sequence: \`\\${next}\``);
      if (next === 'p' || next === 'P' || next === 'C') throw new Error(`error parsing regexp: \\${next} classes are not supported: \`${original}\``);
      if (!inClass && next === 'z') {
        out += '(?![\\s\\S])';
        i++;
        continue;
      }
      if (!inClass && next === 'A') {
        out += '(?<![\\s\\S])';
        i++;
        continue;
      }
      out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && source[i + 1] === ':') {
        const end = source.indexOf(':]', i + 2);
        const name = end < 0 ? '' : source.slice(i + 2, end);
        if (POSIX[name]) {
          out += POSIX[name];
          i = end + 1;
          continue;
        }
        if (name.startsWith('^')) throw new Error(`error parsing regexp: negated POSIX classes are not supported: \`${original}\``);
        if (end >= 0) throw new Error(`error parsing regexp: invalid character class range: \`[:${name}:]\``);
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += `\\${source[++i]}`;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i);
      if (rest.startsWith('(?P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (/^\(\?(=|!|<=|<!)/.test(rest)) throw new Error(`error parsing regexp: invalid or unsupported Perl syntax: \`${rest.slice(0, rest[2] === '<' ? 4 : 3)}\``);
      if (!rest.startsWith('(?:')) throw new Error(`error parsing regexp: inline flags inside a regex are not supported here: \`${original}\``);
    }
    out += c;
  }
  return out;
}
