import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '../alerts/alert';
import { loadConfig } from '../config/config';
import { NotificationTemplates } from '../template/templates';
import { RecordingHttpServer, type ScriptedAnswer } from '../testing/fake-servers';
import { defaultIntegrationFactory } from './integrations';
import { PagerdutyNotifier } from './pagerduty';
import type { NotifierOptions } from './render';
import { type Notifier, type NotifyContext, NotifyError } from './types';

/**
 * Each HTTP integration against a test server: the exact request body (for Microsoft Teams and
 * PagerDuty v1, which the real-Alertmanager comparison cannot cover), URLs, headers, truncation
 * and which answers are retried. `integrations-compat.spec.ts` compares the others with a real
 * Alertmanager.
 */

const T0 = Date.UTC(2024, 0, 1, 12);
const FIRING: Alert = { labels: { alertname: 'A', instance: 'i1' }, annotations: { summary: 's' }, startsAt: T0 - 60_000, endsAt: 0, generatorURL: 'http://g', updatedAt: T0, timeout: false };
const RESOLVED: Alert = { ...FIRING, labels: { alertname: 'A', instance: 'i2' }, endsAt: T0 - 1000 };

const ctx = (): NotifyContext => ({
  tenant: 't1',
  now: T0,
  groupKey: '{}:{alertname="A"}',
  groupLabels: { alertname: 'A' },
  receiver: 'r',
  repeatIntervalMs: 3600_000,
  muteTimeIntervals: [],
  activeTimeIntervals: [],
  deadline: T0 + 10_000,
  signal: new AbortController().signal,
});

const GROUP_KEY_SHA256 = createHash('sha256').update('{}:{alertname="A"}').digest('hex');

const options = (templates?: NotificationTemplates): NotifierOptions => ({ externalUrl: 'http://am.example', userAgent: 'Alertmanager/0.25.0 (Panoptes)', now: () => T0, templates });

let server: RecordingHttpServer;
let answer: ScriptedAnswer = { status: 200, body: 'ok' };
const dir = mkdtempSync(join(tmpdir(), 'panoptes-integrations-'));

beforeAll(async () => {
  server = await RecordingHttpServer.start(() => answer);
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  answer = { status: 200, body: 'ok' };
});

/** The one notifier a receiver of this YAML (`integrations: …` under the receiver) builds. */
function notifier(receiverYaml: string, templateFiles: Record<string, string> = {}): Notifier {
  const cfg = loadConfig(`route: {receiver: r}\nreceivers:\n  - name: r\n${receiverYaml.replace(/URL/g, server.url)}`);
  const [integration] = defaultIntegrationFactory({ ...options(), templateFiles })(cfg.receivers[0]);
  return integration.notifier;
}

async function lastBody(n: Notifier, alerts: Alert[] = [FIRING]): Promise<unknown> {
  const before = server.posts.length;
  await n.notify(alerts, ctx());
  expect(server.posts.length).toBe(before + 1);
  return JSON.parse(server.posts[server.posts.length - 1].body);
}

describe('Microsoft Teams', () => {
  it('posts a MessageCard (msteams_configs), red while firing', async () => {
    expect(await lastBody(notifier('    msteams_configs: [{webhook_url: URL/teams}]'))).toEqual({
      '@context': 'http://schema.org/extensions',
      type: 'MessageCard',
      title: '[FIRING:1] A (i1)',
      summary: '[FIRING:1] A (i1)',
      text: '\n\n# Alerts Firing:\n\nLabels:\n  - alertname = A\n  - instance = i1\n\nAnnotations:\n  - summary = s\n\nSource: http://g\n\n\n\n\n',
      themeColor: '8C1A1A',
    });
  });

  it('is green once resolved', async () => {
    expect(await lastBody(notifier('    msteams_configs: [{webhook_url: URL/teams}]'), [RESOLVED])).toMatchObject({ themeColor: '2DC72D', title: '[RESOLVED] A (i2)' });
  });

  it('posts an Adaptive Card (msteamsv2_configs)', async () => {
    expect(await lastBody(notifier("    msteamsv2_configs: [{webhook_url: URL/flow, title: 'T {{ .Status }}', text: 'x'}]"), [RESOLVED])).toEqual({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.2',
            body: [
              { type: 'TextBlock', text: 'T resolved', weight: 'Bolder', size: 'Medium', wrap: true, style: 'heading', color: 'Good' },
              { type: 'TextBlock', text: 'x', wrap: true },
            ],
            msteams: { width: 'full' },
          },
        },
      ],
    });
  });
});

