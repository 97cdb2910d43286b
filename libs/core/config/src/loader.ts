import { readFileSync } from 'node:fs';
import { Document, parseDocument, isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import { formatDuration, parseDuration } from './duration';
import {
  ConfigOf,
  defaults,
  FieldSpec,
  Fields,
  flatten,
  FlatField,
  SectionSpec,
  yamlKeyOf,
} from './spec';

/** Every problem found while loading, so the user can fix them all at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration (${problems.length} error${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Command-line arguments after the program name. */
  argv: string[];
  /** Environment for -config.expand-env; the loader is the only place that reads it. */
  env?: Record<string, string | undefined>;
  /** Reads the config file (injectable for tests). */
  readFile?: (path: string) => string;
}

export interface Loaded<S extends SectionSpec<Fields>> {
  config: ConfigOf<S>;
  /** The config file used, if any. */
  configFile: string | undefined;
  /** -help was given. */
  help: boolean;
  /** -config.print-defaults was given: print the default config as YAML and exit. */
  printDefaults: boolean;
}

/** Flags the loader itself owns, on top of the spec's. */
const LOADER_FLAGS = new Set(['config.file', 'config.expand-env', 'help', 'h', 'config.print-defaults']);

interface ParsedFlags {
  values: Map<string, string>;
  problems: string[];
}

/** Parses `-a.b=c`, `--a.b=c`, `-a.b c`, and `-flag` alone for booleans. */
export function parseFlags(argv: string[], boolFlags: Set<string>): ParsedFlags {
  const values = new Map<string, string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      problems.push(`unexpected argument "${arg}": flags look like -name=value`);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    if (eq >= 0) {
      values.set(body.slice(0, eq), body.slice(eq + 1));
    } else if (boolFlags.has(body) || body === 'help' || body === 'h' || body === 'config.print-defaults') {
      values.set(body, 'true');
    } else if (i + 1 < argv.length) {
      values.set(body, argv[++i]);
    } else {
      problems.push(`flag -${body} needs a value`);
    }
  }
  return { values, problems };
}

/** Replaces ${VAR} and ${VAR:default} with environment values. */
export function expandEnv(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g, (_m, name: string, def?: string) => env[name] ?? def ?? '');
}

function typeName(spec: FieldSpec<unknown>): string {
  switch (spec.type) {
    case 'int':
      return 'an integer';
    case 'float':
      return 'a number';
    case 'bool':
      return 'true or false';
    case 'duration':
      return 'a duration like 15s or 2h';
    case 'list':
      return 'a list of strings';
    case 'enum':
      return `one of ${spec.values!.join(', ')}`;
    default:
      return 'a string';
  }
}

/** Converts a YAML value or a flag string into the field's type; undefined when it does not fit. */
function convert(spec: FieldSpec<unknown>, raw: unknown, fromFlag: boolean): { ok: true; value: unknown } | { ok: false } {
  const fail = { ok: false } as const;
  switch (spec.type) {
    case 'string':
      return typeof raw === 'string' || (!fromFlag && typeof raw === 'number') ? { ok: true, value: String(raw) } : fail;
    case 'enum':
      return typeof raw === 'string' && spec.values!.includes(raw) ? { ok: true, value: raw } : fail;
    case 'bool':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return fail;
    case 'int':
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n))) return fail;
      return { ok: true, value: n };
    }
    case 'duration': {
      if (typeof raw === 'number' && raw === 0) return { ok: true, value: 0 };
      if (typeof raw !== 'string') return fail;
      const ms = parseDuration(raw);
      return ms === undefined ? fail : { ok: true, value: ms };
    }
    case 'list':
      if (Array.isArray(raw) && raw.every((x) => typeof x === 'string' || typeof x === 'number')) {
        return { ok: true, value: raw.map(String) };
      }
      if (typeof raw === 'string') {
        return { ok: true, value: raw === '' ? [] : raw.split(',').map((s) => s.trim()).filter(Boolean) };
      }
      return fail;
  }
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
  cur[path[path.length - 1]] = value;
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) cur = (cur as Record<string, unknown>)[p];
  return cur;
}

