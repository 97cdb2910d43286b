import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nopLogger } from '@panoptes/log';
import { describeWithTool, startAlertmanager, stopAllPeers } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { AlertRouter, defaultAlertRouterConfig } from '../alert-router';
import { FakeSmtpServer, type RecordedPost, RecordingHttpServer, type SmtpMessage } from '../testing/fake-servers';
import { mountAlertRouter } from '../testing/http-mount';
import { defaultTenantConfig } from '../tenant';

/**
 * A real Alertmanager 0.25 and the alert-router get the same config (Slack, PagerDuty, OpsGenie,
 * VictorOps, Discord, Telegram, Webex, email and webhook receivers, a user template file) and the
 * same alerts; each sends to its own test HTTP and SMTP servers. The request bodies (and URLs,
 * methods and Authorization headers) must be equal byte for byte, and the emails equal but for
 * their Date, Message-Id and MIME boundary. A second group ("Flap") fires, then resolves, so that
 * the resolved requests (OpsGenie's close, VictorOps' RECOVERY) are compared too.
 */

const USER_TEMPLATE = `{{ define "html.test" }}<b>{{ .CommonAnnotations.summary }}</b> <a href="{{ .CommonAnnotations.url }}">x</a> <a href="{{ .CommonAnnotations.js }}">y</a> <a href='/q?x={{ .CommonAnnotations.summary }}'>z</a> <img title={{ .CommonAnnotations.summary }}> {{ safeHtml "<i>s</i>" }} <p title="{{ safeHtml "<i>s</i>" }}">p</p> {{ "a+b" }} <script>var x = {{ .CommonAnnotations.summary }}; var y = '{{ .CommonAnnotations.summary }}'; var n = {{ len .Alerts }};</script> <style>p { color: {{ "red" }} }</style> <a onclick="f({{ "x" }})">c</a><textarea>{{ "<" }}</textarea><!-- {{ "c" }} -->{{ .Status }} {{ 3 }} {{ true }}{{ end }}
{{ define "long" }}${'é'.repeat(7500)}${'x'.repeat(14000)}{{ end }}
{{ define "custom.title" }}{{ .Status | title }}: {{ .CommonLabels.alertname }} on {{ .CommonLabels.Names }}{{ end }}
`;

