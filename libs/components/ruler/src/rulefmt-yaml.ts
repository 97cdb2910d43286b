import { formatDuration } from '@panoptes/promql';
import { stringify } from 'yaml';
import type { RuleGroupSpec, RuleSpec } from './rulefmt';

/**
 * Rule groups back to YAML as Mimir returns them (Go's yaml.v3 marshalling of rulefmt): keys in
 * struct order, empty fields left out, durations as Prometheus prints them (`1m30s`), label maps
 * with sorted keys, four-space indentation.
 */

function sortedRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k];
  return out;
}

function ruleObject(r: RuleSpec): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (r.record !== undefined) o.record = r.record;
  if (r.alert !== undefined) o.alert = r.alert;
  o.expr = r.expr;
  if (r.forMs !== 0) o.for = formatDuration(r.forMs);
  if (r.keepFiringForMs !== 0) o.keep_firing_for = formatDuration(r.keepFiringForMs);
  if (Object.keys(r.labels).length > 0) o.labels = sortedRecord(r.labels);
  if (Object.keys(r.annotations).length > 0) o.annotations = sortedRecord(r.annotations);
  return o;
}

export function ruleGroupObject(g: RuleGroupSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { name: g.name };
  if (g.intervalMs !== 0) o.interval = formatDuration(g.intervalMs);
  if (g.queryOffsetMs !== undefined) o.query_offset = formatDuration(g.queryOffsetMs);
  if (g.limit !== 0) o.limit = g.limit;
  o.rules = g.rules.map(ruleObject);
  if (Object.keys(g.labels).length > 0) o.labels = sortedRecord(g.labels);
  return o;
}

const OPTIONS = { indent: 4, lineWidth: 0 } as const;

/** One group (`GET /config/v1/rules/{namespace}/{group}`, and what the rule store keeps). */
export function ruleGroupYaml(g: RuleGroupSpec): string {
  return stringify(ruleGroupObject(g), OPTIONS);
}

/** Groups by namespace (`GET /config/v1/rules[/{namespace}]`): namespaces sorted, groups in order. */
export function namespacesYaml(namespaces: ReadonlyMap<string, readonly RuleGroupSpec[]>): string {
  if (namespaces.size === 0) return '{}\n';
  const o: Record<string, unknown> = {};
  for (const ns of [...namespaces.keys()].sort()) o[ns] = namespaces.get(ns)!.map(ruleGroupObject);
  return stringify(o, OPTIONS);
}
