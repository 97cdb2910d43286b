import { formatGoFloat } from '@panoptes/promql';
import type { ParamType } from './exec';

/**
 * The Go values a template sees, as JavaScript values. Go distinguishes types that JavaScript
 * does not, and templates can tell them apart (`gt $value 80` fails in Go because 80 is an int and
 * $value a float64), so:
 *   string → string        float64 → number     int → GoInt      bool → boolean
 *   nil / no value → null  html_template.HTML → GoHTML           *time.Time → GoTime
 *   maps → GoMap (string keys, sorted when printed or ranged)   slices → GoSlice
 *   structs (and pointers to them) → GoStruct with named fields
 */
export class GoInt {
  constructor(readonly value: number) {}
}

export class GoHTML {
  constructor(readonly value: string) {}
}

/** A `*time.Time` in UTC, millisecond precision (Prometheus truncates template times to ms). */
export class GoTime {
  constructor(readonly unixMs: number) {}
}

/**
 * A method of a named Go type (`KV.SortedPairs`, `Alerts.Firing`): templates call it as a field
 * (`.Labels.SortedPairs`, `.CommonLabels.Remove .GroupLabels.Names`), and Go looks methods up
 * before map keys and struct fields. A method named `String` with no parameters is what fmt
 * prints for the value (Go's fmt.Stringer).
 */
export interface GoMethod {
  params: ParamType[];
  variadic?: ParamType;
  /** Returns the result or throws; the error becomes `error calling NAME: <message>`. */
  call(receiver: GoValue, args: GoValue[]): GoValue;
}

/** Methods of a named type by name; one table shared by all values of the type. */
export type GoMethods = ReadonlyMap<string, GoMethod>;

export class GoMap {
  constructor(
    /** Go's name of the type, for messages: `map[string]string`. */
    readonly typeName: string,
    /** What a missing key reads as (`missingkey=zero`). */
    readonly zero: GoValue,
    readonly entries: Map<string, GoValue>,
    readonly methods?: GoMethods,
  ) {}

  static ofStrings(record: ReadonlyMap<string, string> | Readonly<Record<string, string>>): GoMap {
    const entries = record instanceof Map ? new Map<string, GoValue>(record) : new Map<string, GoValue>(Object.entries(record));
    return new GoMap('map[string]string', '', entries);
  }