const config = (http: string, smtp: string, templates: string): string => `
templates: ['${templates}']
route:
  receiver: everything
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1h
  routes:
    - matchers: ['alertname="Flap"']
      receiver: flap
      group_interval: 1s
receivers:
  - name: flap
    opsgenie_configs:
      - api_url: ${http}/ogf/
        api_key: k
    victorops_configs:
      - api_url: ${http}/vof/
        api_key: k
        routing_key: r
    webex_configs:
      - api_url: ${http}/webexf
        room_id: r
        http_config: {authorization: {credentials: t}}
  - name: everything
    slack_configs:
      - api_url: ${http}/slack/default
        channel: '#ops'
      - api_url: ${http}/slack/custom
        send_resolved: true
        title: '{{ template "custom.title" . }}'
        text: '{{ range .Alerts }}{{ .Annotations.summary }} {{ end }}'
        color: '{{ if eq .Status "firing" }}#ff0000{{ end }}'
        icon_emoji: ':fire:'
        link_names: true
        short_fields: true
        fields: [{title: 'Severity', value: '{{ .CommonLabels.severity }}'}, {title: 'long', value: 'v', short: false}]
        actions:
          - {type: button, text: 'Runbook {{ .GroupLabels.alertname }}', url: 'http://runbook/{{ .GroupLabels.alertname }}', style: primary}
          - {type: button, text: 'Ack', name: ack, value: 'yes', confirm: {text: 'Sure?', title: 'Ack'}}
        mrkdwn_in: [text]
    pagerduty_configs:
      - routing_key: 'rk-{{ .GroupLabels.alertname }}'
        url: ${http}/pd/v2
        class: cls
        component: '{{ .CommonLabels.instance }}'
        group: grp
        details: {extra: '{{ .CommonLabels.severity }}'}
        images: [{src: 'http://img/1', alt: 'one'}, {src: '', alt: 'skipped'}, {src: 'http://img/2'}]
        links: [{href: 'http://link/1', text: 'one'}, {href: 'http://link/2'}]
    opsgenie_configs:
      - api_url: ${http}/og1
        api_key: plain-key
      - api_url: ${http}/og2/?x=a+b&y=1
        api_key: 'key-{{ .CommonLabels.severity }}'
        message: '{{ template "long" . }}'
        description: 'd {{ .CommonAnnotations.summary }}'
        source: 'src & {{ .GroupLabels.alertname }}'
        details: {severity: 'overridden {{ .CommonLabels.severity }}', extra: '{{ len .Alerts }}'}
        responders:
          - {id: 'id1', type: team}
          - {name: '{{ .CommonLabels.severity }}-team', type: team}
          - {username: 'u@example.com', type: user}
          - {name: ' a, {{ .CommonLabels.severity }},,b ', type: teams}
          - {name: 'sched', type: '{{ if .CommonLabels.nope }}x{{ else }}schedule{{ end }}'}
          - {name: '{{ .CommonLabels.nope }}', type: '{{ .CommonLabels.nope }}'}
        tags: ' t1, {{ .CommonLabels.severity }} ,, t3 '
        note: 'n {{ .Status }}'
        priority: P2
        entity: '{{ .CommonLabels.alertname }}'
        actions: 'restart,ping'
        update_alerts: true
    victorops_configs:
      - api_url: ${http}/vo/
        api_key: vkey
        routing_key: 'rk-{{ .GroupLabels.alertname }} x'
        message_type: WARNING
        state_message: '{{ template "long" . }}'
        custom_fields: {team: '{{ .CommonLabels.severity }}', a_field: 'v'}
      - api_url: ${http}/vo2
        api_key: vkey2
        routing_key: plain
        message_type: bogus
    discord_configs:
      - webhook_url: ${http}/discord
    telegram_configs:
      - api_url: ${http}/tg
        bot_token: html
        chat_id: -100123
        message: '{{ template "html.test" . }}'
      - api_url: ${http}/tg
        bot_token: plain
        chat_id: 42
        parse_mode: ''
        disable_notifications: true
    webex_configs:
      - api_url: ${http}/webex
        room_id: 'room-{{ .GroupLabels.alertname }}'
        message: '{{ template "long" . }}'
        http_config: {authorization: {credentials: 'wtoken'}}
      - api_url: ${http}/webex2
        room_id: r2
        http_config: {authorization: {type: Custom, credentials: 'c2'}}
    webhook_configs:
      - url: ${http}/hook
        max_alerts: 1
    email_configs:
      - to: 'Ops Team <ops@example.com>, oncall@example.com'
        from: 'alerts@example.com'
        smarthost: ${smtp}
        require_tls: false
        headers: {Subject: 'Überlast {{ template "email.default.subject" . }}', X-Group: '{{ .GroupLabels.alertname }}'}
        html: '{{ template "html.test" . }}'
        text: "{{ template \\"email.default.subject\\" . }}\\n{{ template \\"__text_alert_list\\" .Alerts }}trailing space \\n= sign and a long line {{ range .Alerts }}{{ .Labels.instance }} {{ .Annotations.summary }} {{ end }}"
`;

const EXTERNAL = 'http://am.example';
const TELEGRAM_OK = { status: 200, contentType: 'application/json', body: '{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":42,"type":"group"}}}' };
const answer = (p: RecordedPost): { status: number; body?: string; contentType?: string } => (p.path.startsWith('/tg/') ? TELEGRAM_OK : { status: 200, body: 'ok' });

const alias = (groupKey: string): string => createHash('sha256').update(groupKey).digest('hex');
const MAIN = alias('{}:{alertname="Disk<Full>"}');
const FLAP = alias('{}/{alertname="Flap"}:{alertname="Flap"}');

