import { IngesterClient } from '@panoptes/ingester-client';
import {
  HeaderProxy,
  type NodeExporterPeer,
  PromApiClient,
  type PrometheusPeer,
  eventually,
  matrixOf,
  promtool,
  startNodeExporter,
  startPrometheus,
  stopAllPeers,
  vectorOf,
} from '@panoptes/testing';
import {
  CounterWriter,
  type HeadSeries,
  OTLP_EXPECTED_SERIES,
  exportOtlpMetrics,
  pushRemoteWrite,
  readHead,
  seriesKey,
} from '../harness';
import { apiTime, awayFromSamples, compareQuery, diffPoints, postForm, resultPoints, type SideBySideQuery } from './compare';
import { describeTopology } from './describe-topology';
import { AckedSamples, failureSummary } from './no-loss';
import { type IngestMode, type IngesterNode, QUERIERS, Topology } from './topology';

const PROM_TENANT = 'e2e-prometheus';
const OTLP_TENANT = 'e2e-otlp';
const BLOCKS_TENANT = 'e2e-blocks';
const KILL_TENANT = 'e2e-kill';
const RECORDED = 'e2e:node_cpu_seconds:count_by_mode';
const ALERT = 'E2eNodeExporterUp';

/**
 * The microservices topology suite for one ingest mode: a happy path with real clients
 * (Prometheus scraping node exporter and Panoptes, the OpenTelemetry JS SDK, promtool, Grafana's
 * calls), the ruler and the alert-router, blocks through MinIO and the compactor; then kill -9 of
 * an ingester under a steady write load. One topology serves the whole suite (starting one costs
 * 10 Node processes), so the tests run in order and later ones see earlier ones' data.
 */
