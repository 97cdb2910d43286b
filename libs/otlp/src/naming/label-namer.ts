import { NameTranslationError, quote } from './strategy';

export interface LabelNamerOptions {
  /** Names are kept as sent (UTF-8 strategies). */
  utf8Allowed: boolean;
  /** Prefix `key` to a name starting with exactly one `_` (`label_name_underscore_sanitization`). */
  underscoreLabelSanitization: boolean;
  /** Keep runs of `_` instead of collapsing them (`label_name_preserve_multiple_underscores`). */
  preserveMultipleUnderscores: boolean;
}

/**
 * Translates an OTLP attribute key to a Prometheus label name, as prometheus/otlptranslator's
 * `LabelNamer.Build` does:
 * 1. an empty key is an error;
 * 2. UTF-8 strategies keep the key as is, but a key made only of `_` is an error;
 * 3. otherwise every character outside `[a-zA-Z0-9]` (a code point, so `é` is one `_`) becomes
 *    `_`; runs of `_` collapse to one unless `preserveMultipleUnderscores` (Prometheus's default
 *    keeps them), and when collapsing a reserved `__x__` name keeps its double underscores;
 * 4. a leading digit gets the prefix `key_` (`0xyz` → `key_0xyz`);
 * 5. with `underscoreLabelSanitization` (Prometheus's default), a single leading `_` gets `key`
 *    (`_x` → `key_x`) while `__x` is left alone;
 * 6. a result made only of `_` is an error.
 * Throws `NameTranslationError` with Prometheus's message.
 */
export function buildLabelName(label: string, opts: LabelNamerOptions): string {
  if (label.length === 0) throw new NameTranslationError('label name is empty');
  if (opts.utf8Allowed) {
    if (onlyUnderscores(label)) throw new NameTranslationError(`label name ${quote(label)} contains only underscores`);
    return label;
  }
  let name = sanitizeLabelName(label, opts.preserveMultipleUnderscores);
  const c = name.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) name = `key_${name}`;
  else if (opts.underscoreLabelSanitization && c === 0x5f && name.charCodeAt(1) !== 0x5f) name = `key${name}`;
  if (onlyUnderscores(name)) {
    throw new NameTranslationError(`normalization for label name ${quote(label)} resulted in invalid name ${quote(name)}`);
  }
  return name;
}

function isAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
}

function onlyUnderscores(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== 0x5f) return false;
  return true;
}

/** Replaces every code point outside `[a-zA-Z0-9]` with `_` (otlptranslator `sanitizeLabelName`). */
export function sanitizeLabelName(name: string, preserveMultipleUnderscores: boolean): string {
  // Fast path: nothing to change.
  let clean = true;
  let prevUnderscore = false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (isAlnum(c)) {
      prevUnderscore = false;
    } else if (c === 0x5f && (preserveMultipleUnderscores || !prevUnderscore)) {
      prevUnderscore = true;
    } else {
      clean = false;
      break;
    }
  }
  if (clean && (preserveMultipleUnderscores || !isReserved(name))) return name;

  if (preserveMultipleUnderscores) {
    let out = '';
    for (const ch of name) out += ch.length === 1 && isAlnum(ch.charCodeAt(0)) ? ch : '_';
    return out;
  }
  const reserved = isReserved(name);
  const inner = reserved ? name.slice(2, -2) : name;
  let out = reserved ? '__' : '';
  prevUnderscore = false;
  for (const ch of inner) {
    if (ch.length === 1 && isAlnum(ch.charCodeAt(0))) {
      out += ch;
      prevUnderscore = false;
    } else if (!prevUnderscore) {
      out += '_';
      prevUnderscore = true;
    }
  }
  return reserved ? `${out}__` : out;
}

/** `__x__`: at least 4 characters, starting and ending with `__`. */
function isReserved(name: string): boolean {
  return name.length >= 4 && name.startsWith('__') && name.endsWith('__');
}

/**
 * A `buildLabelName` with a per-request cache: attribute keys repeat on every data point, and the
 * translation (with its allocations) is done once per distinct key.
 */
export class LabelNamer {
  private readonly cache = new Map<string, string | NameTranslationError>();

  constructor(readonly options: LabelNamerOptions) {}

  /** The label name, or throws `NameTranslationError`. */
  build(label: string): string {
    let r = this.cache.get(label);
    if (r === undefined) {
      try {
        r = buildLabelName(label, this.options);
      } catch (err) {
        if (!(err instanceof NameTranslationError)) throw err;
        r = err;
      }
      this.cache.set(label, r);
    }
    if (typeof r !== 'string') throw r;
    return r;
  }
}
