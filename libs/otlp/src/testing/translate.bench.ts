// Throughput of OTLP decoding and translation for a 1000-data-point request. Not part of the test
// run (no timed assertions); run it with:
//   npx jest -c libs/otlp/jest.config.js --testMatch '**/*.bench.ts'
import { decodeExportMetricsRequestJson } from '../json/json-codec';
import { decodeExportMetricsRequestProtobuf } from '../proto/protobuf-codec';
import { Json, T0_MS, gauge, histogram, point, request, resourceMetrics, sum, toJsonBytes, toProtobuf } from './fixtures';
import { defaultOtlpTranslationConfig } from '../translate/config';
import { translateOtlpMetrics } from '../translate/translator';

/** 400 counter points, 400 gauge points, 200 histogram points (10 buckets), 4 attributes each. */
function thousandPointRequest(): Json {
  const attrsOf = (i: number): Record<string, string> => ({
    'http.request.method': ['GET', 'POST', 'PUT', 'DELETE'][i % 4],
    'http.route': `/api/v1/items/${i % 25}`,
    'http.response.status_code': String(200 + (i % 5)),
    'server.address': `host-${i % 10}.example.com`,
  });
  const counters = Array.from({ length: 4 }, (_, m) =>
    sum(`http.server.requests.${m}`, '{request}', Array.from({ length: 100 }, (_, i) => point(i * 10, T0_MS, attrsOf(i)))),
  );
  const gauges = Array.from({ length: 4 }, (_, m) =>
    gauge(`process.memory.usage.${m}`, 'By', Array.from({ length: 100 }, (_, i) => point(i + 0.5, T0_MS, attrsOf(i)))),
  );
  const histograms = Array.from({ length: 2 }, (_, m) =>
    histogram(
      `http.server.request.duration.${m}`,
      's',
      Array.from({ length: 100 }, (_, i) => ({
        ...point(0, T0_MS, attrsOf(i)),
        count: '100',
        sum: 12.5,
        bucketCounts: ['10', '10', '10', '10', '10', '10', '10', '10', '10', '10', '0'],
        explicitBounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      })),
    ),
  );
  return request(
    resourceMetrics(
      {
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'service.instance.id': 'pod-7f9c',
        'host.name': 'node-3',
        'k8s.pod.name': 'checkout-7f9c',
        'telemetry.sdk.language': 'nodejs',
      },
      [...counters, ...gauges, ...histograms],
    ),
  );
}

function measure(name: string, iterations: number, points: number, fn: () => unknown): string {
  for (let i = 0; i < Math.min(200, iterations); i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const perRequestMs = (seconds / iterations) * 1000;
  return `${name.padEnd(34)} ${perRequestMs.toFixed(3)} ms/request  ${Math.round((points * iterations) / seconds).toLocaleString('en-US')} points/s`;
}

describe('OTLP metrics throughput (1000 data points)', () => {
  it('measures decode and translate', () => {
    const req = thousandPointRequest();
    const pb = toProtobuf(req);
    const js = toJsonBytes(req);
    const config = defaultOtlpTranslationConfig();
    const decoded = decodeExportMetricsRequestProtobuf(pb);
    const result = translateOtlpMetrics(decoded, config);
    expect(result.acceptedDataPoints).toBe(1000);
    const lines = [
      `request: ${pb.length} bytes protobuf, ${js.length} bytes JSON; ${result.series.length} series, ${result.samples} samples`,
      measure('decode protobuf', 500, 1000, () => decodeExportMetricsRequestProtobuf(pb)),
      measure('decode JSON', 300, 1000, () => decodeExportMetricsRequestJson(js)),
      measure('translate', 500, 1000, () => translateOtlpMetrics(decoded, config)),
      measure('decode protobuf + translate', 500, 1000, () => translateOtlpMetrics(decodeExportMetricsRequestProtobuf(pb), config)),
    ];
    console.log(lines.join('\n'));
  });
});