describe('PagerDuty', () => {
  const v1 = (): PagerdutyNotifier => {
    const cfg = loadConfig('route: {receiver: r}\nreceivers: [{name: r, pagerduty_configs: [{service_key: sk}]}]');
    return new PagerdutyNotifier(cfg.receivers[0].pagerduty_configs[0] as never, { ...options(), v1Url: `${server.url}/pd/v1` });
  };

  it('sends Events API v1 for a service_key, to the v1 endpoint', async () => {
    const body = await lastBody(v1());
    expect(server.posts[server.posts.length - 1].path).toBe('/pd/v1');
    expect(body).toEqual({
      service_key: 'sk',
      incident_key: GROUP_KEY_SHA256,
      event_type: 'trigger',
      description: '[FIRING:1] A (i1)',
      event_action: '',
      payload: null,
      client: 'Alertmanager',
      client_url: 'http://am.example/#/alerts?receiver=r',
      details: { firing: 'Labels:\n - alertname = A\n - instance = i1\nAnnotations:\n - summary = s\nSource: http://g\n', num_firing: '1', num_resolved: '0', resolved: '' },
    });
  });

  it('resolves (v1) without client fields once every alert has resolved', async () => {
    expect(await lastBody(v1(), [RESOLVED])).toMatchObject({ event_type: 'resolve', description: '[RESOLVED] A (i2)' });
    expect(await lastBody(v1(), [RESOLVED])).not.toHaveProperty('client');
  });

  it('uses the same dedup key for the whole group: SHA-256 of the group key', async () => {
    const v2 = notifier('    pagerduty_configs: [{routing_key: rk, url: URL/pd/v2}]');
    const a = (await lastBody(v2)) as { dedup_key: string; event_action: string };
    const b = (await lastBody(v2, [RESOLVED])) as { dedup_key: string; event_action: string };
    expect([a.event_action, b.event_action, a.dedup_key === b.dedup_key]).toEqual(['trigger', 'resolve', true]);
    expect(a.dedup_key).toBe(GROUP_KEY_SHA256);
  });

  it.each([
    { name: 'v2 retries 429', yaml: '    pagerduty_configs: [{routing_key: rk, url: URL/pd/v2}]', status: 429, retry: true },
    { name: 'v2 retries 5xx', yaml: '    pagerduty_configs: [{routing_key: rk, url: URL/pd/v2}]', status: 502, retry: true },
    { name: 'v2 does not retry 400', yaml: '    pagerduty_configs: [{routing_key: rk, url: URL/pd/v2}]', status: 400, retry: false },
    { name: 'v2 does not retry 403', yaml: '    pagerduty_configs: [{routing_key: rk, url: URL/pd/v2}]', status: 403, retry: false },
  ])('$name', async ({ yaml, status, retry }) => {
    answer = { status, body: '{"status":"invalid event","message":"Event object is invalid","errors":["Length of \'routing_key\' is incorrect"]}' };
    const err = await notifier(yaml)
      .notify([FIRING], ctx())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retry, message: expect.stringContaining(`unexpected status code ${status}`) });
  });

  it.each([
    { status: 403, retry: true },
    { status: 429, retry: false },
  ])('v1 answers $status: retry $retry', async ({ status, retry }) => {
    answer = { status };
    expect(await v1().notify([FIRING], ctx()).catch((e: unknown) => e)).toMatchObject({ retry });
  });

  it('quotes PagerDuty’s error for a 400', async () => {
    answer = { status: 400, body: '{"status":"invalid event","message":"Event object is invalid","errors":["bad key"]}' };
    const err = await notifier('    pagerduty_configs: [{routing_key: rk, url: URL/pd/v2}]').notify([FIRING], ctx()).catch((e: unknown) => e);
    expect((err as Error).message).toBe('unexpected status code 400: invalid event: Event object is invalid (bad key)');
  });
});

