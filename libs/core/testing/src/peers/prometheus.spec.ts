import { describeWithTool } from '../tools';
import { runTool } from './run-tool';
import { eventually } from '../wait';
import { type HttpSink, failFirst, startRemoteWriteSink } from './http-sink';
import { type NodeExporterPeer, startNodeExporter } from './node-exporter';
import { stopAllPeers } from './peer-registry';
import { type PromLabels, vectorOf } from './prom-api-client';
import { type PrometheusPeer, type PrometheusQueueConfig, startPrometheus } from './prometheus';

/**
 * One real Prometheus 2.42 scrapes a real node exporter every second and remote-writes through
 * several independent queues: one to a recording sink (headers, bodies), one per retry case to a
 * sink that fails the first two requests with that case's status. Sharing the instance keeps the
 * suite short: Prometheus 2.42 applies static targets on its 5 s scrape-manager tick, so the
 * first samples leave about 6 s after start whatever the config says.
 */
const fastQueue: PrometheusQueueConfig = {
  batchSendDeadlineMs: 200,
  // One shard: requests of a queue are sequential, so a retry is the very next request.
  minShards: 1,
  maxShards: 1,
  minBackoffMs: 50,
  maxBackoffMs: 200,
};

// What Prometheus 2.42 really does (storage/remote/client.go): 5xx is recoverable and retried
// with backoff, resending the same bytes; 429 is retried only with retry_on_http_429: true,
// otherwise dropped like any other 4xx ("non-recoverable error" in its log).
const retryCases = [
  { name: 'HTTP 500 is retried with the identical body', status: 500, retryOnHttp429: false, retried: true },
  { name: 'HTTP 503 is retried with the identical body', status: 503, retryOnHttp429: false, retried: true },
  { name: 'HTTP 429 is dropped by default (retry_on_http_429: false)', status: 429, retryOnHttp429: false, retried: false },
  { name: 'HTTP 429 is retried with retry_on_http_429: true', status: 429, retryOnHttp429: true, retried: true },
  { name: 'HTTP 400 is dropped, never retried', status: 400, retryOnHttp429: false, retried: false },
];

