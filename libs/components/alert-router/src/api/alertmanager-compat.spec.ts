import { nopLogger } from '@panoptes/log';
import { type AlertmanagerPeer, type HttpSink, describeWithTool, startAlertmanager, startHttpSink, stopAllPeers } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { AlertRouter, defaultAlertRouterConfig } from '../alert-router';
import { defaultTenantConfig } from '../tenant';
import { mountAlertRouter } from '../testing/http-mount';

/**
 * The same requests against a real Alertmanager 0.25 and against the alert-router: API answers
 * (status codes, bodies, alert and group shapes, fingerprints, muting) and webhook payloads must
 * be the same, timestamps and IDs aside.
 */
const config = (hookUrl: string): string => `
route:
  receiver: hook
  group_by: [alertname, team]
  group_wait: 2s
  group_interval: 1h
  routes:
    - matchers: [team="a"]
      receiver: team-a
      continue: true
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: hook
    webhook_configs: [{url: '${hookUrl}'}]
  - name: team-a
    webhook_configs: [{url: '${hookUrl}', max_alerts: 1}]
`;

const EXTERNAL = 'http://am.example';

describeWithTool('prometheus-alertmanager', 'alert-router against a real Alertmanager 0.25', () => {
  let real: AlertmanagerPeer;
  let router: AlertRouter;
  let ours: { url: string; close: () => Promise<void> };
  let realHook: HttpSink;
  let ourHook: HttpSink;
  const start = new Date(Date.now() - 3_600_000);
  start.setMilliseconds(0);
  const startsAt = start.toISOString();
  const ALERTS = [
    { labels: { alertname: 'Disk&Full', team: 'a', severity: 'critical', instance: 'db1' }, annotations: { summary: '<b>full</b>' }, generatorURL: 'http://prom/graph', startsAt },
    { labels: { alertname: 'Disk&Full', team: 'a', severity: 'warning', instance: 'db2', empty: '' }, startsAt },
    { labels: { alertname: 'Other', job: 'node' }, startsAt },
  ];

  beforeAll(async () => {
    realHook = await startHttpSink({ respond: () => 200 });
    ourHook = await startHttpSink({ respond: () => 200 });
    real = await startAlertmanager({ config: config(`${realHook.url}/hook`), extraArgs: [`--web.external-url=${EXTERNAL}`] });
    router = new AlertRouter(nopLogger, new Registry(), { ...defaultAlertRouterConfig(), fallbackConfig: config(`${ourHook.url}/hook`), tenant: { ...defaultTenantConfig(), externalUrl: EXTERNAL } });
    await router.start();
    ours = await mountAlertRouter(router);
  }, 30_000);

  afterAll(async () => {
    await ours.close();
    await router.stop();
    await stopAllPeers();
  });

  const both = async (method: string, path: string, body?: unknown): Promise<[{ status: number; body: string }, { status: number; body: string }]> => {
    const init = { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) };
    const [a, b] = await Promise.all([fetch(`${real.url}${path}`, init), fetch(`${ours.url}/alertmanager${path}`, init)]);
    return [
      { status: a.status, body: await a.text() },
      { status: b.status, body: await b.text() },
    ];
  };

  /** Drops what legitimately differs: receipt times (updatedAt, timeout endsAt, a silence's start) and silence IDs. */
  const normalise = (body: string, times = /"(updatedAt|endsAt)":"[^"]*"/g): unknown =>
    JSON.parse(body.replace(times, '"$1":"T"').replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ID'));

  it('accepts the same alerts', async () => {
    const [a, b] = await both('POST', '/api/v2/alerts', ALERTS);
    expect(b).toEqual(a);
  });

  it.each([
    ['an empty label set', [{ labels: {} }]],
    ['missing labels', [{ annotations: {} }]],
    ['a bad label name', [{ labels: { 'a-b': 'x' } }]],
    ['an end before the start', [{ labels: { a: 'b' }, startsAt: '2030-01-01T00:00:00Z', endsAt: '2029-01-01T00:00:00Z' }]],
  ])('rejects %s with the same status and body', async (_name, body) => {
    const [a, b] = await both('POST', '/api/v2/alerts', body);
    expect(b).toEqual(a);
  });

  it.each([
    ['all alerts', '/api/v2/alerts'],
    ['inhibited=false', '/api/v2/alerts?inhibited=false'],
    ['a filter', '/api/v2/alerts?filter=team%3D%22a%22'],
    ['a receiver regex', '/api/v2/alerts?receiver=team-.*'],
    ['alert groups', '/api/v2/alerts/groups'],
    ['receivers', '/api/v2/receivers'],
    ['a bad filter', '/api/v2/alerts?filter=a'],
    ['an unknown silence', '/api/v2/silence/00000000-0000-0000-0000-000000000000'],
    ['a malformed silence ID', '/api/v2/silence/xyz'],
  ])('answers GET %s the same way', async (_name, path) => {
    const [a, b] = await both('GET', path);
    expect({ status: b.status, body: b.body ? normalise(b.body) : '' }).toEqual({ status: a.status, body: a.body ? normalise(a.body) : '' });
  });

  it('sends the same webhook notifications (the inhibited warning left out)', async () => {
    // Two groups: {alertname, team="a"} on team-a (critical only: the warning is inhibited) and {alertname="Other"} on hook.
    // group_wait is 2s, not less: on a loaded machine Alertmanager's inhibitor (a goroutine fed by
    // its alert subscription) once had not yet seen the critical alert at a 300ms first flush, and
    // sent the warning too (truncatedAlerts 1).
    await Promise.all([realHook.waitFor(2), ourHook.waitFor(2)]);
    await new Promise((r) => setTimeout(r, 500));
    expect([ourHook.received, realHook.received]).toEqual([2, 2]);
    const payloads = (sink: HttpSink): unknown[] =>
      sink.requests
        .map((r) => JSON.parse(r.body.toString('utf8')) as { groupKey: string; receiver: string })
        .sort((x, y) => (x.receiver + x.groupKey < y.receiver + y.groupKey ? -1 : 1));
    expect(payloads(ourHook)).toEqual(payloads(realHook));
    expect(ourHook.requests[0].body.toString('utf8')).toContain('\\u0026');
  });

  it('handles the same silence the same way', async () => {
    const silence = { matchers: [{ name: 'instance', value: 'db.*', isRegex: true }], startsAt, endsAt: new Date(Date.now() + 3_600_000).toISOString(), createdBy: 'me', comment: 'c' };
    const [a, b] = await both('POST', '/api/v2/silences', silence);
    expect({ status: b.status, body: normalise(b.body) }).toEqual({ status: a.status, body: normalise(a.body) });
    for (const path of ['/api/v2/silences', '/api/v2/alerts?silenced=false', '/api/v2/alerts']) {
      const [x, y] = await both('GET', path);
      const times = path === '/api/v2/silences' ? /"(updatedAt|endsAt|startsAt)":"[^"]*"/g : undefined;
      expect({ path, body: normalise(y.body, times) }).toEqual({ path, body: normalise(x.body, times) });
    }
  });
});