describe('Slack, Discord, webhook', () => {
  it('reads the Slack URL from api_url_file', async () => {
    const file = join(dir, 'slack-url');
    writeFileSync(file, `${server.url}/from-file\n`);
    await notifier(`    slack_configs: [{api_url_file: ${file}}]`).notify([FIRING], ctx());
    expect(server.posts[server.posts.length - 1].path).toBe('/from-file');
  });

  it('cuts a Slack title at 1024 runes with an ellipsis', async () => {
    const body = (await lastBody(notifier(`    slack_configs: [{api_url: URL/s, title: '${'é'.repeat(1100)}'}]`))) as { attachments: { title: string }[] };
    expect([...body.attachments[0].title].length).toBe(1024);
    expect(body.attachments[0].title.endsWith('é…')).toBe(true);
  });

  it('colours a resolved Discord embed green', async () => {
    expect(await lastBody(notifier('    discord_configs: [{webhook_url: URL/d}]'), [RESOLVED])).toMatchObject({ embeds: [{ color: 0x2ecc71, title: '[RESOLVED] A (i2)' }] });
  });

  it.each([
    { name: 'Slack', yaml: '    slack_configs: [{api_url: URL/s}]' },
    { name: 'Discord', yaml: '    discord_configs: [{webhook_url: URL/d}]' },
    { name: 'Teams', yaml: '    msteams_configs: [{webhook_url: URL/t}]' },
    { name: 'webhook', yaml: '    webhook_configs: [{url: URL/w}]' },
    { name: 'VictorOps', yaml: '    victorops_configs: [{api_url: URL/vo/, api_key: k, routing_key: r}]' },
    { name: 'Webex', yaml: '    webex_configs: [{api_url: URL/webex, room_id: r, http_config: {authorization: {credentials: t}}}]' },
  ])('$name retries 5xx and not 4xx', async ({ yaml }) => {
    const n = notifier(yaml);
    answer = { status: 503, body: 'busy' };
    const e5 = await n.notify([FIRING], ctx()).catch((e: unknown) => e);
    answer = { status: 429, body: 'slow down' };
    const e4 = await n.notify([FIRING], ctx()).catch((e: unknown) => e);
    expect([e5, e4]).toMatchObject([
      { retry: true, reason: 'http_5xx', message: 'unexpected status code 503: busy' },
      { retry: false, reason: 'http_4xx', message: 'unexpected status code 429: slow down' },
    ]);
  });

  it('fails without retrying when a template fails', async () => {
    const err = await notifier("    slack_configs: [{api_url: URL/s, title: '{{ .Nope }}'}]")
      .notify([FIRING], ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotifyError);
    expect(err).toMatchObject({ retry: false, reason: 'template', message: 'template: :1:3: executing "" at <.Nope>: can\'t evaluate field Nope in type *template.Data' });
  });

  it('uses the tenant’s template files', async () => {
    const n = notifier('    slack_configs: [{api_url: URL/s}]', { 'mine.tmpl': '{{ define "slack.default.title" }}mine: {{ .CommonLabels.instance }}{{ end }}' });
    expect(await lastBody(n)).toMatchObject({ attachments: [{ title: 'mine: i1' }] });
  });
});

