import { type Label, type Labels, compareUtf8 } from '@panoptes/block-formats';

/**
 * Label-set helpers for the evaluator. Label sets are sorted `[name, value]` arrays, never mutated
 * in place: every helper returns a new array (or the input when nothing changes).
 */

export const METRIC_NAME = '__name__';

const SEP = '\xff';

/** A string that is equal for equal label sets: the evaluator's map key for series. */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (let i = 0; i < labels.length; i++) key += labels[i][0] + SEP + labels[i][1] + SEP;
  return key;
}

/** The value of `name`, '' when absent (Prometheus's `Labels.Get`). */
export function getLabel(labels: Labels, name: string): string {
  for (let i = 0; i < labels.length; i++) if (labels[i][0] === name) return labels[i][1];
  return '';
}

export function dropMetricName(labels: Labels): Labels {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i][0] === METRIC_NAME) return labels.slice(0, i).concat(labels.slice(i + 1));
  }
  return labels;
}

/** Only the labels named in `names` (Prometheus's `Builder.Keep`). */
export function keepLabels(labels: Labels, names: ReadonlySet<string>): Labels {
  return labels.filter((l) => names.has(l[0]));
}

/** Without the labels named in `names` (and without `__name__` when `alsoName`). */
export function dropLabels(labels: Labels, names: ReadonlySet<string>, alsoName = false): Labels {
  return labels.filter((l) => !names.has(l[0]) && !(alsoName && l[0] === METRIC_NAME));
}

/** Sets (value !== '') or removes (value === '') one label, keeping the set sorted. */
export function setLabel(labels: Labels, name: string, value: string): Labels {
  const out: Label[] = [];
  let done = false;
  for (let i = 0; i < labels.length; i++) {
    const c = compareUtf8(labels[i][0], name);
    if (c === 0) {
      if (value !== '') out.push([name, value]);
      done = true;
    } else {
      if (c > 0 && !done) {
        if (value !== '') out.push([name, value]);
        done = true;
      }
      out.push(labels[i]);
    }
  }
  if (!done && value !== '') out.push([name, value]);
  return out;
}

/**
 * The key of the labels a vector match compares (`on(...)` keeps the listed labels, `ignoring(...)`
 * drops them and the metric name), as Prometheus's signature functions.
 */
export function matchKey(labels: Labels, on: boolean, names: ReadonlySet<string>): string {
  let key = '';
  for (let i = 0; i < labels.length; i++) {
    const n = labels[i][0];
    if (on ? names.has(n) : !names.has(n) && n !== METRIC_NAME) key += n + SEP + labels[i][1] + SEP;
  }
  return key;
}

/** The labels a match compares, for error messages. */
export function matchLabels(labels: Labels, on: boolean, names: ReadonlySet<string>): Labels {
  return labels.filter(([n]) => (on ? names.has(n) : !names.has(n) && n !== METRIC_NAME));
}

/** `{__name__="up", job="a"}`, the way Prometheus prints a label set in messages. */
export function formatLabels(labels: Labels): string {
  return `{${labels.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(', ')}}`;
}
