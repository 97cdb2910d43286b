import { type Label, type Labels, compareLabels, compareUtf8 } from '@panoptes/block-formats';

/**
 * Label-set helpers. Label sets are `[name, value]` pairs sorted by name in UTF-8 byte order
 * (Prometheus's order) and never mutated: every helper returns a new array.
 */

export const METRIC_NAME = '__name__';
export const ALERT_NAME = 'alertname';
export const ALERT_STATE = 'alertstate';
export const ALERTS_METRIC = 'ALERTS';
export const ALERTS_FOR_STATE_METRIC = 'ALERTS_FOR_STATE';

const SEP = '\xff';

/** A string equal for equal label sets: the key of alerts and series in maps. */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (const [n, v] of labels) key += n + SEP + v + SEP;
  return key;
}

export function getLabel(labels: Labels, name: string): string {
  for (const [n, v] of labels) if (n === name) return v;
  return '';
}

/** Labels from a plain object, sorted; empty values are dropped (an empty label is no label). */
export function labelsFromRecord(record: Readonly<Record<string, string>>): Labels {
  return sortLabels(Object.entries(record).filter(([, v]) => v !== ''));
}

export function labelsToRecord(labels: Labels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [n, v] of labels) out[n] = v;
  return out;
}

export function sortLabels(pairs: readonly Label[]): Labels {
  return [...pairs].sort((a, b) => compareUtf8(a[0], b[0]));
}

/**
 * Prometheus's `labels.Builder`: start from a set, set (non-empty value) or delete (empty value)
 * labels, then read the sorted result.
 */
export class LabelsBuilder {
  private readonly map = new Map<string, string>();

  constructor(base: Labels = []) {
    for (const [n, v] of base) this.map.set(n, v);
  }

  set(name: string, value: string): this {
    if (value === '') this.map.delete(name);
    else this.map.set(name, value);
    return this;
  }

  del(name: string): this {
    this.map.delete(name);
    return this;
  }

  labels(): Labels {
    return sortLabels([...this.map.entries()]);
  }
}

/** `{a="1", b="2"}` as Prometheus's `Labels.String()` prints it (values Go-quoted). */
export function labelsString(labels: Labels): string {
  return `{${labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}}`;
}

/** Prometheus's `labels.Compare`. */
export function compareLabelSets(a: Labels, b: Labels): number {
  return compareLabels(a, b);
}