describe('OpsGenie', () => {
  const last = (n = 1): (typeof server.posts)[number][] => server.posts.slice(-n);

  it('creates the alert: POST <api_url>v2/alerts, GenieKey, alias = SHA-256 of the group key, common labels in details', async () => {
    const n = notifier("    opsgenie_configs: [{api_url: URL/og, api_key: 'k-{{ .CommonLabels.alertname }}', details: {d: '{{ len .Alerts }}'}}]");
    await n.notify([FIRING], ctx());
    const [post] = last();
    expect([post.method, post.path, post.headers.authorization, post.headers['content-type']]).toEqual(['POST', '/og/v2/alerts', 'GenieKey k-A', 'application/json']);
    expect(post.body).toBe(
      `{"alias":"${GROUP_KEY_SHA256}","message":"[FIRING:1] A (i1)","description":"s\\nAlerts Firing:\\nLabels:\\n - alertname = A\\n - instance = i1\\nAnnotations:\\n - summary = s\\nSource: http://g\\n\\n","details":{"alertname":"A","d":"1","instance":"i1"},"source":"http://am.example/#/alerts?receiver=r"}\n`,
    );
  });

  it('cuts the message at 130 runes and fills responders, tags, actions, note, priority and entity', async () => {
    const n = notifier(
      `    opsgenie_configs: [{api_url: URL/og/, api_key: k, message: '${'é'.repeat(200)}', tags: ' a, b ,,c ', actions: 'x,y', note: 'n', priority: P1, entity: '{{ .CommonLabels.instance }}',
        responders: [{id: '1', type: team}, {name: ' t1, t2 ', type: teams}, {name: '{{ .CommonLabels.nope }}', type: '{{ .CommonLabels.nope }}'}, {username: u, type: user}]}]`,
    );
    await n.notify([FIRING], ctx());
    const body = JSON.parse(last()[0].body) as Record<string, unknown>;
    expect(body.message).toBe(`${'é'.repeat(129)}…`);
    expect(body).toMatchObject({
      responders: [
        { id: '1', type: 'team' },
        { name: 't1', type: 'team' },
        { name: ' t2', type: 'team' },
        { username: 'u', type: 'user' },
      ],
      tags: ['a', ' b ', 'c'],
      actions: ['x', 'y'],
      note: 'n',
      priority: 'P1',
      entity: 'i1',
    });
  });

  it('updates message and description with PUTs after creating when update_alerts is set', async () => {
    await notifier('    opsgenie_configs: [{api_url: URL/og/, api_key: k, update_alerts: true}]').notify([FIRING], ctx());
    const posts = last(3);
    expect(posts.map((p) => `${p.method} ${p.path}`)).toEqual([
      'POST /og/v2/alerts',
      `PUT /og/v2/alerts/${GROUP_KEY_SHA256}/message?identifierType=alias`,
      `PUT /og/v2/alerts/${GROUP_KEY_SHA256}/description?identifierType=alias`,
    ]);
    expect(posts[1].body).toBe('{"message":"[FIRING:1] A (i1)"}\n');
    expect(JSON.parse(posts[2].body)).toEqual({ description: expect.stringContaining('summary = s') });
    expect(posts.every((p) => p.headers.authorization === 'GenieKey k')).toBe(true);
  });

  it('closes the alert by alias once the group has resolved', async () => {
    await notifier('    opsgenie_configs: [{api_url: URL/og/, api_key: k, update_alerts: true}]').notify([RESOLVED], ctx());
    const [post] = last();
    expect([post.method, post.path, post.body]).toEqual(['POST', `/og/v2/alerts/${GROUP_KEY_SHA256}/close?identifierType=alias`, '{"source":"http://am.example/#/alerts?receiver=r"}\n']);
  });

  it('reads api_key_file (trimmed); its GenieKey wins over http_config authorization', async () => {
    const file = join(dir, 'genie-key');
    writeFileSync(file, 'from-file\n');
    await notifier(`    opsgenie_configs: [{api_url: URL/og/, api_key_file: ${file}, http_config: {authorization: {credentials: other}}}]`).notify([FIRING], ctx());
    expect(last()[0].headers.authorization).toBe('GenieKey from-file');
  });

  it.each([
    { status: 429, retry: true },
    { status: 503, retry: true },
    { status: 400, retry: false },
    { status: 422, retry: false },
  ])('answered $status: retry $retry, and the later requests are not sent', async ({ status, retry }) => {
    answer = { status, body: '{"message":"no"}' };
    const before = server.posts.length;
    const err = await notifier('    opsgenie_configs: [{api_url: URL/og/, api_key: k, update_alerts: true}]')
      .notify([FIRING], ctx())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retry, message: `unexpected status code ${status}: {"message":"no"}` });
    expect(server.posts.length).toBe(before + 1);
  });
});