const labelKey = (labels: PromLabels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

describeWithTool('prometheus', 'Prometheus peer', (prometheusPath) => {
  describeWithTool('prometheus-node-exporter', 'scraping node exporter and remote-writing', () => {
    let nodeExporter: NodeExporterPeer;
    let sink: HttpSink;
    let directSink: HttpSink;
    let retrySinks: HttpSink[];
    let prometheus: PrometheusPeer;

    beforeAll(async () => {
      nodeExporter = await startNodeExporter();
      sink = await startRemoteWriteSink();
      directSink = await startRemoteWriteSink();
      retrySinks = await Promise.all(retryCases.map((c) => startRemoteWriteSink({ respond: failFirst(2, c.status) })));
      prometheus = await startPrometheus({
        globalScrapeIntervalMs: 1000,
        scrapeConfigs: [{ jobName: 'node', targets: [nodeExporter.address], intervalMs: 1000 }],
        externalLabels: { cluster: 'peers-test' },
        remoteWrite: [
          {
            name: 'recorded',
            url: `${sink.url}/api/v1/push`,
            headers: { 'X-Scope-OrgID': 'tenant-a' },
            queueConfig: fastQueue,
            // Metadata goes in separate sample-less requests; off so every body carries samples.
            metadataConfig: { send: false },
          },
          {
            name: 'direct',
            url: `${directSink.url}/api/v1/push`,
            headers: { 'X-Scope-OrgID': 'tenant-a' },
            headerProxy: false,
            queueConfig: fastQueue,
            metadataConfig: { send: false },
          },
          ...retryCases.map((c, i) => ({
            name: `retry-${i}`,
            url: `${retrySinks[i].url}/api/v1/push`,
            queueConfig: { ...fastQueue, retryOnHttp429: c.retryOnHttp429 },
            metadataConfig: { send: false },
          })),
        ],
      });
    }, 30_000);

    afterAll(stopAllPeers);

    it('remote-writes snappy protobuf with the version header and the configured tenant header', async () => {
      const requests = await sink.waitFor(2, 20_000);
      for (const req of requests.slice(0, 2)) {
        expect(req.url).toBe('/api/v1/push');
        expect(req.headers).toMatchObject({
          'content-encoding': 'snappy',
          'content-type': 'application/x-protobuf',
          'x-prometheus-remote-write-version': '0.1.0',
          'x-scope-orgid': 'tenant-a',
        });
        expect(req.headers['user-agent']).toMatch(/^Prometheus\/2\./);
        expect(req.body.length).toBeGreaterThan(0);
      }
    }, 25_000);

    it('Debian prometheus 2.42.0+ds drops remote_write headers itself (prometheus#13030), hence the header proxy', async () => {
      const { stdout, stderr } = await runTool(prometheusPath, ['--version']);
      const debianBuild = /version 2\.4[0-5]\.\d+\+ds/.test(stdout + stderr);
      const [req] = await directSink.waitFor(1, 20_000);
      expect(req.headers['content-encoding']).toBe('snappy');
      expect(req.headers['x-scope-orgid']).toBe(debianBuild ? undefined : 'tenant-a');
    }, 25_000);

    it("query('up') reports the node exporter target up", async () => {
      const up = await eventually(async () => {
        const samples = vectorOf(await prometheus.query('up{job="node"}'));
        return samples.length > 0 ? samples : undefined;
      }, 15_000);
      expect(up).toHaveLength(1);
      expect(up[0].metric).toMatchObject({ job: 'node', instance: nodeExporter.address });
      expect(up[0].value[1]).toBe('1');
    }, 20_000);

    it.each(retryCases.map((c, index) => ({ ...c, index })))('$name', async ({ index, status, retried }) => {
      const [first, second, third] = await retrySinks[index].waitFor(3, 20_000);
      expect([first.status, second.status, third.status]).toEqual([status, status, 204]);
      if (retried) {
        expect(second.body.equals(first.body)).toBe(true);
        expect(third.body.equals(first.body)).toBe(true);
      } else {
        expect(second.body.equals(first.body)).toBe(false);
        expect(third.body.equals(second.body)).toBe(false);
        expect(third.body.equals(first.body)).toBe(false);
      }
    }, 25_000);

    it('a second Prometheus with --web.enable-remote-write-receiver ingests the captured bodies and serves the same series', async () => {
      const captured = (await sink.waitFor(2, 20_000)).slice(0, 3);
      const receiver = await startPrometheus({ remoteWriteReceiver: true });
      for (const req of captured) {
        const res = await fetch(receiver.remoteWriteUrl, {
          method: 'POST',
          headers: {
            'Content-Encoding': 'snappy',
            'Content-Type': 'application/x-protobuf',
            'X-Prometheus-Remote-Write-Version': '0.1.0',
          },
          body: new Uint8Array(req.body),
        });
        expect({ status: res.status, body: await res.text() }).toEqual({ status: 204, body: '' });
      }

      const received = await receiver.series('{job="node"}');
      expect(received.length).toBeGreaterThan(10);
      // External labels are added on the way out, so only the receiver's copies carry them.
      expect(received.every((s) => s.cluster === 'peers-test')).toBe(true);
      const source = new Set((await prometheus.series('{job="node"}')).map(labelKey));
      for (const { cluster: _cluster, ...labels } of received) expect(source.has(labelKey(labels))).toBe(true);

      const up = vectorOf(await receiver.query('up{job="node"}'));
      expect(up.map((s) => [s.metric.instance, s.value[1]])).toEqual([[nodeExporter.address, '1']]);
      await receiver.stop();
    }, 30_000);
  });
});
