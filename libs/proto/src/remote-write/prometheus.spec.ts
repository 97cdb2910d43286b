import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTool, eventually } from '@panoptes/testing';
import { seriesHashOfLabels } from '../hash/series-hash';
import { decompressSnappy } from '../snappy/snappy';
import { materialise, protobufjsDecodeV1 } from '../testing/reference';
import { MetricType } from './decoded-write-request';
import { RemoteWriteDecoder } from './decoder';
import { negotiateRemoteWrite } from './negotiation';

interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

const JOB = 'panoptes-proto-test';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

// Compatibility with the real sender: Debian's Prometheus 2.42 scrapes itself every second and
// remote-writes (1.0) to a receiver in this test. Prometheus 2.42 cannot send remote write 2.0
// (`protobuf_message: io.prometheus.write.v2.Request` arrived in 2.54/3.0; 2.42 rejects the
// config key), so 2.0 is covered by the protobufjs cross-check only.
describeWithTool('prometheus', 'remote write 1.0 from a real Prometheus', (bin) => {
  const captured: Captured[] = [];
  let receiver: Server;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let log = '';
  const started = Date.now();

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        captured.push({ headers: req.headers, body: Buffer.concat(chunks), at: Date.now() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverPort = (receiver.address() as AddressInfo).port;
    const webPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'panoptes-proto-prom-'));
    const config = `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ${JOB}
    static_configs:
      - targets: ['127.0.0.1:${webPort}']
remote_write:
  - url: http://127.0.0.1:${receiverPort}/api/v1/push
    remote_timeout: 5s
    queue_config:
      batch_send_deadline: 500ms
      min_backoff: 100ms
      max_backoff: 1s
    metadata_config:
      send: true
      send_interval: 1s
`;
    writeFileSync(join(dir, 'prometheus.yml'), config);
    prometheus = spawn(
      bin,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${webPort}`,
        '--log.level=info',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr!.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-4000);
    });
  }, 10_000);

  afterAll(async () => {
    const child = prometheus;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }, 10_000);

  it('sends requests we decode exactly like protobufjs, with up and prometheus_build_info', async () => {
    const decoder = new RemoteWriteDecoder();
    const withSamples = () => captured.filter((c) => decoder.decode(decompressSnappy(c.body, 64 << 20), 1).sampleCount > 0);
    try {
      await eventually(() => withSamples().length >= 3 && captured.some((c) => decoder.decode(decompressSnappy(c.body, 64 << 20), 1).metadataCount > 0), 15_000, 200);
    } catch (err) {
      throw new Error(`${String(err)}; ${captured.length} requests received; Prometheus log tail:\n${log}`);
    }

    const names = new Set<string>();
    let sawUp = false;
    let sawMetadata = false;
    for (const c of captured) {
      expect(negotiateRemoteWrite(c.headers['content-type'], c.headers['content-encoding']).version).toBe(1);
      expect(c.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
      const body = decompressSnappy(c.body, 64 << 20);
      const d = decoder.decode(body, 1);

      // The same content as an independent decoder sees, sample for sample.
      const reference = protobufjsDecodeV1(body);
      expect(d.sampleCount).toBe(reference.timeseries.reduce((n, ts) => n + ts.samples.length, 0));
      expect(materialise(d)).toEqual(reference);

      expect(d.unsortedSeriesCount).toBe(0);
      expect(d.invalidUtf8Count).toBe(0);
      expect(d.histogramCount).toBe(0);
      for (let s = 0; s < d.seriesCount; s++) {
        const labels = d.seriesLabels(s);
        const h = seriesHashOfLabels(labels);
        expect([d.seriesHashHi[s], d.seriesHashLo[s]]).toEqual([h.hi, h.lo]);
        const name = d.metricName(s)!;
        names.add(name);
        if (name === 'up') {
          expect(labels).toEqual(expect.arrayContaining([{ name: 'job', value: JOB }]));
          sawUp = true;
        }
      }
      for (let i = 0; i < d.sampleCount; i++) {
        expect(d.timestamps[i]).toBeGreaterThan(started - 60_000);
        expect(d.timestamps[i]).toBeLessThan(Date.now() + 60_000);
      }
      for (let m = 0; m < d.metadataCount; m++) {
        const md = d.metadata(m);
        if (md.metricFamilyName === 'prometheus_build_info') {
          expect(md.type).toBe(MetricType.Gauge);
          expect(md.help).not.toBe('');
          sawMetadata = true;
        }
      }
    }
    expect(sawUp).toBe(true);
    expect(names).toContain('prometheus_build_info');
    expect(sawMetadata).toBe(true);
  }, 20_000);
});