  sortedKeys(): string[] {
    return [...this.entries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

export class GoSlice {
  constructor(
    readonly typeName: string,
    readonly items: GoValue[],
    readonly methods?: GoMethods,
  ) {}
}

export class GoStruct {
  constructor(
    /** `*template.sample`, `struct { Labels map[string]string; … }`… */
    readonly typeName: string,
    readonly fields: Map<string, GoValue>,
    /** Printed with `&` by fmt when reached through a pointer (templates print the value). */
    readonly pointer = false,
    readonly methods?: GoMethods,
  ) {}
}

/** The method `name` of a value's type, if it has one. */
export function methodOf(v: GoValue, name: string): GoMethod | undefined {
  return v instanceof GoMap || v instanceof GoSlice || v instanceof GoStruct ? v.methods?.get(name) : undefined;
}

/** What fmt's `%v` prints for a value whose type has a `String()` method; undefined otherwise. */
export function stringer(v: GoValue): string | undefined {
  const m = methodOf(v, 'String');
  if (!m || m.params.length > 0 || m.variadic) return undefined;
  const s = m.call(v, []);
  return typeof s === 'string' ? s : undefined;
}

export type GoValue = string | number | boolean | null | GoInt | GoHTML | GoTime | GoMap | GoSlice | GoStruct;

/** Go's name for the dynamic type of a value, as messages print it. */
export function typeName(v: GoValue): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (v instanceof GoHTML) return 'template.HTML';
  if (v instanceof GoTime) return '*time.Time';
  return v.typeName;
}

/** Go's `fmt.Sprint` of one value (`%v`). */
export function formatValue(v: GoValue, top = true): string {
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatGoFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoInt) return String(v.value);
  if (v instanceof GoHTML) return v.value;
  if (v instanceof GoTime) return formatGoTime(v.unixMs);
  const custom = stringer(v);
  if (custom !== undefined) return custom;
  if (v instanceof GoMap) return `map[${v.sortedKeys().map((k) => `${k}:${formatValue(v.entries.get(k)!, false)}`).join(' ')}]`;
  if (v instanceof GoSlice) return `[${v.items.map((x) => formatValue(x, false)).join(' ')}]`;
  // Go prints a pointer inside a container as its address, which has no stable value; a fixed
  // stand-in keeps output deterministic.
  if (v.pointer && !top) return '0xc000000000';
  const body = `{${[...v.fields.values()].map((x) => formatValue(x, false)).join(' ')}}`;
  return v.pointer ? `&${body}` : body;
}

/** Go's truth of a value for `if`, `with`, `and`, `or`, `not`: empty and zero values are false. */
export function isTrue(v: GoValue): boolean {
  if (v === null) return false;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'boolean') return v;
  if (v instanceof GoInt) return v.value !== 0;
  if (v instanceof GoHTML) return v.value.length > 0;
  if (v instanceof GoMap) return v.entries.size > 0;
  if (v instanceof GoSlice) return v.items.length > 0;
  return true;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `time.Time.String()` of a UTC time: `2015-06-23 13:19:44.128 +0000 UTC` (fraction trimmed). */
export function formatGoTime(unixMs: number): string {
  const d = new Date(unixMs);
  const ms = ((unixMs % 1000) + 1000) % 1000;
  const frac = ms === 0 ? '' : `.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
  const year = d.getUTCFullYear();
  const y = year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
  return `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac} +0000 UTC`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// Go layout tokens, longest first so `January` wins over `Jan` and `2006` over `2`.
const LAYOUT_TOKENS = [
  'January', 'Monday', '-07:00:00', 'Z07:00:00', '-07:00', 'Z07:00', '-0700', 'Z0700', '2006', '.000000000', '.999999999',
  '.000000', '.999999', '.000', '.999', 'Jan', 'Mon', 'MST', '002', '__2', '-07', 'Z07', '01', '02', '_2', '03', '04', '05',
  '06', '15', 'PM', 'pm', '1', '2', '3', '4', '5',
];

/** `time.Time.Format(layout)` for a UTC time, with Go's reference-time layout tokens. */
export function formatGoTimeLayout(unixMs: number, layout: string): string {
  const d = new Date(unixMs);
  const ms = ((unixMs % 1000) + 1000) % 1000;
  const hour = d.getUTCHours();
  const yday = Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  const fraction = (digits: number, trim: boolean): string => {
    const s = String(ms * 1_000_000).padStart(9, '0').slice(0, digits);
    const t = trim ? s.replace(/0+$/, '') : s;
    return t === '' ? '' : `.${t}`;
  };
  const values: Record<string, () => string> = {
    January: () => MONTHS[d.getUTCMonth()],
    Jan: () => MONTHS[d.getUTCMonth()].slice(0, 3),
    Monday: () => DAYS[d.getUTCDay()],
    Mon: () => DAYS[d.getUTCDay()].slice(0, 3),
    '2006': () => String(d.getUTCFullYear()).padStart(4, '0'),
    '06': () => pad2(d.getUTCFullYear() % 100),
    '01': () => pad2(d.getUTCMonth() + 1),
    '1': () => String(d.getUTCMonth() + 1),
    '02': () => pad2(d.getUTCDate()),
    _2: () => String(d.getUTCDate()).padStart(2, ' '),
    '2': () => String(d.getUTCDate()),
    '002': () => String(yday).padStart(3, '0'),
    __2: () => String(yday).padStart(3, ' '),
    '15': () => pad2(hour),
    '03': () => pad2(hour % 12 === 0 ? 12 : hour % 12),
    '3': () => String(hour % 12 === 0 ? 12 : hour % 12),
    '04': () => pad2(d.getUTCMinutes()),
    '4': () => String(d.getUTCMinutes()),
    '05': () => pad2(d.getUTCSeconds()),
    '5': () => String(d.getUTCSeconds()),
    PM: () => (hour >= 12 ? 'PM' : 'AM'),
    pm: () => (hour >= 12 ? 'pm' : 'am'),
    MST: () => 'UTC',
    '-07:00:00': () => '+00:00:00',
    '-07:00': () => '+00:00',
    '-0700': () => '+0000',
    '-07': () => '+00',
    'Z07:00:00': () => 'Z',
    'Z07:00': () => 'Z',
    Z0700: () => 'Z',
    Z07: () => 'Z',
    '.000': () => fraction(3, false),
    '.000000': () => fraction(6, false),
    '.000000000': () => fraction(9, false),
    '.999': () => fraction(3, true),
    '.999999': () => fraction(6, true),
    '.999999999': () => fraction(9, true),
  };
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const tok of LAYOUT_TOKENS) {
      if (layout.startsWith(tok, i)) {
        out += values[tok]();
        i += tok.length;
        continue outer;
      }
    }
    out += layout[i++];
  }
  return out;
}