describe('VictorOps', () => {
  const yaml = (extra = ''): string => `    victorops_configs: [{api_url: URL/vo/, api_key: 's3cret', routing_key: 'rk {{ .GroupLabels.alertname }}'${extra}}]`;

  it('posts to <api_url><api_key>/<routing_key> one flat object, keys sorted', async () => {
    const body = await lastBody(notifier(yaml(", custom_fields: {team: '{{ .CommonLabels.instance }}', a: b}")));
    expect(server.posts[server.posts.length - 1].path).toBe('/vo/s3cret/rk%20A');
    expect(Object.keys(body as object)).toEqual(['a', 'entity_display_name', 'entity_id', 'message_type', 'monitoring_tool', 'state_message', 'team']);
    expect(body).toEqual({
      a: 'b',
      entity_display_name: '[FIRING:1] A (i1)',
      entity_id: GROUP_KEY_SHA256,
      message_type: 'CRITICAL',
      monitoring_tool: 'Alertmanager',
      state_message: 's\nAlerts Firing:\nLabels:\n - alertname = A\n - instance = i1\nAnnotations:\n - summary = s\nSource: http://g\n\n',
      team: 'i1',
    });
  });

  it.each([
    { type: 'INFO', alerts: [FIRING], expected: 'INFO' },
    { type: 'WARNING', alerts: [FIRING], expected: 'WARNING' },
    { type: 'bogus', alerts: [FIRING], expected: 'CRITICAL' },
    { type: 'INFO', alerts: [RESOLVED], expected: 'RECOVERY' },
  ])('sends message_type $type as $expected', async ({ type, alerts, expected }) => {
    expect(await lastBody(notifier(yaml(`, message_type: ${type}`)), alerts)).toMatchObject({ message_type: expected });
  });

  it('cuts the state message at 20480 runes', async () => {
    const body = (await lastBody(notifier(yaml(`, state_message: '${'é'.repeat(20500)}'`)))) as { state_message: string };
    expect(body.state_message).toBe(`${'é'.repeat(20479)}…`);
  });

  it('keeps the API key out of connection errors', async () => {
    const cfg = loadConfig("route: {receiver: r}\nreceivers: [{name: r, victorops_configs: [{api_url: 'http://127.0.0.1:1/', api_key: 's3cret', routing_key: r}]}]");
    const [integration] = defaultIntegrationFactory(options())(cfg.receivers[0]);
    const err = await integration.notifier.notify([FIRING], ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ retry: true, reason: 'network' });
    expect((err as Error).message).not.toContain('s3cret');
  });
});

describe('Webex', () => {
  const yaml = (extra = ''): string => `    webex_configs: [{api_url: URL/v1/messages, room_id: 'room {{ x }}', http_config: {authorization: {credentials: tok}}${extra}}]`;

  it('posts {markdown, roomId} with the bot token from http_config (room_id is not a template in 0.25)', async () => {
    await notifier(yaml(", message: '**{{ .CommonLabels.alertname }}** <b>'")).notify([FIRING], ctx());
    const post = server.posts[server.posts.length - 1];
    expect([post.path, post.headers.authorization, post.body]).toEqual(['/v1/messages', 'Bearer tok', '{"markdown":"**A** \\u003cb\\u003e","roomId":"room {{ x }}"}\n']);
  });

  it('cuts the message at 7439 bytes, on a rune boundary, ending in an ellipsis', async () => {
    const body = (await lastBody(notifier(yaml(`, message: 'x${'é'.repeat(4000)}'`)))) as { markdown: string };
    // 1 + 2×3717 = 7435 bytes fit in 7439 − 3 (the ellipsis); one more é would not.
    expect(body.markdown).toBe(`x${'é'.repeat(3717)}…`);
    expect(Buffer.byteLength(body.markdown)).toBe(7438);
  });
});