export function topologySuite(mode: IngestMode, options: { fullOnly: boolean }): void {
  describeTopology(mode, `microservices topology as separate processes, ${mode} ingest mode`, options, (services) => {
    let topology: Topology | undefined;
    let failed = false;
    let disposed = false;

    /** `it` that marks the suite failed (to keep the process logs) when its body throws. */
    const step = (name: string, fn: (t: Topology) => Promise<void>, timeoutMs: number) =>
      it(
        name,
        async () => {
          try {
            if (!topology) throw new Error('the topology did not start (see the beforeAll error)');
            await fn(topology);
          } catch (err) {
            failed = true;
            throw err;
          }
        },
        timeoutMs,
      );

    beforeAll(async () => {
      topology = await Topology.start({ ingestMode: mode, services });
      const s = topology.startup;
      const slowest = Object.entries(s.readyMs).sort((a, b) => b[1] - a[1])[0];
      console.log(
        `topology (${mode}): 10 processes ready ${s.allReadyMs} ms after spawn (slowest ${slowest[0]} ${slowest[1]} ms), ` +
          `taking writes and queries after ${s.usableMs} ms; run ${topology.runId}`,
      );
    }, 150_000);

    afterAll(async () => {
      if (topology && failed) {
        const logs = topology.dumpLogs();
        console.error(`topology (${mode}) failed; every process's output is in ${logs}\n${topology.outputTails(25)}`);
      }
      if (topology && !disposed) await topology.dispose();
      await stopAllPeers();
    }, 60_000);

    describe('happy path', () => {
      let nodeExporter: NodeExporterPeer | undefined;
      let prometheus: PrometheusPeer | undefined;
      let panoptes: PromApiClient;
      /** When the blocks test flushed the ingesters (ms). */
      let flushedAt = 0;

      beforeAll(async () => {
        if (!topology) return;
        const t = topology;
        nodeExporter = await startNodeExporter();
        prometheus = await startPrometheus({
          globalScrapeIntervalMs: 1000,
          scrapeConfigs: [
            { jobName: 'node', targets: [nodeExporter.address] },
            // Panoptes's own metrics, as the chart's ServiceMonitors have them scraped: histograms too.
            { jobName: 'panoptes', targets: [`127.0.0.1:${t.server('distributor').httpPort}`, `127.0.0.1:${t.server('query-frontend').httpPort}`] },
          ],
          remoteWrite: [
            {
              url: `${t.distributorUrl}/api/v1/push`,
              headers: { 'X-Scope-OrgID': PROM_TENANT },
              queueConfig: { batchSendDeadlineMs: 500, minBackoffMs: 100, maxBackoffMs: 1000 },
              // Metadata every 2 s (default 1m, the first send a minute after start) for the metadata test.
              metadataConfig: { send: true, sendIntervalMs: 2000 },
            },
          ],
        });
        panoptes = new PromApiClient(`${t.frontendUrl}/prometheus`, { headers: { 'X-Scope-OrgID': PROM_TENANT } });
      }, 60_000);

      afterAll(async () => {
        await prometheus?.stop();
        await nodeExporter?.stop();
      });

      step(
        'Prometheus scraping node exporter remote-writes through the distributor, and the query-frontend answers instant and range queries exactly as Prometheus answers from its own TSDB',
        async () => {
          const prom = prometheus!;
          await eventually(async () => vectorOf(await panoptes.query('up{job="node"}')).length === 1, 40_000, 500);
          const { atMs, startMs } = await evaluationWindow(prom);
          const queries: SideBySideQuery[] = [
            ...[
              'up',
              'node_load1',
              'count by (job) ({job=~"node|panoptes"})',
              'sum by (mode) (rate(node_cpu_seconds_total[10s]))',
              'max by (device) (node_network_receive_bytes_total)',
              'node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes',
              'histogram_quantile(0.9, sum by (le) (rate(panoptes_distributor_push_duration_seconds_bucket[10s])))',
              'sum by (job) (rate(panoptes_process_cpu_seconds_total[10s]))',
              // Raw samples (a range selector at an instant): the stored data itself, point for point.
              'node_cpu_seconds_total[10s]',
              'panoptes_distributor_push_duration_seconds_bucket[10s]',
            ].map((expr) => ({ expr, atMs })),
            ...['rate(node_cpu_seconds_total{mode="idle"}[5s])', 'sum(up)', 'node_memory_MemAvailable_bytes'].map((expr) => ({ expr, startMs, endMs: atMs, stepMs: 1000 })),
          ];
          // Remote write lags the scrape by up to a second or two: compare until both agree.
          let diffs: string[] = [];
          await eventually(
            async () => {
              diffs = (await Promise.all(queries.map((q) => compareQuery(prom, panoptes, q)))).flat();
              return diffs.length === 0;
            },
            30_000,
            1000,
          ).catch(() => undefined);
          expect(diffs).toEqual([]);
          console.log(`topology (${mode}): ${queries.length} queries answered as Prometheus does at ${new Date(atMs).toISOString()}`);
        },
        90_000,
      );

      step(
        "Grafana's Prometheus data source calls (POST form-encoded query, query_range, labels, series; GET label values) answer through the query-frontend as Prometheus answers them",
        async (t) => {
          const prom = prometheus!;
          const { atMs, startMs } = await evaluationWindow(prom);
          const base = `${t.frontendUrl}/prometheus`;
          const range: [string, string][] = [
            ['start', apiTime(startMs)],
            ['end', apiTime(atMs)],
          ];
          const qr = await postForm(base, '/api/v1/query_range', [['query', 'sum by (mode) (rate(node_cpu_seconds_total[5s]))'], ...range, ['step', '2']], PROM_TENANT);
          expect({ status: qr.status, json: qr.contentType.startsWith('application/json') }).toEqual({ status: 200, json: true });
          const wantRange = resultPoints(await prom.queryRange('sum by (mode) (rate(node_cpu_seconds_total[5s]))', startMs, atMs, 2000));
          const gotRange = resultPoints((qr.body as { data: Parameters<typeof resultPoints>[0] }).data);
          expect(wantRange.size).toBeGreaterThan(0);
          expect(diffPoints(wantRange, gotRange)).toEqual([]);

          const q = await postForm(base, '/api/v1/query', [['query', 'count(up)'], ['time', apiTime(atMs)]], PROM_TENANT);
          expect(q.body).toMatchObject({ status: 'success', data: { resultType: 'vector', result: [{ value: [atMs / 1000, '3'] }] } });

          // Restricted to the node exporter's series, a set fixed from its first scrape: Prometheus's
          // head answers label questions from every series it holds whatever start and end say,
          // and Panoptes's own metrics grow new series (label values) while the test runs.
          const node: [string, string][] = [['match[]', '{job="node"}'], ...range];
          const labels = await postForm(base, '/api/v1/labels', node, PROM_TENANT);
          expect(labels.status).toBe(200);
          expect((labels.body as { data: string[] }).data).toEqual(await prom.get<string[]>('/api/v1/labels', node));

          const names = await fetch(`${base}/api/v1/label/__name__/values?${new URLSearchParams(node)}`, { headers: { 'X-Scope-OrgID': PROM_TENANT } });
          expect(names.status).toBe(200);
          expect(((await names.json()) as { data: string[] }).data).toEqual(await prom.get<string[]>('/api/v1/label/__name__/values', node));

          const series = await postForm(base, '/api/v1/series', [['match[]', 'up'], ['match[]', 'node_load1'], ...range], PROM_TENANT);
          expect(series.status).toBe(200);
          const keys = (list: Record<string, string>[]) => list.map((l) => seriesKey(l)).sort();
          expect(keys((series.body as { data: Record<string, string>[] }).data)).toEqual(keys(await prom.series('up', 'node_load1')));
        },
        30_000,
      );

      step(
        "GET /api/v1/metadata through the query-frontend answers, for every node exporter metric and a Panoptes histogram, what Prometheus answers from its scrapes (metadata sent in remote write 1.0, kept by the ingesters)",
        async (t) => {
          const prom = prometheus!;
          const base = `${t.frontendUrl}/prometheus`;
          // The node exporter's metric families, from Prometheus's target metadata: node-only names,
          // so Prometheus's /api/v1/metadata entries for them come from that one target.
          // Waited for (after both targets' first scrapes) so the test also runs alone (-t metadata).
          type Entries = Record<string, { type: string; help: string; unit: string }[]>;
          let metrics: string[] = [];
          await eventually(
            async () => {
              const nodeTarget = await prom.get<{ metric: string }[]>('/api/v1/targets/metadata', [['match_target', '{job="node"}']]);
              metrics = [...new Set(nodeTarget.map((m) => m.metric)), 'panoptes_distributor_push_duration_seconds'].sort();
              const all = await prom.get<Entries>('/api/v1/metadata');
              return ['go_gc_duration_seconds', 'node_cpu_seconds_total', 'node_load1', 'panoptes_distributor_push_duration_seconds'].every((m) => m in all);
            },
            20_000,
            500,
          ).catch(() => undefined);
          expect(metrics).toEqual(expect.arrayContaining(['go_gc_duration_seconds', 'node_cpu_seconds_total', 'node_load1']));
          const pick = (data: Entries): Entries =>
            Object.fromEntries(metrics.map((m) => [m, [...(data[m] ?? [])].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))]));
          const get = async (params: [string, string][] = []): Promise<{ status: number; body: { status: string; data: Entries } }> => {
            const res = await fetch(`${base}/api/v1/metadata?${new URLSearchParams(params)}`, { headers: { 'X-Scope-OrgID': PROM_TENANT } });
            return { status: res.status, body: (await res.json()) as { status: string; data: Entries } };
          };
          const want = pick(await prom.get<Entries>('/api/v1/metadata'));
          expect(want).toMatchObject({
            node_load1: [{ type: 'gauge', unit: '' }],
            node_cpu_seconds_total: [{ type: 'counter' }],
            go_gc_duration_seconds: [{ type: 'summary' }],
            panoptes_distributor_push_duration_seconds: [{ type: 'histogram' }],
          });
          // Prometheus sends metadata every 2 s (metadataConfig above): wait for a send to arrive.
          let got: Entries = {};
          await eventually(
            async () => {
              const res = await get();
              got = res.status === 200 ? pick(res.body.data) : {};
              return JSON.stringify(got) === JSON.stringify(want);
            },
            20_000,
            500,
          ).catch(() => undefined);
          expect(got).toEqual(want);

          // The parameters: one metric, limits.
          const one = await get([['metric', 'node_cpu_seconds_total']]);
          expect(one).toEqual({ status: 200, body: { status: 'success', data: await prom.get<Entries>('/api/v1/metadata', [['metric', 'node_cpu_seconds_total']]) } });
          const limited = await get([['limit', '3'], ['limit_per_metric', '1']]);
          expect(limited.status).toBe(200);
          expect(Object.values(limited.body.data).map((entries) => entries.length)).toEqual([1, 1, 1]);
          console.log(`topology (${mode}): metadata of ${metrics.length} metrics as Prometheus answers it`);
        },
        45_000,
      );

      step(
        'promtool (Prometheus 2.42) queries through the query-frontend: instant and series through a tenant-header proxy, range with --header',
        async (t) => {
          const prom = prometheus!;
          const { atMs, startMs } = await evaluationWindow(prom);
          const proxy = await HeaderProxy.start(t.frontendUrl, { 'X-Scope-OrgID': PROM_TENANT }, { keepPath: true });
          try {
            const server = `${proxy.url}/prometheus`;
            const instant = await promtool(['query', 'instant', '-o', 'json', `--time=${apiTime(atMs)}`, server, 'node_load1']);
            expect({ code: instant.code, stderr: instant.stderr }).toEqual({ code: 0, stderr: '' });
            const got = JSON.parse(instant.stdout) as { metric: Record<string, string>; value: [number, string] }[];
            const want = vectorOf(await prom.query('node_load1', atMs));
            expect(want.length).toBe(1);
            expect(got.map((s) => [seriesKey(s.metric), s.value[1]])).toEqual(want.map((s) => [seriesKey(s.metric), s.value[1]]));

            const rangeArgs = ['query', 'range', '-o', 'json', `--header=X-Scope-OrgID=${PROM_TENANT}`, `--start=${apiTime(startMs)}`, `--end=${apiTime(atMs)}`, '--step=1s'];
            const ranged = await promtool([...rangeArgs, `${t.frontendUrl}/prometheus`, 'sum(up)']);
            expect({ code: ranged.code, stderr: ranged.stderr }).toEqual({ code: 0, stderr: '' });
            const gotRange = JSON.parse(ranged.stdout) as { values: [number, string][] }[];
            expect(gotRange.length).toBe(1);
            expect(gotRange.map((s) => s.values)).toEqual((await prom.queryRange('sum(up)', startMs, atMs, 1000)).result.map((s) => (s as { values: unknown }).values));

            const series = await promtool(['query', 'series', `--match=up{job="node"}`, `--start=${apiTime(startMs)}`, `--end=${apiTime(atMs)}`, server]);
            expect({ code: series.code, stderr: series.stderr }).toEqual({ code: 0, stderr: '' });
            expect(series.stdout).toContain(`instance="${nodeExporter!.address}"`);
          } finally {
            await proxy.stop();
          }
        },
        30_000,
      );

      step(
        'metrics exported over OTLP/HTTP by the OpenTelemetry JS SDK are queryable through the query-frontend under their Prometheus names',
        async (t) => {
          await exportOtlpMetrics(t.distributorUrl, OTLP_TENANT);
          const api = new PromApiClient(`${t.frontendUrl}/prometheus`, { headers: { 'X-Scope-OrgID': OTLP_TENANT } });
          let got: [string, string | undefined][] = [];
          await eventually(
            async () => {
              got = await Promise.all(OTLP_EXPECTED_SERIES.map(async (e) => [e.selector, vectorOf(await api.query(e.selector))[0]?.value[1]] as [string, string | undefined]));
              return got.every(([, v]) => v !== undefined);
            },
            15_000,
            250,
          ).catch(() => undefined);
          expect(got).toEqual(OTLP_EXPECTED_SERIES.map((e) => [e.selector, String(e.value)]));
        },
        45_000,
      );

      step(
        'the ruler evaluates a recording rule over the remote-written data and writes it through the distributor, and its alert reaches the alert-router',
        async (t) => {
          const group = [
            'name: e2e-rules',
            'interval: 1s',
            'rules:',
            `  - record: ${RECORDED}`,
            '    expr: count by (mode) (node_cpu_seconds_total)',
            `  - alert: ${ALERT}`,
            '    expr: count(up{job="node"} == 1) >= 1',
            '    labels: {severity: none}',
            '    annotations: {summary: node exporter is scraped}',
          ].join('\n');
          const put = await fetch(`${t.rulerUrl}/prometheus/config/v1/rules/e2e`, {
            method: 'POST',
            headers: { 'X-Scope-OrgID': PROM_TENANT, 'Content-Type': 'application/yaml' },
            body: group,
          });
          expect(put.status).toBe(202);

          // The recorded series, read back through the frontend, equals the expression on Prometheus.
          const want = vectorOf(await prometheus!.query('count by (mode) (node_cpu_seconds_total)')).map((s) => [s.metric.mode, s.value[1]]);
          let got: (string | undefined)[][] = [];
          await eventually(
            async () => {
              got = vectorOf(await panoptes.query(RECORDED)).map((s) => [s.metric.mode, s.value[1]]);
              return got.length === want.length;
            },
            20_000,
            250,
          ).catch(() => undefined);
          expect(got.sort()).toEqual(want.sort());

          const alerts = async () => {
            const res = await fetch(`${t.alertRouterUrl}/alertmanager/api/v2/alerts`, { headers: { 'X-Scope-OrgID': PROM_TENANT } });
            return (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
          };
          const firing = await eventually(async () => (await alerts()).find((a) => a.labels.alertname === ALERT), 20_000, 250);
          expect(firing).toMatchObject({ labels: { alertname: ALERT, severity: 'none' }, status: { state: 'active' } });
          // ALERTS went through the distributor too.
          await eventually(async () => vectorOf(await panoptes.query(`ALERTS{alertname="${ALERT}",alertstate="firing"}`)).length === 1, 10_000, 250);
        },
        60_000,
      );

      step(
        'blocks flushed by the three ingesters land in MinIO, the compactor merges the replicas into one block and indexes the bucket, and queries read the samples exactly once from blocks and ingesters together',
        async (t) => {
          const series = 10;
          const samples = 30;
          const t0 = Date.now() - 60_000;
          const res = await pushRemoteWrite(t.distributorUrl, BLOCKS_TENANT, {
            timeseries: Array.from({ length: series }, (_, k) => ({
              labels: [
                { name: '__name__', value: 'e2e_blocks_metric' },
                { name: 'k', value: String(k) },
              ],
              samples: Array.from({ length: samples }, (_, j) => ({ value: k * 1000 + j, timestamp: t0 + j * 2000 })),
            })),
          });
          expect(res).toMatchObject({ status: 204 });
          // Every ingester holds them (Kafka mode applies asynchronously) before it cuts its block.
          for (const name of ['ingester-zone-a', 'ingester-zone-b', 'ingester-zone-c'] as const) {
            const client = new IngesterClient(t.server(name).grpcAddress);
            try {
              await eventually(async () => countSamples(await readHead(client, BLOCKS_TENANT)) === series * samples, 15_000, 100);
            } finally {
              client.close();
            }
          }
          flushedAt = Date.now();
          // All three at once, as a rollout would: the compactor may still pick up two copies before
          // the third lands; it merges the late one into the compacted block on a later cycle.
          await Promise.all(
            (['ingester-zone-a', 'ingester-zone-b', 'ingester-zone-c'] as const).map(async (name) => {
              const flush = await fetch(`${t.server(name).url}/ingester/flush`, { method: 'POST' });
              expect({ name, status: flush.status }).toEqual({ name, status: 201 });
              expect(((await flush.json()) as { blocksShipped: number }).blocksShipped).toBeGreaterThanOrEqual(1);
            }),
          );

          interface Meta {
            ulid: string;
            stats: { numSamples: number; numSeries: number };
            compaction: { level: number; sources: string[] };
          }
          let compacted: Meta | undefined;
          let keys: string[] = [];
          await eventually(
            async () => {
              keys = await t.resources.listObjects(`${BLOCKS_TENANT}/`);
              if (!keys.includes(`${BLOCKS_TENANT}/bucket-index.json.gz`)) return false;
              for (const key of keys.filter((k) => k.endsWith('/meta.json'))) {
                const meta = JSON.parse(await t.resources.getText(key)) as Meta;
                if (meta.compaction.level >= 2 && meta.compaction.sources.length === 3) compacted = meta;
              }
              return compacted !== undefined;
            },
            60_000,
            1000,
          ).catch(() => undefined);
          expect({ bucketIndex: keys.includes(`${BLOCKS_TENANT}/bucket-index.json.gz`), compacted: compacted !== undefined }).toEqual({ bucketIndex: true, compacted: true });
          // The three ingesters' copies merged: every sample once.
          expect({ sources: compacted!.compaction.sources.length, ...compacted!.stats }).toMatchObject({ sources: 3, numSeries: series, numSamples: series * samples });

          const blocksSeriesBefore = await querierBlockSeries(t);
          const api = new PromApiClient(`${t.frontendUrl}/prometheus`, { headers: { 'X-Scope-OrgID': BLOCKS_TENANT } });
          const raw = resultPoints(await api.query(`e2e_blocks_metric[2m]`, t0 + (samples - 1) * 2000));
          expect(raw.size).toBe(series);
          for (let k = 0; k < series; k++) {
            const points = raw.get(seriesKey({ __name__: 'e2e_blocks_metric', k: String(k) }));
            expect([...(points ?? new Map<number, string>())]).toEqual(Array.from({ length: samples }, (_, j) => [t0 + j * 2000, String(k * 1000 + j)]));
          }
          // The answer came from the blocks as well as from the ingesters.
          expect(await querierBlockSeries(t)).toBeGreaterThan(blocksSeriesBefore);
        },
        120_000,
      );

      step(
        'after /ingester/flush the ingesters accept newer samples of the flushed tenant (the flush cut up to the newest sample), and queries return the flushed and the new samples exactly once',
        async (t) => {
          const series = 10;
          const flushed = 30;
          const now = Date.now();
          expect(now).toBeGreaterThan(flushedAt);
          const res = await pushRemoteWrite(t.distributorUrl, BLOCKS_TENANT, {
            timeseries: [
              { labels: [{ name: '__name__', value: 'e2e_blocks_after_flush' }], samples: [{ value: 1, timestamp: now }] },
              // The flushed series themselves: one more sample each.
              ...Array.from({ length: series }, (_, k) => ({
                labels: [
                  { name: '__name__', value: 'e2e_blocks_metric' },
                  { name: 'k', value: String(k) },
                ],
                samples: [{ value: k * 1000 + flushed, timestamp: now }],
              })),
            ],
          });
          expect(res).toMatchObject({ status: 204 });
          // Every ingester applies them (Kafka mode: asynchronously; before the fix they were dropped).
          for (const name of ['ingester-zone-a', 'ingester-zone-b', 'ingester-zone-c'] as const) {
            const client = new IngesterClient(t.server(name).grpcAddress);
            try {
              let held = 0;
              await eventually(
                async () => {
                  held = countSamples(await readHead(client, BLOCKS_TENANT, { matchers: [{ type: '=', name: '__name__', value: 'e2e_blocks_after_flush' }] }));
                  return held === 1;
                },
                15_000,
                100,
              ).catch(() => undefined);
              expect({ name, held }).toEqual({ name, held: 1 });
            } finally {
              client.close();
            }
          }
          const api = new PromApiClient(`${t.frontendUrl}/prometheus`, { headers: { 'X-Scope-OrgID': BLOCKS_TENANT } });
          expect(vectorOf(await api.query('e2e_blocks_after_flush', now)).map((s) => s.value[1])).toEqual(['1']);
          // Flushed samples (in blocks and still in the heads) and the new one, each exactly once.
          const raw = matrixOf(await api.query('e2e_blocks_metric[10m]', now));
          expect(raw).toHaveLength(series);
          for (const s of raw) {
            const k = Number(s.metric.k);
            const times = s.values.map(([ts]) => Math.round(ts * 1000));
            expect({ k, values: s.values.map(([, v]) => v), last: times[times.length - 1], increasing: times.every((ts, i) => i === 0 || ts > times[i - 1]) }).toEqual({
              k,
              values: Array.from({ length: flushed + 1 }, (_, j) => String(k * 1000 + j)),
              last: now,
              increasing: true,
            });
          }
        },
        30_000,
      );
    });

    describe('kill -9 of one ingester during ingestion', () => {
      step(
        `keeps every acknowledged sample exactly once; queries stay correct while it is down and after it restarts (${mode === 'kafka' ? 'the other zones answer, the restarted one replays its partition' : 'RF=3: the other zones answer'})`,
        async (t) => {
          await killScenario(t, mode);
        },
        150_000,
      );
    });

    it('stops every process cleanly on SIGTERM and removes the run from Redis, MinIO and Kafka', async () => {
      if (!topology) throw new Error('the topology did not start (see the beforeAll error)');
      if (failed) topology.dumpLogs();
      const problems = await topology.dispose();
      disposed = true;
      expect(problems).toEqual([]);
    }, 60_000);
  });
}

