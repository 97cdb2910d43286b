import { type Document, LineCounter, type Node, type Pair, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';

/**
 * Strict YAML decoding with the semantics of Go's gopkg.in/yaml.v2 `UnmarshalStrict`, which
 * Alertmanager uses: scalars resolve as YAML 1.1 (`yes`/`on` are booleans), a string field takes
 * any scalar's text, unknown keys and duplicate keys are errors, merge keys (`<<`) work.
 *
 * Unlike Go, decoding does not stop at the first error: every problem is collected with its line
 * and path (`line 7: receivers[0].webhook_configs[0].urll: field urll not found in type
 * config.WebhookConfig`), so a user fixes a config in one round.
 */
export interface ConfigIssue {
  /** Dotted path from the document root, e.g. `route.routes[2].group_by`. */
  path: string;
  /** 1-based line of the offending node, when known. */
  line?: number;
  message: string;
}

/** Where a value is being decoded: its path, and the shared issue list. */
export class Where {
  constructor(
    readonly path: string,
    private readonly state: DecodeState,
  ) {}

  child(key: string | number): Where {
    const path = typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key;
    return new Where(path, this.state);
  }

  /** Records an issue at this path (and the node's line); always returns undefined for convenience. */
  fail(message: string, node?: Node | null): undefined {
    this.state.issues.push({ path: this.path, line: this.state.lineOf(node), message });
    return undefined;
  }

  get issueCount(): number {
    return this.state.issues.length;
  }

  resolve(node: unknown): Node | null {
    return this.state.resolve(node);
  }
}

class DecodeState {
  readonly issues: ConfigIssue[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  lineOf(node?: Node | null): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  resolve(node: unknown): Node | null {
    let n = node as Node | null | undefined;
    for (let depth = 0; n && isAlias(n) && depth < 64; depth++) n = n.resolve(this.doc) as Node | undefined;
    return n ?? null;
  }
}

/** A value codec: decodes a YAML node into T, and encodes T back for display (secrets masked). */
export interface Codec<T> {
  /** Go type name used in messages, e.g. `bool`, `config.Route`. */
  readonly goType: string;
  /** undefined = YAML null or a decoding error (recorded on `at`); the caller keeps its default. */
  decode(node: Node | null, at: Where): T | undefined;
  /** Plain JS for the YAML Alertmanager prints (`/api/v2/status` config.original); undefined = omit. */
  encode(value: T): unknown;
  /** Go's `omitempty` emptiness for this type. */
  isEmpty(value: T | undefined): boolean;
}

/** Parses `text` and decodes the root with `codec`; YAML syntax errors come back as issues too. */
export function decodeYaml<T>(text: string, codec: Codec<T>): { value: T | undefined; issues: ConfigIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', merge: true, uniqueKeys: true, lineCounter: lines, prettyErrors: false });
  const state = new DecodeState(doc, lines);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) state.issues.push({ path: '', line: e.linePos?.[0]?.line, message: `yaml: ${e.message.split('\n')[0]}` });
    return { value: undefined, issues: state.issues };
  }
  const value = codec.decode(state.resolve(doc.contents), new Where('', state));
  return { value, issues: state.issues };
}

// ---- scalar resolution (YAML 1.1 as yaml.v2 resolves plain scalars) ----

type Resolved = { tag: '!!null' } | { tag: '!!bool'; value: boolean } | { tag: '!!int'; value: number } | { tag: '!!float'; value: number } | { tag: '!!str'; value: string };

const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

function resolveScalar(node: Node): Resolved {
  if (!isScalar(node)) return { tag: '!!str', value: '' };
  const text = String(node.value);
  const explicit = node.tag;
  if (explicit === 'tag:yaml.org,2002:str' || (node.type && node.type !== 'PLAIN')) return { tag: '!!str', value: text };
  if (explicit === 'tag:yaml.org,2002:null' || NULLS.has(text)) return { tag: '!!null' };
  if (TRUE.has(text)) return { tag: '!!bool', value: true };
  if (FALSE.has(text)) return { tag: '!!bool', value: false };
  const plain = text.replace(/_/g, '');
  if (/^[-+]?(0b[01]+|0x[0-9a-fA-F]+|0o?[0-7]+|[0-9]+)$/.test(plain)) {
    const neg = plain.startsWith('-');
    const body = plain.replace(/^[-+]/, '');
    let n: number;
    if (body.startsWith('0b')) n = parseInt(body.slice(2), 2);
    else if (body.startsWith('0x')) n = parseInt(body.slice(2), 16);
    else if (body.startsWith('0o')) n = parseInt(body.slice(2), 8);
    else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
    else n = parseInt(body, 10);
    return { tag: '!!int', value: neg ? -n : n };
  }
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return { tag: '!!float', value: Number(plain) };
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return { tag: '!!float', value: text.startsWith('-') ? -Infinity : Infinity };
  if (/^\.(nan|NaN|NAN)$/.test(text)) return { tag: '!!float', value: NaN };
  return { tag: '!!str', value: text };
}