/** Applies a YAML mapping to the config, reporting unknown keys and wrong types with their YAML path. */
function applyYaml(
  spec: SectionSpec<Fields>,
  node: YamlNode | null,
  target: Record<string, unknown>,
  where: string[],
  problems: string[],
): void {
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    problems.push(`${where.join('.') || 'config file'}: expected a mapping of options`);
    return;
  }
  const byKey = new Map<string, [string, FieldSpec<unknown> | SectionSpec<Fields>]>();
  for (const [prop, child] of Object.entries(spec.fields)) byKey.set(yamlKeyOf(prop, child), [prop, child]);
  for (const pair of (node as YAMLMap).items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const path = [...where, key];
    const entry = byKey.get(key);
    if (!entry) {
      const known = [...byKey.keys()].sort().join(', ');
      problems.push(`${path.join('.')}: unknown field "${key}"${where.length ? ` in ${where.join('.')}` : ''} (known: ${known})`);
      continue;
    }
    const [prop, child] = entry;
    const valueNode = pair.value as YamlNode | null;
    if (child.kind === 'section') {
      applyYaml(child, valueNode, target[prop] as Record<string, unknown>, path, problems);
      continue;
    }
    const raw = valueNode === null ? null : isSeq(valueNode) || isMap(valueNode) ? valueNode.toJSON() : (valueNode as { value?: unknown }).value;
    const converted = convert(child, raw, false);
    if (!converted.ok) {
      problems.push(`${path.join('.')}: expected ${typeName(child)}, got ${JSON.stringify(raw)}`);
      continue;
    }
    target[prop] = converted.value;
  }
}

function checkBounds(f: FlatField, value: unknown, problems: string[]): void {
  const where = `${f.yamlPath.join('.')} (-${f.flag})`;
  if (typeof value === 'number') {
    if (f.spec.min !== undefined && value < f.spec.min) {
      problems.push(`${where}: must be >= ${f.spec.type === 'duration' ? formatDuration(f.spec.min) : f.spec.min}, got ${f.spec.type === 'duration' ? formatDuration(value) : value}`);
    }
    if (f.spec.max !== undefined && value > f.spec.max) problems.push(`${where}: must be <= ${f.spec.max}, got ${value}`);
  }
  const msg = f.spec.validate?.(value);
  if (msg) problems.push(`${where}: ${msg}`);
}

function validateSections(spec: SectionSpec<Fields>, value: Record<string, unknown>, problems: string[]): void {
  if (spec.validate) problems.push(...spec.validate(value as never));
  for (const [prop, child] of Object.entries(spec.fields)) {
    if (child.kind === 'section') validateSections(child, value[prop] as Record<string, unknown>, problems);
  }
}

/**
 * Loads the configuration: defaults, then the YAML file (-config.file, with ${VAR} expansion when
 * -config.expand-env=true), then flags. Unknown YAML keys and unknown flags are errors. Every
 * problem is collected; a ConfigError lists them all.
 */
export function loadConfig<S extends SectionSpec<Fields>>(spec: S, options: LoadOptions): Loaded<S> {
  const fields = flatten(spec);
  const byFlag = new Map(fields.map((f) => [f.flag, f]));
  const boolFlags = new Set(fields.filter((f) => f.spec.type === 'bool').map((f) => f.flag));
  boolFlags.add('config.expand-env');
  const { values: flags, problems } = parseFlags(options.argv, boolFlags);
  const config = defaults(spec) as Record<string, unknown>;

  const configFile = flags.get('config.file');
  if (configFile) {
    let text: string | undefined;
    try {
      text = (options.readFile ?? ((p) => readFileSync(p, 'utf8')))(configFile);
    } catch (err) {
      problems.push(`-config.file: cannot read ${configFile}: ${(err as Error).message}`);
    }
    if (text !== undefined) {
      if (flags.get('config.expand-env') === 'true') text = expandEnv(text, options.env ?? {});
      const doc = parseDocument(text, { uniqueKeys: true, merge: true });
      if (doc.errors.length > 0) {
        for (const e of doc.errors) problems.push(`${configFile}: ${e.message.split('\n')[0]}`);
      } else {
        // Anchors, aliases and merge keys (`<<: *redis`) resolved first: the walk sees plain mappings.
        const resolved = new Document(doc.toJS({ maxAliasCount: 10_000 }));
        applyYaml(spec, resolved.contents as YamlNode | null, config, [], problems);
      }
    }
  }

  for (const [name, raw] of flags) {
    if (LOADER_FLAGS.has(name)) continue;
    const f = byFlag.get(name);
    if (!f) {
      problems.push(`unknown flag -${name}`);
      continue;
    }
    const converted = convert(f.spec, raw, true);
    if (!converted.ok) {
      problems.push(`-${name}: expected ${typeName(f.spec)}, got "${raw}"`);
      continue;
    }
    setPath(config, f.path, converted.value);
  }

  for (const f of fields) checkBounds(f, getPath(config, f.path), problems);
  // Fields that failed to convert kept their defaults, so cross-field checks still see typed values.
  validateSections(spec, config, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    config: config as ConfigOf<S>,
    configFile,
    help: flags.get('help') === 'true' || flags.get('h') === 'true',
    printDefaults: flags.get('config.print-defaults') === 'true',
  };
}
