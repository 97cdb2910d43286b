import { nopLogger } from '@panoptes/log';
import { type HttpSink, amtool, describeWithTool, eventually, startHttpSink, stopAllPeers } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { AlertRouter, defaultAlertRouterConfig } from '../alert-router';
import { mountAlertRouter } from '../testing/http-mount';

/**
 * The real amtool (Alertmanager 0.25) against the alert-router's API v2, mounted under
 * /alertmanager on a bare HTTP server: alerts posted and queried, silences added, queried and
 * expired, the config shown and its routes listed (amtool parses our config.original with
 * Alertmanager's own loader), and a webhook notification delivered.
 */
describeWithTool('amtool', 'alert-router API v2 driven by amtool', (amtoolPath) => {
  let router: AlertRouter;
  let server: { url: string; close: () => Promise<void> };
  let hook: HttpSink;
  let am: string;
  const run = async (...args: string[]): Promise<string> => {
    const r = await amtool(args, { amtoolPath, alertmanagerUrl: am });
    if (r.code !== 0) throw new Error(`amtool ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  beforeAll(async () => {
    hook = await startHttpSink({ respond: () => 200 });
    router = new AlertRouter(nopLogger, new Registry(), {
      ...defaultAlertRouterConfig(),
      fallbackConfig: `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1s
  routes:
    - matchers: [team="db"]
      receiver: dba
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
receivers:
  - name: hook
    webhook_configs:
      - url: ${hook.url}/hook
  - name: dba
`,
    });
    await router.start();
    server = await mountAlertRouter(router);
    am = `${server.url}/alertmanager`;
  });

  afterAll(async () => {
    await server.close();
    await router.stop();
    await stopAllPeers();
  });

  it('amtool alert add posts alerts that amtool alert query lists with their labels and state', async () => {
    await run('alert', 'add', 'alertname=DiskFull', 'severity=critical', 'instance=db1', '--annotation=summary=disk is full');
    await run('alert', 'add', 'alertname=DiskFull', 'severity=warning', 'instance=db2');
    // amtool shows only active alerts unless told which states to show.
    const alerts = JSON.parse(await run('alert', 'query', '-o', 'json', '--active', '--inhibited')) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
    expect(alerts.map((a) => [a.labels.instance, a.status.state]).sort()).toEqual([
      ['db1', 'active'],
      ['db2', 'suppressed'],
    ]);
    const filtered = JSON.parse(await run('alert', 'query', '-o', 'json', '--active', '--inhibited', 'severity=critical')) as unknown[];
    expect(filtered).toHaveLength(1);
    const active = JSON.parse(await run('alert', 'query', '-o', 'json', 'alertname=DiskFull')) as { labels: Record<string, string> }[];
    expect(active.map((a) => a.labels.instance)).toEqual(['db1']);
  });

  it('delivers the firing alert to the webhook receiver with the version 4 payload', async () => {
    const [request] = await hook.waitFor(1);
    const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    expect(body).toMatchObject({
      receiver: 'hook',
      status: 'firing',
      version: '4',
      groupKey: '{}:{alertname="DiskFull"}',
      groupLabels: { alertname: 'DiskFull' },
      commonLabels: { alertname: 'DiskFull', instance: 'db1', severity: 'critical' },
      truncatedAlerts: 0,
    });
    expect(request.headers['content-type']).toBe('application/json');
  });

  it('amtool silence add creates a silence that silence query lists and alert query shows as silencing', async () => {
    const id = (await run('silence', 'add', 'instance=db1', '-c', 'replacing disk', '-a', 'ops', '-d', '1h')).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const silences = JSON.parse(await run('silence', 'query', '-o', 'json')) as { id: string; comment: string; createdBy: string; status: { state: string } }[];
    expect(silences).toEqual([expect.objectContaining({ id, comment: 'replacing disk', createdBy: 'ops', status: { state: 'active' } })]);
    expect(JSON.parse(await run('alert', 'query', '-o', 'json', 'instance=db1'))).toEqual([]);
    const alerts = JSON.parse(await run('alert', 'query', '-o', 'json', '--silenced', 'instance=db1')) as { status: { silencedBy: string[] } }[];
    expect(alerts[0].status.silencedBy).toEqual([id]);
    expect((await run('silence', 'query', '-q')).trim()).toBe(id);
  });

  it('amtool silence expire ends the silence; silence query then lists it only with --expired', async () => {
    const id = (await run('silence', 'query', '-q')).trim();
    await run('silence', 'expire', id);
    expect((await run('silence', 'query', '-q')).trim()).toBe('');
    const expired = JSON.parse(await run('silence', 'query', '--expired', '-o', 'json')) as { id: string; status: { state: string } }[];
    expect(expired).toEqual([expect.objectContaining({ id, status: { state: 'expired' } })]);
  });

  it('amtool config show prints the config and amtool config routes parses it with Alertmanager 0.25', async () => {
    expect(await run('config', 'show')).toContain('receiver: hook');
    const tree = await run('config', 'routes');
    expect(tree).toContain('default-route  receiver: hook');
    expect(tree).toContain('{team="db"}  receiver: dba');
    const test = await amtool(['config', 'routes', 'test', 'team=db'], { amtoolPath, alertmanagerUrl: am });
    expect(test.stdout.trim()).toBe('dba');
  });

  it('amtool resolves an alert with --end, and the receiver gets the resolved notification', async () => {
    const before = hook.received;
    await run('alert', 'add', 'alertname=DiskFull', 'severity=critical', 'instance=db1', `--end=${new Date(Date.now() - 1000).toISOString()}`);
    await eventually(() => hook.requests.slice(before).some((r) => JSON.parse(r.body.toString('utf8')).alerts.some((a: { status: string; labels: { instance: string } }) => a.labels.instance === 'db1' && a.status === 'resolved')), 10_000);
  });
});