function kindOf(node: Node): string {
  if (isMap(node)) return '!!map';
  if (isSeq(node)) return '!!seq';
  return resolveScalar(node).tag;
}

/** Go's yaml.v2 type-error wording. */
function cannot(node: Node, goType: string): string {
  if (isScalar(node)) return `cannot unmarshal ${kindOf(node)} \`${String(node.value)}\` into ${goType}`;
  return `cannot unmarshal ${kindOf(node)} into ${goType}`;
}

export function isNull(node: Node | null): boolean {
  return node === null || (isScalar(node) && resolveScalar(node).tag === '!!null');
}

// ---- codecs ----

/** A string field: takes any scalar's text (yaml.v2 sets strings from ints, bools, floats alike). */
export const str: Codec<string> = {
  goType: 'string',
  decode(node, at) {
    if (isNull(node)) return undefined;
    if (!isScalar(node)) return at.fail(cannot(node!, 'string'), node);
    return String(node.value);
  },
  encode: (v) => v,
  isEmpty: (v) => v === undefined || v === '',
};

export const bool: Codec<boolean> = {
  goType: 'bool',
  decode(node, at) {
    if (isNull(node)) return undefined;
    const r = isScalar(node) ? resolveScalar(node) : undefined;
    if (r?.tag !== '!!bool') return at.fail(cannot(node!, 'bool'), node);
    return r.value;
  },
  encode: (v) => v,
  isEmpty: (v) => !v,
};

function integer(goType: string, min: number): Codec<number> {
  return {
    goType,
    decode(node, at) {
      if (isNull(node)) return undefined;
      const r = isScalar(node) ? resolveScalar(node) : undefined;
      if (r?.tag === '!!int' && r.value >= min && Number.isSafeInteger(r.value)) return r.value;
      if (r?.tag === '!!float' && Number.isInteger(r.value) && r.value >= min) return r.value;
      return at.fail(cannot(node!, goType), node);
    },
    encode: (v) => v,
    isEmpty: (v) => !v,
  };
}

export const int64 = integer('int64', Number.MIN_SAFE_INTEGER);
export const uint64 = integer('uint64', 0);

/**
 * A string-typed value with its own parser (durations, URLs, regexes…), like a Go type whose
 * UnmarshalYAML reads a string and validates it. `parse` throws an Error whose message is Go's.
 */
export function parsed<T>(goType: string, parse: (s: string) => T, encode: (v: T) => unknown, isEmpty: (v: T | undefined) => boolean = (v) => v === undefined): Codec<T> {
  return {
    goType,
    decode(node, at) {
      const s = str.decode(node, at);
      if (s === undefined) return undefined;
      try {
        return parse(s);
      } catch (err) {
        return at.fail((err as Error).message, node);
      }
    },
    encode,
    isEmpty,
  };
}

/** A secret string: decoded as is, shown as `<secret>` (Alertmanager's `Secret`). */
export const secret: Codec<string> = { ...str, goType: 'config.Secret', encode: (v) => (v ? '<secret>' : undefined) };

export function list<T>(of: Codec<T>): Codec<T[]> {
  return {
    goType: `[]${of.goType}`,
    decode(node, at) {
      if (isNull(node)) return undefined;
      if (!isSeq(node)) return at.fail(cannot(node!, `[]${of.goType}`), node);
      const out: T[] = [];
      node.items.forEach((item, i) => {
        const n = at.resolve(item);
        if (isNull(n)) return;
        const v = of.decode(n, at.child(i));
        if (v !== undefined) out.push(v);
      });
      return out;
    },
    encode: (v) => v.map((x) => of.encode(x)),
    isEmpty: (v) => v === undefined || v.length === 0,
  };
}