/** Requests sent while the groups fire: one to each URL below. */
const PATHS = [
  '/slack/default',
  '/slack/custom',
  '/pd/v2',
  '/discord',
  '/tg/bothtml/sendMessage',
  '/tg/botplain/sendMessage',
  '/hook',
  '/og1/v2/alerts',
  '/og2/v2/alerts?x=a+b&y=1',
  `/og2/v2/alerts/${MAIN}/message?identifierType=alias&x=a+b&y=1`,
  `/og2/v2/alerts/${MAIN}/description?identifierType=alias&x=a+b&y=1`,
  '/vo/vkey/rk-Disk%3CFull%3E%20x',
  '/vo2/vkey2/plain',
  '/webex',
  '/webex2',
  '/ogf/v2/alerts',
  '/vof/k/r',
  '/webexf',
];

/** Requests sent once the Flap group has resolved. */
const RESOLVED_PATHS = [`/ogf/v2/alerts/${FLAP}/close?identifierType=alias`, '/vof/k/r', '/webexf'];

describeWithTool('prometheus-alertmanager', 'integrations against a real Alertmanager 0.25', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-am-integrations-'));
  let realHttp: RecordingHttpServer;
  let ourHttp: RecordingHttpServer;
  let realSmtp: FakeSmtpServer;
  let ourSmtp: FakeSmtpServer;
  let router: AlertRouter;
  let ours: { url: string; close: () => Promise<void> };

  // Alertmanager flushes a group at once when an alert older than group_wait joins it, racing the
  // alerts posted with it: the firing alert (started just now) goes first, the resolved one (old) last.
  const flapStart = new Date().toISOString();
  const alerts = (): unknown[] => [
    {
      labels: { alertname: 'Disk<Full>', severity: 'critical', instance: 'db1' },
      annotations: { summary: 's & <x> "q" \'a b+c', url: 'http://h/p a?q=ä&r=<>#f', js: 'javascript:alert(1)' },
      generatorURL: 'http://prom/graph?g0.expr=up&x=<y>',
      startsAt: new Date().toISOString(),
    },
    {
      labels: { alertname: 'Disk<Full>', severity: 'critical', instance: 'db2' },
      annotations: { summary: 'ü' },
      startsAt: new Date(Date.now() - 3_600_000).toISOString(),
      endsAt: new Date(Date.now() - 60_000).toISOString(),
    },
    { labels: { alertname: 'Flap', severity: 'warning' }, annotations: { summary: 'flapping' }, startsAt: flapStart },
  ];

  beforeAll(async () => {
    [realHttp, ourHttp, realSmtp, ourSmtp] = await Promise.all([RecordingHttpServer.start(answer), RecordingHttpServer.start(answer), FakeSmtpServer.start(), FakeSmtpServer.start()]);
    writeFileSync(join(dir, 'user.tmpl'), USER_TEMPLATE);
    const real = await startAlertmanager({ config: config(realHttp.url, realSmtp.smarthost, join(dir, '*.tmpl')), extraArgs: [`--web.external-url=${EXTERNAL}`] });
    router = new AlertRouter(nopLogger, new Registry(), { ...defaultAlertRouterConfig(), tenant: { ...defaultTenantConfig(), externalUrl: EXTERNAL } });
    await router.start();
    await router.setConfig('anonymous', { alertmanagerConfig: config(ourHttp.url, ourSmtp.smarthost, 'user.tmpl'), templateFiles: { 'user.tmpl': USER_TEMPLATE } });
    ours = await mountAlertRouter(router);
    const body = JSON.stringify(alerts());
    const post = (url: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const [a, b] = await Promise.all([post(`${real.url}/api/v2/alerts`), post(`${ours.url}/alertmanager/api/v2/alerts`)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await Promise.all([realHttp.waitFor(PATHS.length), ourHttp.waitFor(PATHS.length)]);
    const resolved = JSON.stringify([{ labels: { alertname: 'Flap', severity: 'warning' }, annotations: { summary: 'flapping' }, startsAt: flapStart, endsAt: new Date().toISOString() }]);
    const resolve = (url: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: resolved });
    const [c, d] = await Promise.all([resolve(`${real.url}/api/v2/alerts`), resolve(`${ours.url}/alertmanager/api/v2/alerts`)]);
    expect([c.status, d.status]).toEqual([200, 200]);
    await Promise.all([realHttp.waitFor(PATHS.length + RESOLVED_PATHS.length), ourHttp.waitFor(PATHS.length + RESOLVED_PATHS.length)]);
    const deadline = Date.now() + 10_000;
    while ((realSmtp.messages.length === 0 || ourSmtp.messages.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }, 40_000);

  afterAll(async () => {
    await ours?.close();
    await router?.stop();
    await Promise.all([realHttp?.close(), ourHttp?.close(), realSmtp?.close(), ourSmtp?.close()]);
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  const firing = (server: RecordingHttpServer): RecordedPost[] => server.posts.slice(0, PATHS.length);
  const resolvedPosts = (server: RecordingHttpServer): RecordedPost[] => server.posts.slice(PATHS.length);
  const find = (posts: RecordedPost[], path: string): RecordedPost | undefined => posts.find((p) => p.path === path);
  /** What must be equal: method, path and query, Authorization, Content-Type and body. */
  const request = (p: RecordedPost | undefined): unknown => p && { method: p.method, path: p.path, authorization: p.headers.authorization, contentType: p.headers['content-type'], body: p.body };

  it('sends one request to each integration, as Alertmanager does', () => {
    expect(firing(ourHttp).map((p) => p.path).sort()).toEqual(firing(realHttp).map((p) => p.path).sort());
    expect(firing(realHttp).map((p) => p.path).sort()).toEqual([...PATHS].sort());
    expect(resolvedPosts(ourHttp).map((p) => p.path).sort()).toEqual([...RESOLVED_PATHS].sort());
    expect(resolvedPosts(realHttp).map((p) => p.path).sort()).toEqual([...RESOLVED_PATHS].sort());
  });

  it.each(PATHS.map((path) => ({ path })))('sends the same request to $path', ({ path }) => {
    expect(request(find(firing(ourHttp), path))).toEqual(request(find(firing(realHttp), path)));
    expect(find(firing(ourHttp), path)?.body).toBe(find(firing(realHttp), path)?.body);
  });

  it.each(RESOLVED_PATHS.map((path) => ({ path })))('sends the same resolved request to $path', ({ path }) => {
    expect(request(find(resolvedPosts(ourHttp), path))).toEqual(request(find(resolvedPosts(realHttp), path)));
  });

  it('sends Telegram requests with Go’s default User-Agent and JSON', () => {
    const tg = (s: RecordingHttpServer): RecordedPost => s.posts.find((p) => p.path.startsWith('/tg/'))!;
    expect([tg(ourHttp).headers['user-agent'], tg(ourHttp).headers['content-type']]).toEqual([tg(realHttp).headers['user-agent'], tg(realHttp).headers['content-type']]);
  });

  /** The message with what differs between any two sends (time, random IDs and boundary) replaced, and headers in order. */
  const normalise = (m: SmtpMessage | undefined): unknown => {
    if (!m) return undefined;
    const boundary = /boundary=([0-9a-f]+)/.exec(m.data)?.[1] ?? 'none';
    const data = m.data.split(boundary).join('BOUNDARY');
    const [head, ...rest] = data.split('\r\n\r\n');
    const headers = head
      .split('\r\n')
      .map((h) => h.replace(/^(Date|Message-Id): .*/, '$1: X'))
      .sort();
    return { from: m.from, to: m.to, mailParams: m.mailParams, headers, body: rest.join('\r\n\r\n') };
  };

  it('sends the same email (headers, text part, HTML part) but for date, message ID and boundary', () => {
    expect(ourSmtp.messages.length).toBe(1);
    expect(normalise(ourSmtp.messages[0])).toEqual(normalise(realSmtp.messages[0]));
  });

  it('speaks the same SMTP dialogue', () => {
    expect(ourSmtp.commands.filter((c) => c !== 'QUIT')).toEqual(realSmtp.commands.filter((c) => c !== 'QUIT'));
  });
});