describe('Telegram', () => {
  const telegram = (extra = ''): Notifier => notifier(`    telegram_configs: [{api_url: URL/tg, bot_token: 's3cret', chat_id: 7${extra}}]`);

  it('sends to /bot<token>/sendMessage, every parameter a string, HTML-escaped in HTML mode', async () => {
    answer = { status: 200, contentType: 'application/json', body: '{"ok":true,"result":{}}' };
    const body = await lastBody(telegram(", message: '<b>{{ .CommonAnnotations.summary }} & co</b>'"), [{ ...FIRING, annotations: { summary: '<s>' } }]);
    expect(server.posts[server.posts.length - 1].path).toBe('/tg/bots3cret/sendMessage');
    expect(server.posts[server.posts.length - 1].headers['user-agent']).toBe('Go-http-client/1.1');
    expect(body).toEqual({ chat_id: '7', disable_web_page_preview: 'true', parse_mode: 'HTML', text: '<b>&lt;s&gt; & co</b>' });
  });

  it('cuts the message at 4096 runes', async () => {
    answer = { status: 200, contentType: 'application/json', body: '{"ok":true,"result":{}}' };
    const body = (await lastBody(telegram(`, parse_mode: '', message: '${'x'.repeat(5000)}'`))) as { text: string };
    expect(body.text).toBe(`${'x'.repeat(4095)}…`);
  });

  it.each([
    { name: 'an error answer', answer: { status: 400, contentType: 'application/json', body: '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}' }, message: 'telegram: Bad Request: chat not found (400)' },
    { name: 'a body that is not JSON', answer: { status: 502, body: '<html>bad gateway</html>' }, message: 'telegram: status 502: cannot parse the answer' },
  ])('retries $name', async ({ answer: a, message }) => {
    answer = a;
    const err = await telegram()
      .notify([FIRING], ctx())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retry: true, message: expect.stringContaining(message) });
  });

  it('keeps the bot token out of connection errors', async () => {
    const cfg = loadConfig("route: {receiver: r}\nreceivers: [{name: r, telegram_configs: [{api_url: 'http://127.0.0.1:1', bot_token: 's3cret', chat_id: 7}]}]");
    const [integration] = defaultIntegrationFactory(options())(cfg.receivers[0]);
    const err = await integration.notifier.notify([FIRING], ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ retry: true, reason: 'network' });
    expect((err as Error).message).not.toContain('s3cret');
  });
});

describe('defaultIntegrationFactory', () => {
  it('builds OpsGenie, VictorOps and Webex notifiers', () => {
    for (const yaml of ['    opsgenie_configs: [{api_key: k}]', '    victorops_configs: [{api_key: k, routing_key: r}]', '    webex_configs: [{room_id: r, http_config: {authorization: {credentials: t}}}]']) {
      expect(notifier(yaml).constructor.name).not.toBe('NotImplementedNotifier');
    }
  });

  it('keeps integrations Panoptes cannot send through failing with IntegrationNotImplementedError', async () => {
    const cfg = loadConfig("route: {receiver: r}\nreceivers: [{name: r, pushover_configs: [{user_key: u, token: t}]}]");
    const [integration] = defaultIntegrationFactory(options())(cfg.receivers[0]);
    await expect(integration.notifier.notify([FIRING], ctx())).rejects.toMatchObject({ reason: 'integration_not_implemented' });
  });
});
