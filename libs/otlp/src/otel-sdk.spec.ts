import { execFile } from 'node:child_process';
import { AddressInfo } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { IncomingHttpHeaders, Server, createServer } from 'node:http';
import { decodeOtlpMetricsHttpBody, encodeExportMetricsResponse } from './http-body';
import { OtlpExportMetricsRequest } from './model';
import { render } from './testing/fixtures';
import { defaultOtlpTranslationConfig } from './translate/config';
import { translateOtlpMetrics } from './translate/translator';

// Real client: the OpenTelemetry JS SDK exports to a local HTTP server in both OTLP/HTTP
// encodings, and the captured bodies must translate to exactly the series Prometheus 3 writes.
// The SDK packages are devDependencies; where they are not installed this suite skips loudly
// (and fails under PANOPTES_REQUIRE_OTEL_SDK=1).

const PACKAGES = [
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-metrics-otlp-proto',
  '@opentelemetry/exporter-metrics-otlp-http',
];

/** The first SDK package that cannot be resolved, or undefined when all are installed. */
function missingPackage(): string | undefined {
  for (const p of PACKAGES) {
    try {
      require.resolve(p);
    } catch {
      return p;
    }
  }
  return undefined;
}

/**
 * The client, run as a plain Node process: the SDK's HTTP transport loads `http` with a dynamic
 * `import()`, which Jest's module sandbox refuses. Arguments: receiver URL, `proto` or `json`.
 */
const CLIENT = `
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const resources = require('@opentelemetry/resources');
const [url, mode] = process.argv.slice(1);
const { OTLPMetricExporter } = require(mode === 'json' ? '@opentelemetry/exporter-metrics-otlp-http' : '@opentelemetry/exporter-metrics-otlp-proto');
const attrs = { 'service.name': 'svc', 'service.namespace': 'ns', 'service.instance.id': 'i-1', 'host.name': 'h1' };
const resource = resources.resourceFromAttributes ? resources.resourceFromAttributes(attrs) : new resources.Resource(attrs);
const exporter = new OTLPMetricExporter(mode === 'json' ? { url } : { url, compression: 'gzip' });
(async () => {
  const provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60000 })] });
  const meter = provider.getMeter('test-meter', '1.0.0');
  meter.createCounter('requests', { description: 'Requests served' }).add(3, { route: '/a' });
  const queue = meter.createUpDownCounter('queue.size', { unit: '{item}' });
  queue.add(5);
  queue.add(-2);
  meter.createGauge('temperature', { unit: 'Cel' }).record(21.5);
  const h = meter.createHistogram('http.server.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  for (const v of [0.05, 0.3, 2]) h.record(v);
  await provider.forceFlush();
  await provider.shutdown();
})().catch((err) => { console.error(err); process.exit(1); });
`;

function runClient(url: string, mode: 'proto' | 'json'): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CLIENT, url, mode], { cwd: REPO_ROOT, timeout: 20_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`OpenTelemetry SDK client failed: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}

const REPO_ROOT = resolvePath(__dirname, '../../..');

interface Capture {
  headers: IncomingHttpHeaders;
  body: Buffer;
  request: OtlpExportMetricsRequest;
}

/** A local OTLP/HTTP receiver that decodes every body with this library and answers success. */
async function startReceiver(captures: Capture[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      decodeOtlpMetricsHttpBody(body, { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'] }, 16 << 20).then(
        ({ encoding, request }) => {
          captures.push({ headers: req.headers, body, request });
          res.writeHead(200, { 'content-type': req.headers['content-type'] });
          res.end(Buffer.from(encodeExportMetricsResponse(encoding)));
        },
        (err: Error) => {
          res.writeHead(400);
          res.end(err.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`, server };
}

const ID = 'instance="i-1", job="ns/svc"';
const EXPECTED = [
  `requests_total{${ID}, route="/a"} 3`,
  `queue_size{${ID}} 3`,
  `temperature_celsius{${ID}} 21.5`,
  `http_server_duration_seconds_bucket{${ID}, le="0.1"} 1`,
  `http_server_duration_seconds_bucket{${ID}, le="0.5"} 2`,
  `http_server_duration_seconds_bucket{${ID}, le="1"} 2`,
  `http_server_duration_seconds_bucket{${ID}, le="+Inf"} 3`,
  `http_server_duration_seconds_sum{${ID}} 2.35`,
  `http_server_duration_seconds_count{${ID}} 3`,
].sort();

const missing = missingPackage();
if (missing !== undefined) {
  const message = `${missing} is not installed: the OpenTelemetry SDK end-to-end test is skipped. Run \`npm install\` (it is a devDependency).`;
  if (process.env.PANOPTES_REQUIRE_OTEL_SDK === '1') {
    describe('OpenTelemetry JS SDK export', () => {
      it('needs the OpenTelemetry SDK packages', () => {
        throw new Error(message);
      });
    });
  } else {
    console.warn(`SKIPPED: ${message}`);
    describe.skip(`OpenTelemetry JS SDK export (SKIPPED: ${missing} missing)`, () => {
      it('translates SDK exports', () => undefined);
    });
  }
} else {
  describe('OpenTelemetry JS SDK export [real client]', () => {
    let receiver: { url: string; server: Server };
    const captures: Capture[] = [];

    beforeAll(async () => {
      receiver = await startReceiver(captures);
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
    });
    beforeEach(() => {
      captures.length = 0;
    });

    it.each([
      ['protobuf, gzip-compressed', 'application/x-protobuf'],
      ['JSON', 'application/json'],
    ])('translates an OTLP/HTTP %s export to the series Prometheus 3 writes', async (_name, contentType) => {
      await runClient(receiver.url, contentType === 'application/json' ? 'json' : 'proto');

      expect(captures.length).toBeGreaterThanOrEqual(1);
      expect(captures[0].headers['content-type']).toContain(contentType);
      if (contentType === 'application/x-protobuf') expect(captures[0].headers['content-encoding']).toBe('gzip');

      // forceFlush() and shutdown() each export; the first export is checked exactly.
      for (const c of captures) expect(translateOtlpMetrics(c.request, defaultOtlpTranslationConfig()).errors).toEqual([]);
      const series = translateOtlpMetrics(captures[0].request, defaultOtlpTranslationConfig()).series;
      const lines = render(series).map((l) => l.replace(/ @\d+$/, ''));
      expect(lines.filter((l) => !l.startsWith('target_info'))).toEqual(EXPECTED);
      const targetInfo = lines.filter((l) => l.startsWith('target_info'));
      expect(targetInfo).toHaveLength(1);
      expect(targetInfo[0]).toMatch(/^target_info\{.*host_name="h1", instance="i-1", job="ns\/svc".*\} 1$/);
      expect(targetInfo[0]).not.toContain('service_name');

      const result = translateOtlpMetrics(captures[0].request, { ...defaultOtlpTranslationConfig(), promoteScopeMetadata: true });
      expect(render(result.series).find((l) => l.startsWith('requests_total'))).toContain('otel_scope_name="test-meter", otel_scope_version="1.0.0"');
      expect(result.rejectedDataPoints).toBe(0);
      expect(result.metadata).toContainEqual({ metricFamilyName: 'requests_total', type: 'counter', help: 'Requests served', unit: '' });
      expect(result.metadata).toContainEqual({ metricFamilyName: 'http_server_duration_seconds', type: 'histogram', help: '', unit: 'seconds' });
    });
  });
}
