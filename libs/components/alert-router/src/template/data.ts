import { GoMap, type GoMethod, GoSlice, GoStruct, GoTime, type GoValue } from '@panoptes/gotemplate';
import type { Alert } from '../alerts/alert';
import { type TemplateData, templateData } from '../notify/template-data';

/**
 * Alertmanager's template data (`template.Data`) as Go values, with the methods its types have in
 * 0.25 (none of them prints through a `String()` method: `{{ .CommonLabels }}` prints as a Go map):
 *
 *   Data   { Receiver, Status, Alerts, GroupLabels, CommonLabels, CommonAnnotations, ExternalURL }
 *   Alerts []Alert                      .Firing, .Resolved
 *   Alert  { Status, Labels, Annotations, StartsAt, EndsAt, GeneratorURL, Fingerprint }
 *   KV     map[string]string            .SortedPairs, .Remove []string, .Names, .Values
 *   Pairs  []Pair { Name, Value }       .Names, .Values
 */

const strings = (items: readonly string[]): GoSlice => new GoSlice('[]string', [...items]);

/** `alertname` first, the other names sorted (KV.SortedPairs). */
function sortedNames(kv: GoMap): string[] {
  const names = kv.sortedKeys();
  const i = names.indexOf('alertname');
  if (i > 0) names.unshift(...names.splice(i, 1));
  return names;
}

const PAIRS_METHODS = new Map<string, GoMethod>([
  ['Names', { params: [], call: (ps) => strings((ps as GoSlice).items.map((p) => (p as GoStruct).fields.get('Name') as string)) }],
  ['Values', { params: [], call: (ps) => strings((ps as GoSlice).items.map((p) => (p as GoStruct).fields.get('Value') as string)) }],
]);

function pairs(kv: GoMap): GoSlice {
  const items = sortedNames(kv).map((name) => new GoStruct('template.Pair', new Map<string, GoValue>([['Name', name], ['Value', kv.entries.get(name)!]])));
  return new GoSlice('template.Pairs', items, PAIRS_METHODS);
}

const KV_METHODS: Map<string, GoMethod> = new Map<string, GoMethod>([
  ['SortedPairs', { params: [], call: (kv) => pairs(kv as GoMap) }],
  ['Names', { params: [], call: (kv) => strings(sortedNames(kv as GoMap)) }],
  ['Values', { params: [], call: (kv) => strings(sortedNames(kv as GoMap).map((n) => (kv as GoMap).entries.get(n) as string)) }],
  [
    'Remove',
    {
      params: ['[]string'],
      call: (kv, [keys]) => {
        const drop = new Set((keys as GoSlice).items as string[]);
        return kvOf(Object.fromEntries([...(kv as GoMap).entries].filter(([k]) => !drop.has(k))) as Record<string, string>);
      },
    },
  ],
]);

export function kvOf(record: Readonly<Record<string, string>>): GoMap {
  return new GoMap('template.KV', '', new Map<string, GoValue>(Object.entries(record)), KV_METHODS);
}

const byStatus = (status: string): GoMethod => ({
  params: [],
  call: (alerts) => new GoSlice('[]template.Alert', (alerts as GoSlice).items.filter((a) => (a as GoStruct).fields.get('Status') === status)),
});

const ALERTS_METHODS = new Map<string, GoMethod>([
  ['Firing', byStatus('firing')],
  ['Resolved', byStatus('resolved')],
]);

/** A time.Time of template data: 0 ("not set") is Go's zero time, 0001-01-01 00:00:00 UTC. */
function goTime(ms: number): GoTime {
  if (ms !== 0) return new GoTime(ms);
  const zero = new Date(0);
  zero.setUTCFullYear(1, 0, 1);
  return new GoTime(zero.getTime());
}

/**
 * The template data of a notification: what `.` is in every notification template. Statuses are
 * taken at `now`; a firing alert's end is not shown (the zero time), as Alertmanager hides it.
 */
export function notificationData(receiver: string, groupLabels: Readonly<Record<string, string>>, alerts: readonly Alert[], now: number, externalURL: string): GoStruct {
  return goData(templateData(receiver, groupLabels, alerts, now, externalURL), alerts, now);
}

/** Go values of `data` (built by templateData from `alerts`, in the same order). */
export function goData(data: TemplateData, alerts: readonly Alert[], now: number): GoStruct {
  const items = data.alerts.map((a, i) => {
    const src = alerts[i];
    return new GoStruct(
      'template.Alert',
      new Map<string, GoValue>([
        ['Status', a.status],
        ['Labels', kvOf(a.labels)],
        ['Annotations', kvOf(a.annotations)],
        ['StartsAt', goTime(src.startsAt)],
        ['EndsAt', goTime(src.endsAt !== 0 && src.endsAt <= now ? src.endsAt : 0)],
        ['GeneratorURL', a.generatorURL],
        ['Fingerprint', a.fingerprint],
      ]),
    );
  });
  return new GoStruct(
    '*template.Data',
    new Map<string, GoValue>([
      ['Receiver', data.receiver],
      ['Status', data.status],
      ['Alerts', new GoSlice('template.Alerts', items, ALERTS_METHODS)],
      ['GroupLabels', kvOf(data.groupLabels)],
      ['CommonLabels', kvOf(data.commonLabels)],
      ['CommonAnnotations', kvOf(data.commonAnnotations)],
      ['ExternalURL', data.externalURL],
    ]),
    true,
  );
}
