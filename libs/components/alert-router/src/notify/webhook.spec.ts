import { type HttpSink, startHttpSink, stopAllPeers } from '@panoptes/testing';
import type { Alert } from '../alerts/alert';
import { loadConfig } from '../config/config';
import type { WebhookConfig } from '../config/receivers';
import type { NotifyContext } from './types';
import { NotifyError } from './types';
import { WebhookNotifier } from './webhook';

const T0 = Date.UTC(2024, 0, 1, 12);
let sink: HttpSink;
let status = 200;

beforeAll(async () => {
  sink = await startHttpSink({ respond: () => status });
});

afterAll(stopAllPeers);

function webhook(extra = ''): WebhookNotifier {
  const cfg = loadConfig(`route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: '${sink.url}/hook'${extra}}]}]`);
  return new WebhookNotifier(cfg.receivers[0].webhook_configs[0] as WebhookConfig, { externalUrl: 'http://am.example', userAgent: 'Alertmanager/0.25.0 (Panoptes)', now: () => T0 });
}

const ctx: NotifyContext = {
  tenant: 't1',
  now: T0,
  groupKey: '{}:{alertname="A"}',
  groupLabels: { alertname: 'A' },
  receiver: 'r.x',
  repeatIntervalMs: 3600_000,
  muteTimeIntervals: [],
  activeTimeIntervals: [],
  deadline: T0 + 10_000,
  signal: new AbortController().signal,
};

const alert = (instance: string, endsAt = 0): Alert => ({ labels: { alertname: 'A', instance }, annotations: { s: 'x' }, startsAt: T0 - 60_000, endsAt, generatorURL: 'http://g', updatedAt: T0, timeout: false });

describe('WebhookNotifier', () => {
  it('POSTs Alertmanager’s version 4 payload, byte for byte', async () => {
    status = 200;
    const before = sink.received;
    await webhook().notify([alert('i1'), alert('i2', T0 - 1000)], ctx);
    const [req] = (await sink.waitFor(before + 1)).slice(-1);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe('Alertmanager/0.25.0 (Panoptes)');
    expect(req.body.toString('utf8')).toBe(
      '{"receiver":"r\\\\.x","status":"firing","alerts":[' +
        '{"status":"firing","labels":{"alertname":"A","instance":"i1"},"annotations":{"s":"x"},"startsAt":"2024-01-01T11:59:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://g","fingerprint":"3958271e50266b0c"},' +
        '{"status":"resolved","labels":{"alertname":"A","instance":"i2"},"annotations":{"s":"x"},"startsAt":"2024-01-01T11:59:00Z","endsAt":"2024-01-01T11:59:59Z","generatorURL":"http://g","fingerprint":"395a271e5026ede3"}],' +
        '"groupLabels":{"alertname":"A"},"commonLabels":{"alertname":"A"},"commonAnnotations":{"s":"x"},"externalURL":"http://am.example","version":"4","groupKey":"{}:{alertname=\\"A\\"}","truncatedAlerts":0}\n',
    );
  });

  it('truncates to max_alerts and says how many were left out', async () => {
    const before = sink.received;
    await webhook(', max_alerts: 1').notify([alert('i1'), alert('i2')], ctx);
    const [req] = (await sink.waitFor(before + 1)).slice(-1);
    const body = JSON.parse(req.body.toString('utf8')) as { alerts: unknown[]; truncatedAlerts: number };
    expect([body.alerts.length, body.truncatedAlerts]).toEqual([1, 1]);
  });

  it('sends basic auth and bearer credentials from http_config', async () => {
    const before = sink.received;
    await webhook(', http_config: {basic_auth: {username: u, password: p}}').notify([alert('i1')], ctx);
    await webhook(', http_config: {bearer_token: tok}').notify([alert('i1')], ctx);
    const reqs = (await sink.waitFor(before + 2)).slice(-2);
    expect(reqs.map((r) => r.headers.authorization)).toEqual([`Basic ${Buffer.from('u:p').toString('base64')}`, 'Bearer tok']);
  });

  it.each([
    [500, true, 'http_5xx'],
    [503, true, 'http_5xx'],
    [400, false, 'http_4xx'],
    [404, false, 'http_4xx'],
  ])('classifies HTTP %i as retry=%s', async (code, retry, reason) => {
    status = code;
    const err = await webhook()
      .notify([alert('i1')], ctx)
      .catch((e: unknown) => e);
    status = 200;
    expect(err).toBeInstanceOf(NotifyError);
    expect(err).toMatchObject({ retry, reason, message: expect.stringContaining(`unexpected status code ${code}`) });
  });

  it('retries a connection failure', async () => {
    const cfg = { ...(loadConfig(`route: {receiver: r}\nreceivers: [{name: r, webhook_configs: [{url: 'http://127.0.0.1:1/'}]}]`).receivers[0].webhook_configs[0] as WebhookConfig) };
    const err = await new WebhookNotifier(cfg, { externalUrl: '', userAgent: 'x', now: () => T0 }).notify([alert('i1')], ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ retry: true, reason: 'network' });
  });
});