/** A map from string keys to `of` values (Go `map[string]T`), keys kept in document order. */
export function dict<T>(of: Codec<T>): Codec<Record<string, T>> {
  return {
    goType: `map[string]${of.goType}`,
    decode(node, at) {
      if (isNull(node)) return undefined;
      if (!isMap(node)) return at.fail(cannot(node!, `map[string]${of.goType}`), node);
      const out: Record<string, T> = {};
      for (const [key, value] of mapPairs(node, at)) {
        const v = of.decode(at.resolve(value), at.child(key));
        if (v !== undefined) out[key] = v;
        else if (isNull(at.resolve(value)) && of.goType === 'string') out[key] = '' as T;
      }
      return out;
    },
    encode: (v) => Object.fromEntries(Object.entries(v).map(([k, x]) => [k, of.encode(x)])),
    isEmpty: (v) => v === undefined || Object.keys(v).length === 0,
  };
}

/** The key/value pairs of a mapping, merge keys (`<<: *anchor`) expanded below explicit keys. */
function mapPairs(node: Node, at: Where): [string, unknown][] {
  const explicit: [string, unknown][] = [];
  const merged: [string, unknown][] = [];
  if (!isMap(node)) return explicit;
  for (const pair of node.items as Pair[]) {
    const keyNode = at.resolve(pair.key);
    const key = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof key === 'symbol' || key === '<<') {
      const sources = at.resolve(pair.value);
      const maps = isSeq(sources) ? sources.items.map((i) => at.resolve(i)) : [sources];
      for (const m of maps) {
        if (isMap(m)) merged.push(...mapPairs(m, at));
        else at.fail('map merge requires map or sequence of maps as the value', m);
      }
      continue;
    }
    if (!isScalar(keyNode)) {
      at.fail(`cannot use ${kindOf(keyNode!)} as a mapping key`, keyNode);
      continue;
    }
    explicit.push([String(key), pair.value]);
  }
  const seen = new Set(explicit.map(([k]) => k));
  const fromMerge = merged.filter(([k]) => (seen.has(k) ? false : (seen.add(k), true)));
  return [...explicit, ...fromMerge];
}

export interface Field {
  key: string;
  codec: Codec<unknown>;
  /** Go's `omitempty`: left out of the printed YAML when empty. */
  omitEmpty?: boolean;
}

export function field<T>(key: string, codec: Codec<T>, omitEmpty = true): Field {
  return { key, codec: codec as Codec<unknown>, omitEmpty };
}

export interface ObjectOptions<T> {
  /** Values before decoding (Go's `*c = DefaultXConfig`). */
  defaults?: () => Partial<T>;
  /** Checks after a clean decode of this object (Go's UnmarshalYAML tail); returns an error message or undefined. May normalise `v`. */
  validate?: (v: T) => string | undefined;
}

/** A struct: known fields only (others are errors, as UnmarshalStrict), defaults, then validation. */
export function object<T extends object>(goType: string, fields: Field[], options: ObjectOptions<T> = {}): Codec<T> & { fields: Field[] } {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  return {
    goType,
    fields,
    decode(node, at) {
      if (isNull(node)) return undefined;
      if (!isMap(node)) return at.fail(cannot(node!, goType), node);
      const before = at.issueCount;
      const out = { ...(options.defaults?.() ?? {}) } as Record<string, unknown>;
      for (const [key, value] of mapPairs(node, at)) {
        const f = byKey.get(key);
        const valueNode = at.resolve(value);
        if (!f) {
          at.child(key).fail(`field ${key} not found in type ${goType}`, valueNode ?? node);
          continue;
        }
        const v = f.codec.decode(valueNode, at.child(key));
        if (v !== undefined) out[key] = v;
      }
      if (at.issueCount > before) return undefined;
      const problem = options.validate?.(out as T);
      if (problem) return at.fail(problem, node);
      return out as T;
    },
    encode(value) {
      const out: Record<string, unknown> = {};
      const v = value as Record<string, unknown>;
      for (const f of fields) {
        if (f.omitEmpty && f.codec.isEmpty(v[f.key])) continue;
        if (v[f.key] === undefined) continue;
        const e = f.codec.encode(v[f.key]);
        if (e !== undefined) out[f.key] = e;
      }
      return out;
    },
    isEmpty: (v) => v === undefined,
  };
}

/** A codec resolved on use, for recursive types (a route's `routes` are routes). */
export function lazy<T>(get: () => Codec<T>, goType: string): Codec<T> {
  return { goType, decode: (n, at) => get().decode(n, at), encode: (v) => get().encode(v), isEmpty: (v) => get().isEmpty(v) };
}
