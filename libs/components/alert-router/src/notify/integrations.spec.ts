import { SystemClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { receiveAlert } from '../alerts/alert';
import { loadConfig } from '../config/config';
import { AlertRouterMetrics } from '../metrics';
import { RecordingHttpServer, type ScriptedAnswer } from '../testing/fake-servers';
import { AlertRouterTenant, defaultTenantConfig } from '../tenant';

/**
 * The real integrations inside a tenant's pipeline: retries with backoff on retryable answers,
 * no retry on the others, and the per-integration metrics; template files from the tenant config.
 */

let server: RecordingHttpServer;
let answers: ScriptedAnswer[] = [];

beforeAll(async () => {
  server = await RecordingHttpServer.start(() => answers.shift() ?? { status: 200, body: 'ok' });
});

afterAll(() => server.close());

async function run(receiverYaml: string, templateFiles: Record<string, string> = {}): Promise<{ registry: Registry; posts: number }> {
  const registry = new Registry();
  const clock = new SystemClock();
  const before = server.posts.length;
  const config = loadConfig(`route: {receiver: r, group_wait: 10ms, group_interval: 1h}\nreceivers:\n  - name: r\n${receiverYaml.replace(/URL/g, server.url)}`);
  const tenant = new AlertRouterTenant(
    't1',
    { ...defaultTenantConfig(), externalUrl: 'http://am.example', retry: { initialBackoffMs: 20, maxBackoffMs: 50, multiplier: 1.5, jitter: 0 } },
    { config, templateFiles, fallback: false },
    { clock, metrics: new AlertRouterMetrics(registry), logger: nopLogger },
  );
  tenant.start();
  try {
    tenant.putAlerts([receiveAlert({ labels: { alertname: 'A' } }, clock.now(), 300_000)]);
    // Settles once no request has arrived for a while.
    let seen = -1;
    while (seen !== server.posts.length) {
      seen = server.posts.length;
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    await tenant.stop();
  }
  return { registry, posts: server.posts.length - before };
}

async function counter(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(`panoptes_alert_router_${name}`)!.get();
  return Object.fromEntries(metric.values.map((v) => [Object.values(v.labels).join('/'), v.value]));
}

describe('integrations in the pipeline', () => {
  it('retries a 5xx answer with backoff until the send succeeds, counting every attempt', async () => {
    answers = [{ status: 500 }, { status: 503 }];
    const { registry, posts } = await run('    slack_configs: [{api_url: URL/slack}]');
    expect(posts).toBe(3);
    expect(await counter(registry, 'notification_requests_total')).toEqual({ 't1/slack': 3 });
    expect(await counter(registry, 'notification_requests_failed_total')).toEqual({ 't1/slack/http_5xx': 2 });
    expect(await counter(registry, 'notifications_failed_total')).toEqual({});
  });

  it('does not retry a 4xx answer and counts the notification as failed', async () => {
    answers = [{ status: 404, body: 'no_service' }];
    const { registry, posts } = await run('    discord_configs: [{webhook_url: URL/discord}]');
    expect(posts).toBe(1);
    expect(await counter(registry, 'notifications_failed_total')).toEqual({ 't1/discord/http_4xx': 1 });
  });

  it('counts a template failure once, without retrying', async () => {
    const { registry, posts } = await run("    slack_configs: [{api_url: URL/slack, text: '{{ template \"missing\" . }}'}]");
    expect(posts).toBe(0);
    expect(await counter(registry, 'notifications_failed_total')).toEqual({ 't1/slack/template': 1 });
  });

  it('renders with the tenant’s template files', async () => {
    await run('    discord_configs: [{webhook_url: URL/discord}]', { 'x.tmpl': '{{ define "discord.default.title" }}custom {{ .GroupLabels }}{{ end }}' });
    expect(JSON.parse(server.posts[server.posts.length - 1].body)).toMatchObject({ embeds: [{ title: 'custom map[]' }] });
  });
});
