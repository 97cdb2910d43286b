import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTool } from '../tools';
import { type PrometheusConfigOptions, prometheusConfigYaml, promDuration } from './prometheus';
import { promtool } from './run-tool';

describeWithTool('promtool', 'promtool peer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'panoptes-promtool-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--version prints a version that parses', async () => {
    const result = await promtool(['--version']);
    expect(result.code).toBe(0);
    const match = /promtool, version (\d+)\.(\d+)\.(\d+)/.exec(result.stdout + result.stderr);
    expect(match).not.toBeNull();
    const [major, minor] = [Number(match![1]), Number(match![2])];
    expect(major).toBeGreaterThanOrEqual(2);
    expect(Number.isInteger(minor)).toBe(true);
  });

  const configs: { name: string; options: PrometheusConfigOptions }[] = [
    { name: 'defaults', options: {} },
    {
      name: 'scrape, remote write with headers and queue config, external labels',
      options: {
        globalScrapeIntervalMs: 1500,
        externalLabels: { cluster: 'c1', replica: 'a' },
        scrapeConfigs: [
          { jobName: 'node', targets: ['127.0.0.1:9100'], intervalMs: 1000, timeoutMs: 500, labels: { env: 'test' } },
          { jobName: 'self', targets: ['127.0.0.1:9090'], metricsPath: '/metrics', honorLabels: true },
        ],
        remoteWrite: [
          {
            url: 'http://127.0.0.1:8080/api/v1/push',
            name: 'panoptes',
            headers: { 'X-Scope-OrgID': 't1' },
            remoteTimeoutMs: 5000,
            sendExemplars: true,
            queueConfig: {
              capacity: 1000,
              minShards: 1,
              maxShards: 2,
              maxSamplesPerSend: 100,
              batchSendDeadlineMs: 250,
              minBackoffMs: 50,
              maxBackoffMs: 1000,
              retryOnHttp429: true,
            },
            metadataConfig: { send: true, sendIntervalMs: 10_000, maxSamplesPerSend: 100 },
            writeRelabelConfigs: [{ source_labels: ['__name__'], regex: 'go_.*', action: 'drop' }],
          },
        ],
      },
    },
  ];

  it.each(configs)('check config accepts the generated prometheus.yml: $name', async ({ name, options }) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yml`);
    writeFileSync(file, prometheusConfigYaml(options));
    const result = await promtool(['check', 'config', file]);
    expect({ code: result.code, output: result.stdout + result.stderr }).toMatchObject({ code: 0 });
  });

  it('check config rejects an unknown key with a non-zero exit code', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'global:\n  scrape_interval: 1s\nno_such_key: true\n');
    const result = await promtool(['check', 'config', file]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/no_such_key/);
  });

  it.each([
    { ms: 1000, want: '1s' },
    { ms: 250, want: '250ms' },
    { ms: 90_000, want: '90s' },
    { ms: 0, want: '0s' },
  ])('promDuration($ms) is $want', ({ ms, want }) => {
    expect(promDuration(ms)).toBe(want);
  });
});
