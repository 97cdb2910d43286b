import { execFile } from 'node:child_process';
import { ROOT } from '../process';

/** The OpenTelemetry JS SDK packages the OTLP client needs (devDependencies). */
export const OTEL_SDK_PACKAGES = ['@opentelemetry/sdk-metrics', '@opentelemetry/resources', '@opentelemetry/exporter-metrics-otlp-proto'];

/** The first SDK package that cannot be resolved, or undefined when all are installed. */
export function missingOtelSdkPackage(): string | undefined {
  for (const p of OTEL_SDK_PACKAGES) {
    try {
      require.resolve(p);
    } catch {
      return p;
    }
  }
  return undefined;
}

/**
 * What `exportOtlpMetrics` sends, once, and the series Prometheus-compatible storage must then
 * hold (names and labels as Prometheus 3 translates OTLP: `job` = namespace/name, `instance` =
 * service.instance.id, unit and `_total` suffixes, histogram buckets).
 */
export const OTLP_EXPECTED_SERIES: readonly { selector: string; value: number }[] = [
  { selector: 'e2e_otlp_requests_total{job="e2e/otlp-client",instance="i-1",route="/a"}', value: 7 },
  { selector: 'e2e_otlp_temperature_celsius{job="e2e/otlp-client",instance="i-1"}', value: 21.5 },
  { selector: 'e2e_otlp_duration_seconds_bucket{job="e2e/otlp-client",instance="i-1",le="0.5"}', value: 2 },
  { selector: 'e2e_otlp_duration_seconds_bucket{job="e2e/otlp-client",instance="i-1",le="+Inf"}', value: 3 },
  { selector: 'e2e_otlp_duration_seconds_count{job="e2e/otlp-client",instance="i-1"}', value: 3 },
  { selector: 'e2e_otlp_duration_seconds_sum{job="e2e/otlp-client",instance="i-1"}', value: 2.35 },
];

// Run as a plain Node process: the SDK's HTTP transport loads `http` with a dynamic import(),
// which Jest's module sandbox refuses. Arguments: OTLP metrics URL, tenant.
const CLIENT = `
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const resources = require('@opentelemetry/resources');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
const [url, tenant] = process.argv.slice(1);
const attrs = { 'service.name': 'otlp-client', 'service.namespace': 'e2e', 'service.instance.id': 'i-1' };
const resource = resources.resourceFromAttributes ? resources.resourceFromAttributes(attrs) : new resources.Resource(attrs);
const exporter = new OTLPMetricExporter({ url, compression: 'gzip', headers: { 'X-Scope-OrgID': tenant } });
(async () => {
  const provider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60000 })] });
  const meter = provider.getMeter('panoptes-e2e', '1.0.0');
  meter.createCounter('e2e.otlp.requests', { description: 'Requests served' }).add(7, { route: '/a' });
  meter.createGauge('e2e.otlp.temperature', { unit: 'Cel' }).record(21.5);
  const h = meter.createHistogram('e2e.otlp.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  for (const v of [0.05, 0.3, 2]) h.record(v);
  await provider.forceFlush();
  await provider.shutdown();
})().catch((err) => { console.error(err); process.exit(1); });
`;

/**
 * Exports one batch of metrics with the OpenTelemetry JS SDK (OTLP/HTTP protobuf, gzip) to
 * `<distributorUrl>/otlp/v1/metrics` for `tenant`; rejects with the SDK's output when the
 * export fails.
 */
export function exportOtlpMetrics(distributorUrl: string, tenant: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', CLIENT, `${distributorUrl}/otlp/v1/metrics`, tenant], { cwd: ROOT, timeout: 30_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`OpenTelemetry SDK client failed: ${err.message}\n${stderr}`)) : resolve(),
    );
  });
}
