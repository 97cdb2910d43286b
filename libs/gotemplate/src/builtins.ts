import type { TemplateFunc } from './exec';
import { sprint, sprintf, sprintln } from './go-fmt';
import { GoHTML, GoInt, GoMap, GoSlice, type GoValue, isTrue, typeName } from './values';

/**
 * text/template's predefined functions: and, or, not, len, index, slice, print, printf, println,
 * html, js, urlquery and the comparisons eq, ne, lt, le, gt, ge with Go's type rules (an int
 * never compares with a float64: `gt $value 80` fails, `gt $value 80.0` works).
 */

type Kind = 'bool' | 'int' | 'float' | 'string';

function basicKind(v: GoValue): Kind | undefined {
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string' || v instanceof GoHTML) return 'string';
  return undefined;
}

function primitive(v: GoValue): boolean | number | string {
  if (v instanceof GoInt || v instanceof GoHTML) return v.value;
  return v as boolean | number | string;
}

const BAD_COMPARISON = 'incompatible types for comparison';
const BAD_COMPARISON_TYPE = 'invalid type for comparison';

function eq(args: GoValue[]): boolean {
  const [a, ...rest] = args;
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const ka = basicKind(a);
  for (const b of rest) {
    const kb = basicKind(b);
    if (ka !== kb) {
      if (a !== null && b !== null) throw new Error(BAD_COMPARISON);
      if (a === null && b === null) return true;
      continue;
    }
    if (ka === undefined) {
      if (a === null || b === null) {
        if (a === b) return true;
        continue;
      }
      throw new Error(`non-comparable types ${typeName(a)}, ${typeName(b)}`);
    }
    if (primitive(a) === primitive(b)) return true;
  }
  return false;
}

function lt(a: GoValue, b: GoValue): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === undefined || kb === undefined) throw new Error(BAD_COMPARISON_TYPE);
  if (ka !== kb) throw new Error(BAD_COMPARISON);
  if (ka === 'bool') throw new Error(BAD_COMPARISON_TYPE);
  return primitive(a) < primitive(b);
}

function length(v: GoValue): GoValue {
  if (typeof v === 'string') return new GoInt(Buffer.byteLength(v, 'utf8'));
  if (v instanceof GoHTML) return new GoInt(Buffer.byteLength(v.value, 'utf8'));
  if (v instanceof GoMap) return new GoInt(v.entries.size);
  if (v instanceof GoSlice) return new GoInt(v.items.length);
  if (v === null) throw new Error('len of nil pointer');
  throw new Error(`len of type ${typeName(v)}`);
}

/** An index in [0, cap); `cap` is the length to index and one more to slice. */
function intIndex(idx: GoValue, cap: number): number {
  if (idx === null) throw new Error('cannot index slice/array with nil');
  if (!(idx instanceof GoInt)) throw new Error(`cannot index slice/array with type ${typeName(idx)}`);
  if (idx.value < 0 || idx.value >= cap) throw new Error(`index out of range: ${idx.value}`);
  return idx.value;
}

function index(args: GoValue[]): GoValue {
  let item = args[0];
  for (const idx of args.slice(1)) {
    if (item === null) throw new Error('index of untyped nil');
    if (item instanceof GoMap) {
      if (typeof idx !== 'string') throw new Error(`value has type ${typeName(idx)}; should be string`);
      item = item.entries.has(idx) ? item.entries.get(idx)! : item.zero;
    } else if (item instanceof GoSlice) {
      item = item.items[intIndex(idx, item.items.length)];
    } else if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8');
      item = new GoInt(bytes[intIndex(idx, bytes.length)]);
    } else {
      throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(args: GoValue[]): GoValue {
  const [item, ...idx] = args;
  if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
  if (typeof item === 'string') {
    if (idx.length === 3) throw new Error('cannot 3-index slice a string');
    const bytes = Buffer.from(item, 'utf8');
    const lo = idx.length > 0 ? intIndex(idx[0], bytes.length + 1) : 0;
    const hi = idx.length > 1 ? intIndex(idx[1], bytes.length + 1) : bytes.length;
    if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
    return bytes.subarray(lo, hi).toString('utf8');
  }
  if (item instanceof GoSlice) {
    const n = item.items.length;
    const lo = idx.length > 0 ? intIndex(idx[0], n + 1) : 0;
    const hi = idx.length > 1 ? intIndex(idx[1], n + 1) : n;
    if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
    return new GoSlice(item.typeName, item.items.slice(lo, hi));
  }
  if (item === null) throw new Error('slice of untyped nil');
  throw new Error(`can't slice item of type ${typeName(item)}`);
}

/** `evalArgs`: a lone string as it is, anything else through fmt.Sprint. */
function argsString(args: GoValue[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
}

export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '\\' || c === "'" || c === '"') out += `\\${c}`;
    else if (c === '<' || c === '>' || c === '&' || c === '=') out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else if (cp < 0x20) out += `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

/** Go's `url.QueryEscape`: unreserved characters kept, space as `+`, the rest %XX. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export const BUILTINS: ReadonlyMap<string, TemplateFunc> = new Map<string, TemplateFunc>([
  ['and', { params: ['any'], variadic: 'any', shortCircuit: 'and', call: () => null }],
  ['or', { params: ['any'], variadic: 'any', shortCircuit: 'or', call: () => null }],
  ['not', { params: ['any'], call: ([v]) => !isTrue(v) }],
  ['len', { params: ['any'], call: ([v]) => length(v) }],
  ['index', { params: ['any'], variadic: 'any', call: index }],
  ['slice', { params: ['any'], variadic: 'any', call: slice }],
  ['print', { params: [], variadic: 'any', call: (a) => sprint(a) }],
  ['printf', { params: ['string'], variadic: 'any', call: ([f, ...a]) => sprintf(f as string, a) }],
  ['println', { params: [], variadic: 'any', call: (a) => sprintln(a) }],
  ['html', { params: [], variadic: 'any', call: (a) => htmlEscape(argsString(a)) }],
  ['js', { params: [], variadic: 'any', call: (a) => jsEscape(argsString(a)) }],
  ['urlquery', { params: [], variadic: 'any', call: (a) => queryEscape(argsString(a)) }],
  ['eq', { params: ['any'], variadic: 'any', call: eq }],
  ['ne', { params: ['any', 'any'], call: (a) => !eq(a) }],
  ['lt', { params: ['any', 'any'], call: ([a, b]) => lt(a, b) }],
  ['le', { params: ['any', 'any'], call: ([a, b]) => lt(a, b) || eq([a, b]) }],
  ['gt', { params: ['any', 'any'], call: ([a, b]) => !(lt(a, b) || eq([a, b])) }],
  ['ge', { params: ['any', 'any'], call: ([a, b]) => !lt(a, b) }],
]);
