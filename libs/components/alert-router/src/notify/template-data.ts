import { type Alert, alertStatus, alertsStatus, fingerprint, formatGoTime } from '../alerts/alert';
import type { LabelSet } from '../matchers';

/** Alertmanager's template.Data, the body of a webhook notification and the input of templates. */
export interface TemplateData {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: TemplateAlert[];
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: LabelSet;
  externalURL: string;
}

export interface TemplateAlert {
  status: 'firing' | 'resolved';
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Go's regexp.QuoteMeta (Alertmanager quotes the receiver name in template data). */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

function sorted(ls: LabelSet): LabelSet {
  return Object.fromEntries(Object.keys(ls).sort().map((k) => [k, ls[k]]));
}

/** Pairs present with the same value in every set (a group's CommonLabels), keys sorted. */
export function common(sets: LabelSet[]): LabelSet {
  if (sets.length === 0) return {};
  const out: Record<string, string> = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return sorted(out);
}

export function templateData(receiver: string, groupLabels: LabelSet, alerts: readonly Alert[], now: number, externalURL: string): TemplateData {
  const items = alerts.map(
    (a): TemplateAlert => ({
      status: alertStatus(a, now),
      labels: sorted(a.labels),
      annotations: sorted(a.annotations),
      startsAt: formatGoTime(a.startsAt),
      endsAt: formatGoTime(a.endsAt),
      generatorURL: a.generatorURL,
      fingerprint: fingerprint(a.labels),
    }),
  );
  return {
    receiver: quoteMeta(receiver),
    status: alertsStatus(alerts, now),
    alerts: items,
    groupLabels: sorted(groupLabels),
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL,
  };
}

/** JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
