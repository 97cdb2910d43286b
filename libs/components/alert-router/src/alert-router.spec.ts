import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { AlertRouter, type AlertRouterConfig, defaultAlertRouterConfig } from './alert-router';
import type { AmApiResponse } from './api/http';
import { eachIntegration } from './notify/integrations';
import { InMemoryAlertRouterStateStore } from './state-store';
import { settle } from './testing/harness';

const T0 = Date.UTC(2024, 0, 1, 12);

const TENANT_CONFIG = `route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [{url: 'http://hook.example/'}]
`;

interface Sent {
  tenant: string;
  receiver: string;
  alerts: string[];
}

function makeRouter(clock: FakeClock, store: InMemoryAlertRouterStateStore, sent: Sent[], config: Partial<AlertRouterConfig> = {}): AlertRouter {
  return new AlertRouter(
    nopLogger,
    new Registry(),
    { ...defaultAlertRouterConfig(), ...config },
    {
      clock,
      stateStore: store,
      integrationFactory: (receiver) =>
        eachIntegration(receiver, () => ({
          notify: async (alerts, ctx) => void sent.push({ tenant: ctx.tenant, receiver: ctx.receiver, alerts: alerts.map((a) => `${a.labels.alertname}:${a.endsAt !== 0 && a.endsAt <= clock.now() ? 'resolved' : 'firing'}`) }),
        })),
    },
  );
}

async function advance(clock: FakeClock, ms: number, step = 10_000): Promise<void> {
  for (let left = ms; left > 0; left -= step) {
    await clock.advance(Math.min(step, left));
    await settle();
  }
}

const req = (method: string, path: string, body?: unknown, query = '') => ({
  method,
  path,
  query: new URLSearchParams(query),
  body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
});
const json = (r: AmApiResponse): unknown => JSON.parse(r.body);

describe('AlertRouter', () => {
  let clock: FakeClock;
  let store: InMemoryAlertRouterStateStore;
  let sent: Sent[];
  let router: AlertRouter;

  beforeEach(async () => {
    clock = new FakeClock(T0);
    store = new InMemoryAlertRouterStateStore();
    sent = [];
    router = makeRouter(clock, store, sent);
    await router.start();
  });

  afterEach(async () => {
    await router.stop();
  });

  it('runs the fallback config for a tenant without one, and keeps tenants apart', async () => {
    expect(json(await router.handleApi('t1', req('GET', '/api/v2/receivers')))).toEqual([{ name: 'empty-receiver' }]);
    await router.handleApi('t1', req('POST', '/api/v2/alerts', [{ labels: { alertname: 'A' } }]));
    expect(json(await router.handleApi('t1', req('GET', '/api/v2/alerts')))).toHaveLength(1);
    expect(json(await router.handleApi('t2', req('GET', '/api/v2/alerts')))).toEqual([]);
  });

  it('serves Mimir’s config API: 404 without a config, 201 on upload, the YAML back, 200 on delete', async () => {
    expect(await router.handleConfigApi('t1', req('GET', '/api/v1/alerts'))).toMatchObject({ status: 404, body: 'alertmanager storage object not found\n' });
    const upload = `template_files:\n  default.tmpl: '{{ define "x" }}x{{ end }}'\nalertmanager_config: |\n${TENANT_CONFIG.replace(/^/gm, '  ')}`;
    expect((await router.handleConfigApi('t1', req('POST', '/api/v1/alerts', upload))).status).toBe(201);
    const got = await router.handleConfigApi('t1', req('GET', '/api/v1/alerts'));
    expect(got.status).toBe(200);
    expect(got.body).toContain('default.tmpl:');
    expect(got.body).toContain('receiver: hook');
    expect(json(await router.handleApi('t1', req('GET', '/api/v2/receivers')))).toEqual([{ name: 'hook' }]);
    expect((await router.handleConfigApi('t1', req('DELETE', '/api/v1/alerts'))).status).toBe(200);
    expect(json(await router.handleApi('t1', req('GET', '/api/v2/receivers')))).toEqual([{ name: 'empty-receiver' }]);
  });

  it.each([
    ['an empty config', 'alertmanager_config: ""', "configuration provided is empty, if you'd like to remove your configuration please use the delete configuration endpoint"],
    ['an invalid config', 'alertmanager_config: "route: {receiver: nope}"', 'undefined receiver "nope" used in route'],
    ['a *_file setting', `alertmanager_config: "route: {receiver: r}\\nreceivers: [{name: r, slack_configs: [{api_url_file: /etc/passwd}]}]"`, 'setting receivers[0].slack_configs[0].api_url_file is not allowed'],
    ['a template name with a path', `template_files: {'../x.tmpl': ''}\nalertmanager_config: "route: {receiver: r}\\nreceivers: [{name: r}]"`, 'invalid template name "../x.tmpl"'],
    ['a template that does not parse', `template_files: {'a.tmpl': '{{ define "x" }}{{ .Broken '}\nalertmanager_config: "route: {receiver: r}\\nreceivers: [{name: r}]"`, 'invalid template file: '],
  ])('rejects %s with 400 and stores nothing', async (_name, body, message) => {
    const r = await router.handleConfigApi('t1', req('POST', '/api/v1/alerts', body));
    expect(r.status).toBe(400);
    expect(r.body).toContain('error validating Alertmanager config: ');
    expect(r.body).toContain(message);
    expect(await store.loadConfig('t1')).toBeUndefined();
  });

  it('keeps silences and sends no duplicate notification across a restart', async () => {
    await router.setConfig('t1', { alertmanagerConfig: TENANT_CONFIG, templateFiles: {} });
    const endsAt = new Date(T0 + 24 * 3600_000).toISOString();
    await router.handleApi('t1', req('POST', '/api/v2/alerts', [{ labels: { alertname: 'Firing' }, endsAt }, { labels: { alertname: 'Silenced' }, endsAt }]));
    const silence = { matchers: [{ name: 'alertname', value: 'Silenced', isRegex: false }], startsAt: new Date(T0).toISOString(), endsAt, createdBy: 'me', comment: 'c' };
    const { silenceID } = json(await router.handleApi('t1', req('POST', '/api/v2/silences', silence))) as { silenceID: string };
    await advance(clock, 40_000);
    expect(sent).toEqual([{ tenant: 't1', receiver: 'hook', alerts: ['Firing:firing'] }]);
    await router.flushWrites();

    // Kill: no orderly stop, only what was written on change survives.
    const restarted = makeRouter(clock, store, sent);
    await restarted.start();
    try {
      const silences = json(await restarted.handleApi('t1', req('GET', '/api/v2/silences'))) as { id: string; status: { state: string } }[];
      expect(silences).toEqual([expect.objectContaining({ id: silenceID, status: { state: 'active' } })]);
      // The ruler re-sends its alerts; both replicas of the group are re-dispatched.
      await restarted.handleApi('t1', req('POST', '/api/v2/alerts', [{ labels: { alertname: 'Firing' }, endsAt, startsAt: new Date(T0).toISOString() }, { labels: { alertname: 'Silenced' }, endsAt, startsAt: new Date(T0).toISOString() }]));
      await advance(clock, 3600_000, 60_000);
      expect(sent).toHaveLength(1);
    } finally {
      await restarted.stop();
    }
  });
});
