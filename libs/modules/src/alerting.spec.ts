import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { STALE_NAN } from '@panoptes/ruler';
import { HeaderProxy, type HttpSink, amtool, describeWithTool, eventually, freePort, startHttpSink, stopAllPeers } from '@panoptes/testing';
import { RunningProcess, startProcess } from './runner';
import { fastAlertingTestConfig } from './testing/test-config';

/**
 * The alerting path end to end in one all-in-one process: a tenant uploads an Alertmanager config
 * (/api/v1/alerts) and a rule group (/prometheus/config/v1/rules), remote-writes a series, and the
 * alert goes inactive → pending → firing, reaches the webhook once, is repeated after
 * repeat_interval, is silenced and unsilenced with the real amtool 0.25, and resolves when the
 * series goes stale.
 */
const TENANT = 'team-alerts';
const GROUP_WAIT_MS = 1_000;
const REPEAT_INTERVAL_MS = 5_000;

interface WebhookBody {
  status: 'firing' | 'resolved';
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  groupLabels: Record<string, string>;
}

describeWithTool('amtool', 'alerting end to end: ruler → alert-router → webhook, silenced with amtool', (amtoolPath) => {
  let dir: string;
  let proc: RunningProcess;
  let base: string;
  let hook: HttpSink;
  let proxy: HeaderProxy | undefined;
  let silenceId = '';

  const headers = { 'X-Scope-OrgID': TENANT };
  const notifications = (): WebhookBody[] => hook.requests.map((r) => JSON.parse(r.body.toString('utf8')) as WebhookBody);
  const amtoolRun = async (...args: string[]): Promise<string> => {
    const r = await amtool(args, { amtoolPath, alertmanagerUrl: `${proxy!.url}/alertmanager` });
    if (r.code !== 0) throw new Error(`amtool ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const alerts = async (): Promise<{ labels: Record<string, string>; state: string }[]> => {
    const res = await fetch(`${base}/prometheus/api/v1/alerts`, { headers });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts;
  };
  const write = async (value: number): Promise<void> => {
    const body = encodeWriteRequestV1({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'room_temperature_celsius' },
            { name: 'room', value: 'server-room' },
          ],
          samples: [{ timestamp: Date.now(), value }],
        },
      ],
    });
    const res = await fetch(`${base}/api/v1/push`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
      body: compressSnappy(body),
    });
    expect(res.status).toBe(204);
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-alerting-'));
    hook = await startHttpSink({ respond: () => 200 });
    const grpcPort = await freePort();
    proc = await startProcess(fastAlertingTestConfig(dir, grpcPort), nopLogger, new Registry());
    base = `http://127.0.0.1:${proc.wiring.http.port}`;
    proxy = await HeaderProxy.start(base, { 'X-Scope-OrgID': TENANT }, { keepPath: true });
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    await proc?.manager.stopAll();
    await stopAllPeers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps /api/v2/status at the root a 404 while /alertmanager/api/v2/status answers (Grafana\'s Mimir check)', async () => {
    expect((await fetch(`${base}/api/v2/status`, { headers })).status).toBe(404);
    const status = await fetch(`${base}/alertmanager/api/v2/status`, { headers });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { cluster: { status: string } }).cluster.status).toBe('disabled');
  });

  it('accepts the tenant\'s Alertmanager config through /api/v1/alerts and serves it back', async () => {
    const alertmanagerConfig = [
      'route:',
      '  receiver: hook',
      '  group_by: [alertname]',
      `  group_wait: ${GROUP_WAIT_MS / 1000}s`,
      '  group_interval: 1s',
      `  repeat_interval: ${REPEAT_INTERVAL_MS / 1000}s`,
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: ${hook.url}/hook`,
      '        send_resolved: true',
      '',
    ].join('\n');
    const doc = `alertmanager_config: |\n${alertmanagerConfig.replace(/^/gm, '  ')}\n`;
    const res = await fetch(`${base}/api/v1/alerts`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/yaml' }, body: doc });
    expect(res.status).toBe(201);
    const back = await fetch(`${base}/api/v1/alerts`, { headers });
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('send_resolved: true');
  });

  it('accepts a rule group with 202 and evaluates it: the alert is inactive while the series is missing', async () => {
    const group = [
      'name: temperatures',
      'interval: 1s',
      'rules:',
      '  - record: room:temperature_celsius:max',
      '    expr: max by (room) (room_temperature_celsius)',
      '  - alert: RoomTooHot',
      '    expr: room_temperature_celsius > 40',
      '    for: 3s',
      '    labels:',
      '      severity: page',
      '    annotations:',
      '      summary: "{{ $labels.room }} is at {{ $value }} degrees"',
      '',
    ].join('\n');
    const res = await fetch(`${base}/prometheus/config/v1/rules/facility`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/yaml' }, body: group });
    expect(res.status).toBe(202);
    expect(await (await fetch(`${base}/prometheus/config/v1/rules/facility/temperatures`, { headers })).text()).toContain('alert: RoomTooHot');
    const state = async () => {
      const r = await fetch(`${base}/prometheus/api/v1/rules?type=alert`, { headers });
      const body = (await r.json()) as { data: { groups: { rules: { state: string; health: string }[] }[] } };
      return body.data.groups[0]?.rules[0];
    };
    const rule = await eventually(async () => {
      const r = await state();
      return r?.health === 'ok' ? r : undefined;
    }, 10_000);
    expect(rule.state).toBe('inactive');
    expect(await alerts()).toEqual([]);
  });

  it('goes pending when the series crosses the threshold, then firing after `for`, and notifies the webhook once', async () => {
    await write(55);
    const pending = await eventually(async () => {
      const a = await alerts();
      return a.length > 0 ? a : undefined;
    }, 10_000);
    expect(pending).toMatchObject([{ labels: { alertname: 'RoomTooHot', room: 'server-room', severity: 'page' }, state: 'pending' }]);
    await eventually(async () => (await alerts())[0]?.state === 'firing', 10_000);
    const [first] = await hook.waitFor(1, 10_000);
    const body = JSON.parse(first.body.toString('utf8')) as WebhookBody;
    expect(body).toMatchObject({ status: 'firing', groupLabels: { alertname: 'RoomTooHot' } });
    expect(body.alerts).toMatchObject([{ status: 'firing', labels: { alertname: 'RoomTooHot', room: 'server-room' }, annotations: { summary: 'server-room is at 55 degrees' } }]);
    // Recorded series and ALERTS went back in through the distributor and are queryable.
    const query = async (q: string) => {
      const r = await fetch(`${base}/prometheus/api/v1/query?query=${encodeURIComponent(q)}`, { headers });
      return ((await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    };
    await eventually(async () => (await query('room:temperature_celsius:max'))[0]?.value[1] === '55', 10_000);
    const alertSeries = await eventually(async () => {
      const r = await query('ALERTS{alertstate="firing"}');
      return r.length > 0 ? r : undefined;
    }, 10_000);
    expect(alertSeries[0].metric).toEqual({ __name__: 'ALERTS', alertname: 'RoomTooHot', alertstate: 'firing', room: 'server-room', severity: 'page' });
    expect(await query('ALERTS_FOR_STATE')).toHaveLength(1);
    // The ruler resends every second; the notification log keeps the repeats from the receiver.
    await sleep(REPEAT_INTERVAL_MS - 1_500);
    expect(hook.received).toBe(1);
  }, 30_000);

  it('repeats the notification after repeat_interval', async () => {
    const [first, second] = await hook.waitFor(2, 10_000);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(REPEAT_INTERVAL_MS - 100);
    expect(notifications()[1].status).toBe('firing');
  }, 15_000);

  it('amtool silence add stops notifications; amtool silence query and alert query show the silence', async () => {
    silenceId = (await amtoolRun('silence', 'add', 'alertname=RoomTooHot', '--comment=maintenance', '--author=ops', '--duration=1h')).trim();
    expect(silenceId).toMatch(/^[0-9a-f-]{36}$/);
    const silences = JSON.parse(await amtoolRun('silence', 'query', '-o', 'json')) as { id: string; status: { state: string }; createdBy: string }[];
    expect(silences).toMatchObject([{ id: silenceId, status: { state: 'active' }, createdBy: 'ops' }]);
    const silenced = JSON.parse(await amtoolRun('alert', 'query', '-o', 'json', '--silenced')) as { labels: Record<string, string>; status: { state: string; silencedBy: string[] } }[];
    expect(silenced).toMatchObject([{ labels: { alertname: 'RoomTooHot' }, status: { state: 'suppressed', silencedBy: [silenceId] } }]);
    const before = hook.received;
    await sleep(REPEAT_INTERVAL_MS + 2_000);
    expect(hook.received).toBe(before);
  }, 30_000);

  it('amtool silence expire ends the silence and notifications resume', async () => {
    const before = hook.received;
    await amtoolRun('silence', 'expire', silenceId);
    expect(JSON.parse(await amtoolRun('silence', 'query', '-o', 'json'))).toEqual([]);
    const expired = JSON.parse(await amtoolRun('silence', 'query', '-o', 'json', '--expired')) as { id: string; status: { state: string } }[];
    expect(expired).toMatchObject([{ id: silenceId, status: { state: 'expired' } }]);
    const active = JSON.parse(await amtoolRun('alert', 'query', '-o', 'json')) as { status: { state: string } }[];
    expect(active).toMatchObject([{ status: { state: 'active' } }]);
    await hook.waitFor(before + 1, 10_000);
    expect(notifications()[before].status).toBe('firing');
  }, 20_000);

  it('sends a resolved notification when the series goes away (staleness marker)', async () => {
    await write(STALE_NAN);
    await eventually(async () => (await alerts()).length === 0, 10_000);
    const resolved = await eventually(async () => notifications().find((n) => n.status === 'resolved'), 10_000);
    expect(resolved.alerts).toMatchObject([{ status: 'resolved', labels: { alertname: 'RoomTooHot', room: 'server-room' } }]);
  }, 20_000);
});
