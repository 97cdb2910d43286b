import { BUILTINS, type FuncMap, GoHTML, GoSlice, type TemplateFunc } from '@panoptes/gotemplate';
import { compileAnchored } from '../config/regex';

/**
 * Alertmanager 0.25's template functions (`template.DefaultFuncs`) on top of text/template's
 * builtins: toUpper, toLower, title, join, match, safeHtml, reReplaceAll, stringSlice. 0.25 has no
 * `trimSpace` (0.26), `date`, `tz`, `since`, `humanizeDuration` (0.27) or `urlUnescape`: a
 * template using them fails to parse, as it does in Alertmanager 0.25.
 */

const cache = new Map<string, RegExp>();

/** A Go regexp as `regexp.Compile` takes it (unanchored), global for scanning. */
function goRegexp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const anchored = compileAnchored(pattern);
  re = new RegExp(anchored.source.slice('^(?:'.length, -')$'.length), `g${anchored.flags}`);
  if (cache.size >= 256) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** Go's `Regexp.Expand` template: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name takes the longest run of word characters. */
function expand(repl: string, m: RegExpExecArray): string {
  return repl.replace(/\$(\$|\{(\w+)\}|(\w+))?/g, (all, _x, braced?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined) return '$';
    return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? '';
  });
}

/** Go's `Regexp.ReplaceAllString`: non-overlapping matches; an empty match right after a match is skipped. */
export function reReplaceAll(pattern: string, repl: string, text: string): string {
  let re: RegExp;
  try {
    re = goRegexp(pattern);
  } catch (err) {
    // regexp.MustCompile panics; text/template turns the panic into the call's error.
    throw new Error(`regexp: Compile(\`${pattern}\`): ${(err as Error).message}`);
  }
  let out = '';
  let lastEnd = 0;
  let search = 0;
  while (search <= text.length) {
    re.lastIndex = search;
    const m = re.exec(text);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += text.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expand(repl, m);
    lastEnd = end;
    // Advance past the match, and always by at least one character.
    const cp = text.codePointAt(search);
    const width = cp === undefined ? 0 : cp > 0xffff ? 2 : 1;
    if (search + width > end) search += width;
    else if (search + 1 > end) search++;
    else search = end;
  }
  return out + text.slice(lastEnd);
}

/** Go's regexp.MatchString (unanchored). */
export function match(pattern: string, s: string): boolean {
  const re = goRegexp(pattern);
  re.lastIndex = 0;
  return re.test(s);
}

/** Go's unicode case mapping is one rune to one rune: JavaScript's multi-character mappings (ß → SS) are not applied. */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += [...m].length === 1 ? m : c;
  }
  return out;
}

export const toUpper = (s: string): string => mapRunes(s, (c) => c.toUpperCase());
export const toLower = (s: string): string => mapRunes(s, (c) => c.toLowerCase());

const WORD = /[\p{L}\p{N}\p{M}_]/u;
const MID_WORD = /[.'’:]/;
const LETTER = /\p{L}/u;

/**
 * `cases.Title(language.AmericanEnglish)`: each word's first letter in upper case, the rest of it
 * in lower case (`hELLO wORLD foo-bar` → `Hello World Foo-Bar`). Words run over letters, digits and
 * `_`, and over `.` `'` `:` between letters (`it's` stays one word).
 */
export function title(s: string): string {
  const chars = [...s];
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const prev = chars[i - 1];
    const inWord = prev !== undefined && (WORD.test(prev) || (MID_WORD.test(prev) && i >= 2 && LETTER.test(chars[i - 2]) && LETTER.test(chars[i] ?? '')));
    out += inWord ? toLower(chars[i]) : toUpper(chars[i]);
  }
  return out;
}

const str1 = (f: (s: string) => string): TemplateFunc => ({ params: ['string'], call: ([s]) => f(s as string) });

/** text/template's builtins plus Alertmanager 0.25's functions. */
export const ALERTMANAGER_FUNCS: FuncMap = new Map<string, TemplateFunc>([
  ...BUILTINS,
  ['toUpper', str1(toUpper)],
  ['toLower', str1(toLower)],
  ['title', str1(title)],
  ['join', { params: ['string', '[]string'], call: ([sep, items]) => ((items as GoSlice).items as string[]).join(sep as string) }],
  ['match', { params: ['string', 'string'], call: ([p, s]) => match(p as string, s as string) }],
  ['safeHtml', { params: ['string'], call: ([s]) => new GoHTML(s as string) }],
  ['reReplaceAll', { params: ['string', 'string', 'string'], call: ([p, r, t]) => reReplaceAll(p as string, r as string, t as string) }],
  ['stringSlice', { params: [], variadic: 'string', call: (items) => new GoSlice('[]string', items) }],
]);