/**
 * An evaluation time 2 s in the past (remote write has delivered it), clear of every scrape's
 * timestamp modulo 1 s; and the start of a range window of at most 20 s. Every window the
 * queries use ([10s] at most) lies after the first sample of every series: where a window starts
 * before a young counter's first sample, Prometheus 2.42 and 3 (and Panoptes) extrapolate rate()
 * differently (see read-path/known-differences.ts, "rate extrapolation to zero").
 */
async function evaluationWindow(prom: PrometheusPeer): Promise<{ atMs: number; startMs: number }> {
  const marginMs = 12_000;
  for (;;) {
    const stamps = vectorOf(await prom.query('timestamp(up)')).map((s) => Math.round(Number(s.value[1]) * 1000));
    const atMs = awayFromSamples(Date.now() - 2000, stamps);
    // Each target's first scrape; the series it exposes (histograms after their first
    // observation) appear at most a few scrapes later, inside the margin.
    const raw = matrixOf(await prom.query('up[10m]', atMs));
    const firstSampleMs = raw.length >= 3 ? Math.max(...raw.map((s) => Math.round(s.values[0][0] * 1000))) : Infinity;
    if (atMs - firstSampleMs >= marginMs + 3000) {
      const startMs = atMs - Math.min(20, Math.floor((atMs - firstSampleMs - marginMs) / 1000)) * 1000;
      return { atMs, startMs };
    }
    await sleep(500);
  }
}

