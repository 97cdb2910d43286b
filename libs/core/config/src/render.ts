import { stringify } from 'yaml';
import { formatDuration } from './duration';
import { ConfigOf, Fields, FieldSpec, flatten, SectionSpec, yamlKeyOf } from './spec';

export const SECRET_MASK = '********';

function display(spec: FieldSpec<unknown>, value: unknown): unknown {
  if (spec.secret && value !== '' && value !== undefined) return SECRET_MASK;
  if (spec.type === 'duration') return formatDuration(value as number);
  return value;
}

/** The effective config as a YAML-shaped object (durations as text, secrets masked). */
export function toYamlObject<S extends SectionSpec<Fields>>(spec: S, value: ConfigOf<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const v = value as Record<string, unknown>;
  for (const [prop, child] of Object.entries(spec.fields)) {
    const key = yamlKeyOf(prop, child);
    out[key] = child.kind === 'section' ? toYamlObject(child, v[prop] as never) : display(child, v[prop]);
  }
  return out;
}

/** The effective config as YAML text, for `GET /config`. */
export function renderConfigYaml<S extends SectionSpec<Fields>>(spec: S, value: ConfigOf<S>): string {
  return stringify(toYamlObject(spec, value), { lineWidth: 0 });
}

function defaultText(spec: FieldSpec<unknown>): string {
  if (spec.type === 'duration') return formatDuration(spec.default as number);
  if (spec.type === 'list') return (spec.default as string[]).join(',');
  return String(spec.default);
}

/** `-help` output: every flag with its type, default and help text. */
export function renderFlagHelp(spec: SectionSpec<Fields>): string {
  const lines: string[] = [];
  for (const f of flatten(spec).sort((a, b) => a.flag.localeCompare(b.flag))) {
    const t = f.spec.type === 'enum' ? f.spec.values!.join('|') : f.spec.type;
    lines.push(`  -${f.flag} ${t}`);
    lines.push(`        ${f.spec.help} (default "${defaultText(f.spec)}")`);
  }
  return lines.join('\n') + '\n';
}

/** Markdown reference of every option, generated into docs/configuration.md. */
export function renderReference(spec: SectionSpec<Fields>): string {
  const lines = [
    '# Configuration reference',
    '',
    'Generated from the option descriptors by `npm run docs:config`; do not edit by hand.',
    'Every option can be set in the YAML file given with `-config.file` or with its flag; flags win over the file.',
    'With `-config.expand-env=true`, `${VAR}` and `${VAR:default}` in the file are replaced by environment variables.',
    'Durations are written like `15s`, `2h`, `1h30m`.',
    '',
  ];
  const bySection = new Map<string, ReturnType<typeof flatten>>();
  for (const f of flatten(spec)) {
    const key = f.yamlPath.length > 1 ? f.yamlPath.slice(0, -1).join('.') : '(top level)';
    bySection.set(key, [...(bySection.get(key) ?? []), f]);
  }
  for (const [name, fields] of bySection) {
    lines.push(`## \`${name}\``, '', '| YAML key | flag | type | default | description |', '|---|---|---|---|---|');
    for (const f of fields) {
      const t = f.spec.type === 'enum' ? f.spec.values!.join(' \\| ') : f.spec.type;
      const per = f.spec.perTenant ? ' Per-tenant: can be overridden in the runtime config.' : '';
      lines.push(`| \`${f.yamlPath.at(-1)}\` | \`-${f.flag}\` | ${t} | \`${defaultText(f.spec) || '""'}\` | ${f.spec.help}${per} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
