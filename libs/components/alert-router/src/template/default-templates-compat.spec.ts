import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HttpSink, describeWithTool, startAlertmanager, startHttpSink, stopAllPeers } from '@panoptes/testing';
import type { Alert } from '../alerts/alert';
import { notificationData } from './data';
import { NotificationTemplates } from './templates';

/**
 * Every text default template and a user template file rendered by a real Alertmanager 0.25 (each
 * through the `text` of a Slack config pointed at a test server) and by Panoptes, from the same
 * alerts: the strings must be equal.
 */
const NAMES = [
  '__subject',
  '__alertmanagerURL',
  '__text_alert_list .Alerts',
  'slack.default.title',
  'slack.default.username',
  'slack.default.fallback',
  'slack.default.titlelink',
  'pagerduty.default.description',
  'pagerduty.default.client',
  'pagerduty.default.clientURL',
  'pagerduty.default.instances .Alerts.Resolved',
  'opsgenie.default.message',
  'opsgenie.default.description',
  'opsgenie.default.source',
  'wechat.default.message',
  'victorops.default.state_message',
  'victorops.default.entity_display_name',
  'victorops.default.monitoring_tool',
  'pushover.default.title',
  'pushover.default.message',
  'pushover.default.url',
  'sns.default.subject',
  'sns.default.message',
  'telegram.default.message',
  'discord.default.title',
  'discord.default.message',
  'webex.default.message',
  'email.default.subject',
  'user.summary',
  'user.funcs',
];

/** `{{ template "NAME" ARG }}` for an entry `NAME [ARG]` (ARG defaults to `.`). */
const call = (entry: string): string => {
  const [name, arg = '.'] = entry.split(' ');
  return `{{ template "${name}" ${arg} }}`;
};

const USER_TEMPLATE = `{{ define "user.summary" }}{{ range .Alerts.Firing }}{{ .Labels.alertname | title }}: {{ .Annotations.summary | toUpper }} ({{ .StartsAt.Format "2006-01-02 15:04" }}) {{ end }}{{ .CommonLabels.Names }} {{ len .Alerts.Resolved }}{{ end }}
{{ define "user.funcs" }}{{ join "," (stringSlice "a" "b") }}|{{ match "^D.*k" .GroupLabels.alertname }}|{{ reReplaceAll "(\\\\w+)@(\\\\w+)" "$2 at $1" "me@host x" }}|{{ safeHtml "<b>" }}|{{ toLower "ÀB" }}|{{ .GroupLabels.SortedPairs }}|{{ (index .Alerts 0).StartsAt }}|{{ (index .Alerts 0).EndsAt }}|{{ (index .Alerts 1).EndsAt }}|{{ .CommonLabels.Values }}|{{ .CommonAnnotations }}|{{ printf "%q %d" .Receiver (len .Alerts) }}|{{ (index .Alerts 0).Fingerprint }}{{ end }}
`;

const T = (iso: string): number => Date.parse(iso);

const ALERTS: Alert[] = [
  {
    labels: { alertname: 'Disk<Full>', zone: 'b', instance: 'db1', severity: 'page' },
    annotations: { summary: 's & <x>', description: 'd' },
    startsAt: T('2024-01-01T11:59:00.123Z'),
    endsAt: 0,
    generatorURL: 'http://prom/g?x=1&y=2',
    updatedAt: 0,
    timeout: true,
  },
  {
    labels: { alertname: 'Disk<Full>', zone: 'b', instance: 'db2' },
    annotations: { summary: 's2' },
    startsAt: T('2024-01-01T11:59:00Z'),
    endsAt: T('2024-01-01T12:00:00Z'),
    generatorURL: '',
    updatedAt: 0,
    timeout: false,
  },
];

const RECEIVER = 'team.a';
const EXTERNAL = 'http://am.example/am';

describeWithTool('prometheus-alertmanager', 'default templates against a real Alertmanager 0.25', () => {
  let sink: HttpSink;
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-am-templates-'));
  const real = new Map<string, string>();

  beforeAll(async () => {
    sink = await startHttpSink({ respond: () => 200 });
    writeFileSync(join(dir, 'user.tmpl'), USER_TEMPLATE);
    const configs = NAMES.map((name, i) => ({ api_url: `${sink.url}/t/${i}`, send_resolved: true, text: call(name) }));
    const config = {
      templates: [join(dir, '*.tmpl')],
      route: { receiver: RECEIVER, group_by: ['alertname', 'zone'], group_wait: '100ms', group_interval: '1h' },
      receivers: [{ name: RECEIVER, slack_configs: configs }],
    };
    const am = await startAlertmanager({ config, extraArgs: [`--web.external-url=${EXTERNAL}`, "--web.route-prefix=/"] });
    const body = ALERTS.map((a) => ({ labels: a.labels, annotations: a.annotations, startsAt: new Date(a.startsAt).toISOString(), endsAt: a.endsAt ? new Date(a.endsAt).toISOString() : undefined, generatorURL: a.generatorURL || undefined }));
    const res = await fetch(`${am.url}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    for (const req of await sink.waitFor(NAMES.length)) {
      const index = Number(req.url.split('/').pop());
      real.set(NAMES[index], (JSON.parse(req.body.toString('utf8')) as { attachments: { text: string }[] }).attachments[0].text);
    }
  }, 30_000);

  afterAll(async () => {
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(NAMES.map((name) => ({ name })))('renders $name as Alertmanager does', async ({ name }) => {
    const templates = new NotificationTemplates({ 'user.tmpl': USER_TEMPLATE });
    const data = notificationData(RECEIVER, { alertname: 'Disk<Full>', zone: 'b' }, ALERTS, T('2024-01-01T12:30:00Z'), EXTERNAL);
    expect(await templates.text(call(name), data)).toBe(real.get(name));
  });
});