function countSamples(head: Map<string, HeadSeries>): number {
  return [...head.values()].reduce((n, s) => n + s.ts.length, 0);
}

/** Series the two queriers have read from blocks so far (`panoptes_querier_fetched_series_total{source="blocks"}`). */
async function querierBlockSeries(t: Topology): Promise<number> {
  let total = 0;
  for (const name of QUERIERS) {
    const text = await (await fetch(`${t.server(name).url}/metrics`)).text();
    const m = /^panoptes_querier_fetched_series_total\{source="blocks"\} (\S+)$/m.exec(text);
    total += m ? Number(m[1]) : 0;
  }
  return total;
}

const KILL_METRIC = 'e2e_topology_kill_counter';
const KILL_SERIES = 20;
const KILLED: IngesterNode = 'ingester-zone-b';

async function killScenario(t: Topology, mode: IngestMode): Promise<void> {
  const writer = new CounterWriter({ baseUrl: t.distributorUrl, tenant: KILL_TENANT, metric: KILL_METRIC, series: KILL_SERIES });
  const api = new PromApiClient(`${t.frontendUrl}/prometheus`, { headers: { 'X-Scope-OrgID': KILL_TENANT }, timeoutMs: 20_000 });
  const check = new AckedSamples(writer, api, KILL_METRIC, KILL_SERIES);

  writer.start();
  const client = new IngesterClient(t.server(KILLED).grpcAddress);
  try {
    await sleep(3000);
    const killedAt = Date.now();
    const sentBeforeKill = writer.sent.length;
    await t.kill(KILLED);

    // Down: writes keep being acknowledged (Kafka: the log takes them; classic: 2 of 3 replicas
    // are a quorum), and the frontend answers every acknowledged sample from the other zones.
    await sleep(2000);
    const cut = writer.acked[writer.acked.length - 1];
    expect(cut.t).toBeGreaterThan(killedAt);
    expect({ whileDown: await check.missingEventually(cut.t, 15_000) }).toEqual({ whileDown: [] });
    const outageAcks = writer.acked.filter((r) => r.answeredAt > killedAt).length;

    const restartMs = await t.restart(KILLED);
    const restartedAt = Date.now();
    await sleep(3000);
    await writer.stop();

    const sent = writer.sent;
    const acked = writer.acked;
    expect(sent.filter((r) => r.acked && r.answeredAt > restartedAt).length).toBeGreaterThan(0);

    // After: every acknowledged sample exactly once through the frontend; nothing never sent.
    const { storedUnacked } = await check.checkAll(20_000);

    // The restarted ingester itself: in Kafka mode it replayed its partition and holds every
    // acknowledged sample, once; in classic mode its WAL gave back what it had before the kill
    // (what it missed while down lives on the other two replicas).
    let head = new Map<string, HeadSeries>();
    if (mode === 'kafka') {
      await eventually(async () => {
        head = await readHead(client, KILL_TENANT);
        return [...head.values()].every((s) => acked.every((r) => s.ts.includes(r.t))) && head.size === KILL_SERIES;
      }, 20_000, 500).catch(() => undefined);
      const lacking = [...head.values()].flatMap((s) => acked.filter((r) => !s.ts.includes(r.t)).map((r) => `${seriesKey(s.labels)}@${r.t}`));
      expect({ series: head.size, lacking: lacking.slice(0, 10) }).toEqual({ series: KILL_SERIES, lacking: [] });
    } else {
      head = await readHead(client, KILL_TENANT);
      expect(head.size).toBe(KILL_SERIES);
      for (const s of head.values()) expect(s.ts.filter((ts) => ts < killedAt).length).toBeGreaterThan(0);
    }
    const duplicates = [...head.values()].flatMap((s) => s.duplicates.map((d) => `${seriesKey(s.labels)}@${d.t}`));
    expect(duplicates).toEqual([]);

    console.log(
      [
        `topology (${mode}) kill -9 of ${KILLED}: ${sent.length} requests x ${KILL_SERIES} series, ${acked.length} acknowledged; killed at request #${sentBeforeKill}`,
        `  acknowledged while it was down: ${outageAcks}; not acknowledged: ${failureSummary(sent)}; stored though not acknowledged: ${storedUnacked}`,
        `  restarted ready after ${restartMs} ms; its head after the run: ${countSamples(head)} samples`,
      ].join('\n'),
    );
  } finally {
    await writer.stop();
    client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
