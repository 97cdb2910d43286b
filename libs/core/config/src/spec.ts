/**
 * Configuration descriptors. Every option is declared once, with its type, default, help text,
 * YAML key and CLI flag; loading, validation, `/config`, `-help` and the generated reference in
 * docs/configuration.md all read these descriptors.
 *
 * Naming: properties are camelCase in TypeScript; the YAML key defaults to snake_case of the
 * property (a trailing `Ms` dropped for durations), the flag to the YAML key in kebab-case,
 * prefixed by the sections' flag prefixes: `distributor.ingestionRate` → YAML
 * `distributor: {ingestion_rate: …}`, flag `-distributor.ingestion-rate`.
 */
export type FieldType = 'string' | 'int' | 'float' | 'bool' | 'duration' | 'list' | 'enum';

export interface FieldOptions<T> {
  /** YAML key, when it is not the snake_case of the property name. */
  yaml?: string;
  /** Flag name relative to the section prefix, when it is not the kebab-case of the YAML key. */
  flag?: string;
  /** Masked in /config and logs. */
  secret?: boolean;
  min?: number;
  max?: number;
  /** Extra check; returns an error message or undefined. */
  validate?: (value: T) => string | undefined;
  /** Settable per tenant in runtime overrides (limits only). */
  perTenant?: boolean;
}

export interface FieldSpec<T> extends FieldOptions<T> {
  kind: 'field';
  type: FieldType;
  default: T;
  help: string;
  values?: readonly string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySpec = FieldSpec<any> | SectionSpec<any>;
export type Fields = Record<string, AnySpec>;

export interface SectionSpec<F extends Fields> {
  kind: 'section';
  /** Flag prefix added before the flags of the fields ('' adds nothing). */
  flagPrefix: string;
  /** YAML key, when it is not the snake_case of the property name. */
  yaml?: string;
  help?: string;
  fields: F;
  /** Cross-field check on the whole section; returns error messages. (Method syntax: bivariant.) */
  validate?(value: ValueOf<SectionSpec<F>>): string[];
}

export type ValueOf<S> =
  S extends FieldSpec<infer T> ? T : S extends SectionSpec<infer F> ? { [K in keyof F]: ValueOf<F[K]> } : never;

/** The config type a section describes. */
export type ConfigOf<S extends SectionSpec<Fields>> = ValueOf<S>;

function field<T>(type: FieldType, def: T, help: string, opts: FieldOptions<T> = {}): FieldSpec<T> {
  return { kind: 'field', type, default: def, help, ...opts };
}

export const str = (def: string, help: string, opts?: FieldOptions<string>) => field('string', def, help, opts);
export const int = (def: number, help: string, opts?: FieldOptions<number>) => field('int', def, help, opts);
export const float = (def: number, help: string, opts?: FieldOptions<number>) => field('float', def, help, opts);
export const bool = (def: boolean, help: string, opts?: FieldOptions<boolean>) => field('bool', def, help, opts);
/** A duration in milliseconds; written as "15s", "2h" in YAML and flags. */
export const duration = (defMs: number, help: string, opts?: FieldOptions<number>) =>
  field('duration', defMs, help, { min: 0, ...opts });
/** A list of strings; comma-separated on the command line. */
export const list = (def: string[], help: string, opts?: FieldOptions<string[]>) => field('list', def, help, opts);
export function oneOf<V extends string>(values: readonly V[], def: V, help: string, opts?: FieldOptions<V>): FieldSpec<V> {
  return { ...field<V>('enum', def, help, opts), values };
}

export function section<F extends Fields>(
  flagPrefix: string,
  fields: F,
  opts: { yaml?: string; help?: string; validate?: (value: ValueOf<SectionSpec<F>>) => string[] } = {},
): SectionSpec<F> {
  return { kind: 'section', flagPrefix, fields, ...opts };
}

export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export function yamlKeyOf(prop: string, spec: AnySpec): string {
  if (spec.yaml) return spec.yaml;
  const base = spec.kind === 'field' && spec.type === 'duration' ? prop.replace(/Ms$/, '') : prop;
  return snakeCase(base);
}

export interface FlatField {
  /** Property path in the TypeScript config object. */
  path: string[];
  /** Path of YAML keys. */
  yamlPath: string[];
  /** Full flag name without the leading dash. */
  flag: string;
  spec: FieldSpec<unknown>;
}

/** Every field of a section tree with its full YAML path and flag. */
export function flatten(spec: SectionSpec<Fields>, path: string[] = [], yamlPath: string[] = [], prefix = ''): FlatField[] {
  const out: FlatField[] = [];
  const pre = [prefix, spec.flagPrefix].filter(Boolean).join('.');
  for (const [prop, child] of Object.entries(spec.fields)) {
    const key = yamlKeyOf(prop, child);
    if (child.kind === 'section') {
      out.push(...flatten(child, [...path, prop], [...yamlPath, key], pre));
    } else {
      const flagName = child.flag ?? key.replace(/_/g, '-');
      out.push({ path: [...path, prop], yamlPath: [...yamlPath, key], flag: pre ? `${pre}.${flagName}` : flagName, spec: child });
    }
  }
  return out;
}

/** The default value of a section tree. */
export function defaults<S extends SectionSpec<Fields>>(spec: S): ConfigOf<S> {
  const out: Record<string, unknown> = {};
  for (const [prop, child] of Object.entries(spec.fields)) {
    out[prop] = child.kind === 'section' ? defaults(child) : structuredClone(child.default);
  }
  return out as ConfigOf<S>;
}
