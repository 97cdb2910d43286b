import { decodeExportMetricsRequestJson } from '../json/json-codec';
import { decodeExportMetricsRequestProtobuf } from '../proto/protobuf-codec';
import {
  Json,
  T0_MS,
  attrs,
  gauge,
  histogram,
  ns,
  point,
  render,
  request,
  resourceMetrics,
  sum,
  summary,
  toJsonBytes,
  toProtobuf,
} from '../testing/fixtures';
import { OtlpTranslationConfig, defaultOtlpTranslationConfig, validateOtlpTranslationConfig } from './config';
import { MAX_ERRORS, MAX_TARGET_INFO_STEPS, OtlpTranslationResult, STALE_NAN, isStaleNaN, partialSuccessOf, translateOtlpMetrics } from './translator';

const SVC = { 'service.name': 'svc', 'service.namespace': 'ns', 'service.instance.id': 'i-1', 'host.name': 'h1' };
const ID = 'instance="i-1", job="ns/svc"';

function translate(req: Json, overrides: Partial<OtlpTranslationConfig> = {}): OtlpTranslationResult {
  const config = { ...defaultOtlpTranslationConfig(), ...overrides };
  expect(validateOtlpTranslationConfig(config)).toEqual([]);
  return translateOtlpMetrics(decodeExportMetricsRequestJson(toJsonBytes(req)), config);
}

function lines(req: Json, overrides: Partial<OtlpTranslationConfig> = {}): string[] {
  return render(translate(req, overrides).series);
}

const ALL_TYPES = request(
  resourceMetrics(SVC, [
    sum('http.requests', '{request}', [point(5, T0_MS, { 'http.method': 'GET' })]),
    gauge('cpu.utilization', '1', [point(0.25)]),
    histogram('http.server.duration', 's', [
      { ...point(0), asInt: undefined, count: '3', sum: 1.5, bucketCounts: ['1', '1', '1'], explicitBounds: [0.1, 1] },
    ]),
    summary('rpc.latency', 'ms', [
      {
        ...point(0),
        asInt: undefined,
        count: '10',
        sum: 100,
        quantileValues: [
          { quantile: 0.5, value: 8 },
          { quantile: 0.99, value: 20 },
        ],
      },
    ]),
  ]),
);

describe('translateOtlpMetrics', () => {
  it('maps a counter, a gauge, a histogram and a summary to the series Prometheus 3 writes', () => {
    expect(lines(ALL_TYPES)).toEqual(
      [
        `http_requests_total{http_method="GET", ${ID}} 5 @${T0_MS}`,
        `cpu_utilization_ratio{${ID}} 0.25 @${T0_MS}`,
        `http_server_duration_seconds_bucket{${ID}, le="0.1"} 1 @${T0_MS}`,
        `http_server_duration_seconds_bucket{${ID}, le="1"} 2 @${T0_MS}`,
        `http_server_duration_seconds_bucket{${ID}, le="+Inf"} 3 @${T0_MS}`,
        `http_server_duration_seconds_sum{${ID}} 1.5 @${T0_MS}`,
        `http_server_duration_seconds_count{${ID}} 3 @${T0_MS}`,
        `rpc_latency_milliseconds{${ID}, quantile="0.5"} 8 @${T0_MS}`,
        `rpc_latency_milliseconds{${ID}, quantile="0.99"} 20 @${T0_MS}`,
        `rpc_latency_milliseconds_sum{${ID}} 100 @${T0_MS}`,
        `rpc_latency_milliseconds_count{${ID}} 10 @${T0_MS}`,
        `target_info{host_name="h1", ${ID}} 1 @${T0_MS}`,
      ].sort(),
    );
  });

  it('translates protobuf and JSON bodies of the same request identically', () => {
    const config = defaultOtlpTranslationConfig();
    const fromJson = translateOtlpMetrics(decodeExportMetricsRequestJson(toJsonBytes(ALL_TYPES)), config);
    const fromProto = translateOtlpMetrics(decodeExportMetricsRequestProtobuf(toProtobuf(ALL_TYPES)), config);
    expect(fromProto).toEqual(fromJson);
  });

  it('returns labels sorted by name with __name__ included, and samples in time order', () => {
    const res = translate(
      request(resourceMetrics(SVC, [gauge('g', '', [point(2, T0_MS + 2000, { z: '1', a: '2' }), point(1, T0_MS + 1000, { z: '1', a: '2' })])])),
    );
    const g = res.series.find((s) => s.labels.some(([k, v]) => k === '__name__' && v === 'g'))!;
    expect(g.labels).toEqual([
      ['__name__', 'g'],
      ['a', '2'],
      ['instance', 'i-1'],
      ['job', 'ns/svc'],
      ['z', '1'],
    ]);
    expect(g.samples).toEqual([
      { timestampMs: T0_MS + 1000, value: 1 },
      { timestampMs: T0_MS + 2000, value: 2 },
    ]);
  });

  it('records Prometheus metadata for each metric family and target_info', () => {
    const res = translate(ALL_TYPES);
    expect(res.metadata).toEqual(
      expect.arrayContaining([
        { metricFamilyName: 'http_requests_total', type: 'counter', help: 'http.requests help', unit: '' },
        { metricFamilyName: 'cpu_utilization_ratio', type: 'gauge', help: 'cpu.utilization help', unit: '' },
        { metricFamilyName: 'http_server_duration_seconds', type: 'histogram', help: 'http.server.duration help', unit: 'seconds' },
        { metricFamilyName: 'rpc_latency_milliseconds', type: 'summary', help: 'rpc.latency help', unit: 'milliseconds' },
        { metricFamilyName: 'target_info', type: 'gauge', help: 'Target metadata', unit: '' },
      ]),
    );
    expect(res.metadata).toHaveLength(5);
  });

  describe('job, instance and target_info', () => {
    it('uses service.name alone as job when there is no service.namespace', () => {
      expect(lines(request(resourceMetrics({ 'service.name': 'svc' }, [gauge('g', '', [point(1)])])))).toEqual([`g{job="svc"} 1 @${T0_MS}`]);
    });

    it('writes no job, instance or target_info for a resource without service attributes', () => {
      expect(lines(request(resourceMetrics({ 'host.name': 'h1' }, [gauge('g', '', [point(1)])])))).toEqual([`g 1 @${T0_MS}`.replace('g 1', 'g{} 1')]);
    });

    it('writes no target_info when the resource has only identifying attributes', () => {
      const res = lines(request(resourceMetrics({ 'service.name': 'svc', 'service.instance.id': 'i-1' }, [gauge('g', '', [point(1)])])));
      expect(res).toEqual([`g{instance="i-1", job="svc"} 1 @${T0_MS}`]);
    });

    it('samples target_info every half lookback delta from the earliest to the latest point of the resource', () => {
      const res = lines(
        request(resourceMetrics(SVC, [gauge('g', '', [point(1, T0_MS)]), gauge('h', '', [point(1, T0_MS + 600_000)])])),
      ).filter((l) => l.startsWith('target_info'));
      expect(res).toEqual(
        [0, 150_000, 300_000, 450_000, 600_000].map((d) => `target_info{host_name="h1", ${ID}} 1 @${T0_MS + d}`).sort(),
      );
    });

    it('writes at most MAX_TARGET_INFO_STEPS target_info samples before the latest, however far apart the points are', () => {
      const res = translate(request(resourceMetrics(SVC, [gauge('g', '', [point(1, 60_000), point(1, T0_MS)])])));
      const ti = res.series.find((s) => s.labels[0][1] === 'target_info')!;
      expect(ti.samples).toHaveLength(MAX_TARGET_INFO_STEPS + 1);
      expect(ti.samples[ti.samples.length - 1].timestampMs).toBe(T0_MS);
      // The samples kept are on Prometheus's grid (earliest + k * 150 s).
      expect((ti.samples[0].timestampMs - 60_000) % 150_000).toBe(0);
      expect(T0_MS - ti.samples[0].timestampMs).toBeLessThanOrEqual(MAX_TARGET_INFO_STEPS * 150_000);
    });

    it('follows a configured lookback delta', () => {
      const res = lines(request(resourceMetrics(SVC, [gauge('g', '', [point(1, T0_MS), point(1, T0_MS + 60_000)])])), {
        lookbackDeltaMs: 60_000,
      }).filter((l) => l.startsWith('target_info'));
      expect(res).toHaveLength(3); // T0, T0+30s, T0+60s
    });

    it('writes one target_info sample per timestamp when two resources share the same attributes', () => {
      const rm = resourceMetrics(SVC, [gauge('g', '', [point(1)])]);
      const res = translate(request(rm, rm));
      const ti = res.series.filter((s) => s.labels[0][1] === 'target_info');
      expect(ti).toHaveLength(1);
      expect(ti[0].samples).toEqual([{ timestampMs: T0_MS, value: 1 }]);
      expect(res.rejectedDataPoints).toBe(0);
      expect(res.errors).toEqual([]);
    });

    it('keeps the identifying attributes on target_info with keepIdentifyingResourceAttributes', () => {
      const res = lines(request(resourceMetrics(SVC, [gauge('g', '', [point(1)])])), { keepIdentifyingResourceAttributes: true });
      expect(res).toContain(
        `target_info{host_name="h1", ${ID}, service_instance_id="i-1", service_name="svc", service_namespace="ns"} 1 @${T0_MS}`,
      );
    });

    it('lets job and instance win over data point attributes of the same name', () => {
      expect(lines(request(resourceMetrics(SVC, [gauge('g', '', [point(1, T0_MS, { job: 'mine', instance: 'x' })])])))).toContain(
        `g{${ID}} 1 @${T0_MS}`,
      );
    });
  });

  describe('resource attribute promotion', () => {
    it('adds promoted resource attributes as labels, without overriding data point attributes', () => {
      const res = lines(
        request(
          resourceMetrics({ ...SVC, 'k8s.cluster.name': 'c1', 'deployment.environment': 'prod' }, [
            gauge('g', '', [point(1, T0_MS, { 'deployment.environment': 'point-wins' })]),
          ]),
        ),
        { promoteResourceAttributes: ['k8s.cluster.name', 'deployment.environment', 'absent.attr'] },
      );
      expect(res).toContain(`g{deployment_environment="point-wins", ${ID}, k8s_cluster_name="c1"} 1 @${T0_MS}`);
      // target_info still carries every non-identifying attribute, promoted or not.
      expect(res).toContain(`target_info{deployment_environment="prod", host_name="h1", ${ID}, k8s_cluster_name="c1"} 1 @${T0_MS}`);
    });

    it('promotes every resource attribute but the ignored ones with promoteAllResourceAttributes', () => {
      const res = lines(request(resourceMetrics(SVC, [gauge('g', '', [point(1)])])), {
        promoteAllResourceAttributes: true,
        ignoreResourceAttributes: ['service.instance.id'],
      });
      expect(res).toContain(`g{host_name="h1", ${ID}, service_name="svc", service_namespace="ns"} 1 @${T0_MS}`);
    });
  });

  describe('scope metadata', () => {
    const scoped = request(
      resourceMetrics({ 'service.name': 'svc' }, [gauge('g', '', [point(1)])], {
        name: 'io.opentelemetry.http',
        version: '1.2.0',
        attributes: attrs({ 'library.lang': 'ts' }),
      }),
    );

    it('adds no scope labels by default (Prometheus 3 default)', () => {
      expect(lines(scoped)).toEqual([`g{job="svc"} 1 @${T0_MS}`]);
    });

    it('adds otel_scope_name, otel_scope_version and otel_scope_<attribute> with promoteScopeMetadata', () => {
      expect(lines(scoped, { promoteScopeMetadata: true })).toEqual([
        `g{job="svc", otel_scope_library_lang="ts", otel_scope_name="io.opentelemetry.http", otel_scope_version="1.2.0"} 1 @${T0_MS}`,
      ]);
    });

    it('adds the scope schema URL when the scope metrics have one', () => {
      const req = structuredClone(scoped);
      ((req.resourceMetrics as Json[])[0].scopeMetrics as Json[])[0].schemaUrl = 'https://opentelemetry.io/schemas/1.21.0';
      expect(lines(req, { promoteScopeMetadata: true })[0]).toContain('otel_scope_schema_url="https://opentelemetry.io/schemas/1.21.0"');
    });
  });

  describe('temporality', () => {
    const deltaReq = request(
      resourceMetrics(SVC, [
        sum('delta.requests', '', [point(1), point(2, T0_MS + 1000)], { temporality: 1 }),
        histogram('delta.duration', 's', [{ ...point(0), count: '1', bucketCounts: ['1'], explicitBounds: [] }], 1),
        sum('ok.requests', '', [point(3)]),
      ]),
    );

    it('rejects delta sums and histograms with a reason, keeping the rest (Prometheus default)', () => {
      const res = translate(deltaReq);
      expect(render(res.series).filter((l) => !l.startsWith('target_info'))).toEqual([`ok_requests_total{${ID}} 3 @${T0_MS}`]);
      expect(res.rejectedDataPoints).toBe(3);
      expect(res.acceptedDataPoints).toBe(1);
      expect(res.errors).toEqual([
        expect.stringContaining('invalid temporality and type combination for metric "delta.requests": delta temporality is not supported'),
        expect.stringContaining('invalid temporality and type combination for metric "delta.duration"'),
      ]);
      // The rejected points still extend target_info's time range, as in Prometheus.
      expect(render(res.series).filter((l) => l.startsWith('target_info'))).toHaveLength(2);
    });

    it('stores delta sums as sent with allowDeltaTemporality, typed unknown', () => {
      const res = translate(deltaReq, { allowDeltaTemporality: true });
      expect(render(res.series)).toContain(`delta_requests_total{${ID}} 2 @${T0_MS + 1000}`);
      expect(res.metadata).toContainEqual({ metricFamilyName: 'delta_requests_total', type: 'unknown', help: 'delta.requests help', unit: '' });
      expect(res.rejectedDataPoints).toBe(0);
    });

    it('rejects an unspecified temporality', () => {
      const res = translate(request(resourceMetrics(SVC, [sum('s', '', [point(1)], { temporality: 0 })])));
      expect(res.rejectedDataPoints).toBe(1);
      expect(res.errors[0]).toContain('aggregation temporality 0 is not cumulative');
    });
  });

  it('rejects exponential histograms as not supported yet, with the number of points', () => {
    const res = translate(
      request(
        resourceMetrics(SVC, [
          {
            name: 'rpc.size',
            unit: 'By',
            exponentialHistogram: {
              aggregationTemporality: 2,
              dataPoints: [{ timeUnixNano: ns(T0_MS), count: '2', scale: 3, positive: { offset: 1, bucketCounts: ['1', '1'] } }],
            },
          },
        ]),
      ),
    );
    expect(res.rejectedDataPoints).toBe(1);
    expect(res.errors[0]).toMatch(/"rpc.size" dropped: exponential histograms .* not supported yet/);
  });

  it('writes the staleness marker 0x7ff0000000000002 for every series of a NoRecordedValue point', () => {
    const res = translate(
      request(
        resourceMetrics(SVC, [
          gauge('g', '', [point(1, T0_MS, {}, { flags: 1 })]),
          histogram('h', '', [{ ...point(0), flags: 1, count: '1', sum: 1, bucketCounts: ['1', '0'], explicitBounds: [1] }]),
        ]),
      ),
    );
    // (Not collected into a number[]: V8 quiets signalling NaNs stored in double arrays.)
    const series = res.series.filter((s) => s.labels[0][1] !== 'target_info');
    expect(series).toHaveLength(1 + 4);
    for (const s of series) expect(isStaleNaN(s.samples[0].value)).toBe(true);
    expect(isStaleNaN(NaN)).toBe(false);
    expect(isStaleNaN(STALE_NAN)).toBe(true);
  });

  it('writes no _sum series for a histogram point without a sum', () => {
    const res = lines(request(resourceMetrics(SVC, [histogram('h', '', [{ ...point(0), count: '2', bucketCounts: ['2'], explicitBounds: [] }])])));
    expect(res.filter((l) => l.startsWith('h_'))).toEqual([`h_bucket{${ID}, le="+Inf"} 2 @${T0_MS}`, `h_count{${ID}} 2 @${T0_MS}`]);
  });

  describe('exemplars', () => {
    const trace = '5b8efff798038103d269b633813fc60c';
    const span = 'eee19b7ec3c1b174';
    const ex = (value: number, extra: Json = {}): Json => ({
      timeUnixNano: ns(T0_MS - 5),
      asDouble: value,
      traceId: trace,
      spanId: span,
      ...extra,
    });

    it('attaches exemplars of a sum with trace_id and span_id labels', () => {
      const res = translate(request(resourceMetrics(SVC, [sum('s', '', [point(1, T0_MS, {}, { exemplars: [ex(1, { filteredAttributes: attrs({ user: 'u1' }) })] })])])));
      const s = res.series.find((x) => x.labels[0][1] === 's_total')!;
      expect(s.exemplars).toEqual([
        {
          labels: [
            ['span_id', span],
            ['trace_id', trace],
            ['user', 'u1'],
          ],
          value: 1,
          timestampMs: T0_MS - 5,
        },
      ]);
    });

    it('drops exemplars of gauges, as Prometheus does', () => {
      const res = translate(request(resourceMetrics(SVC, [gauge('g', '', [point(1, T0_MS, {}, { exemplars: [ex(1)] })])])));
      expect(res.series.find((x) => x.labels[0][1] === 'g')!.exemplars).toBeUndefined();
    });

    it('puts each histogram exemplar on the first bucket whose bound is >= its value', () => {
      const res = translate(
        request(
          resourceMetrics(SVC, [
            histogram('h', '', [
              { ...point(0), count: '3', sum: 20.5, bucketCounts: ['1', '1', '1'], explicitBounds: [1, 10], exemplars: [ex(0.5), ex(5), ex(15)] },
            ]),
          ]),
        ),
      );
      const byLe = new Map(
        res.series
          .filter((s) => s.labels[0][1] === 'h_bucket')
          .map((s) => [s.labels.find(([k]) => k === 'le')![1], (s.exemplars ?? []).map((e) => e.value)]),
      );
      expect(byLe).toEqual(
        new Map([
          ['1', [0.5]],
          ['10', [5]],
          ['+Inf', [15]],
        ]),
      );
    });

    it('leaves filtered attributes off an exemplar whose labels would pass 128 runes', () => {
      const res = translate(
        request(resourceMetrics(SVC, [sum('s', '', [point(1, T0_MS, {}, { exemplars: [ex(1, { filteredAttributes: attrs({ big: 'x'.repeat(80) }) })] })])])),
      );
      expect(res.series.find((x) => x.labels[0][1] === 's_total')!.exemplars![0].labels.map(([k]) => k)).toEqual(['span_id', 'trace_id']);
    });
  });

  describe('attributes', () => {
    it('joins the values of attributes whose names collide after escaping with ";", in key order', () => {
      expect(lines(request(resourceMetrics({}, [gauge('g', '', [point(1, T0_MS, { http_method: 'POST', 'http.method': 'GET' })])])))).toEqual([
        `g{http_method="GET;POST"} 1 @${T0_MS}`,
      ]);
    });

    it('ignores a data point attribute named __name__ (the metric name owns it)', () => {
      expect(lines(request(resourceMetrics({}, [gauge('g', '', [point(1, T0_MS, { __name__: 'evil' })])])))).toEqual([`g{} 1 @${T0_MS}`]);
    });

    it('drops attributes with empty values (an empty label is no label)', () => {
      expect(lines(request(resourceMetrics({}, [gauge('g', '', [point(1, T0_MS, { a: '', b: 'x' })])])))).toEqual([`g{b="x"} 1 @${T0_MS}`]);
    });

    it('renders non-string attribute values as Prometheus does', () => {
      const p = point(1);
      p.attributes = [
        { key: 'i', value: { intValue: '9007199254740993' } },
        { key: 'd', value: { doubleValue: 0.5 } },
        { key: 'b', value: { boolValue: false } },
        { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 1 }] } } },
      ];
      expect(lines(request(resourceMetrics({}, [gauge('g', '', [p])])))).toEqual([
        `g{arr="[\\"x\\",1]", b="false", d="0.5", i="9007199254740993"} 1 @${T0_MS}`,
      ]);
    });

    it('rejects a data point whose attribute name cannot be translated, and the rest of its metric', () => {
      const res = translate(
        request(resourceMetrics({}, [gauge('g', '', [point(1, T0_MS), point(2, T0_MS + 1, { '..': 'x' }), point(3, T0_MS + 2)]), gauge('other', '', [point(4)])])),
      );
      expect(render(res.series)).toEqual([`g{} 1 @${T0_MS}`, `other{} 4 @${T0_MS}`]);
      expect(res.rejectedDataPoints).toBe(2);
      expect(res.errors).toEqual(['metric "g": normalization for label name ".." resulted in invalid name "__"']);
    });

    it('takes attribute keys as they are under the UTF-8 strategies, even all-underscore ones', () => {
      expect(lines(request(resourceMetrics({}, [gauge('g', '', [point(1, T0_MS, { __: 'x', 'a.b': 'y' })])])), {
        translationStrategy: 'NoTranslation',
      })).toEqual([`g{__="x", a.b="y"} 1 @${T0_MS}`]);
    });

    it('keeps attribute names as sent under NoUTF8EscapingWithSuffixes', () => {
      expect(lines(request(resourceMetrics({ 'service.name': 'svc' }, [sum('http.requests', '', [point(1, T0_MS, { 'http.method': 'GET' })])])), {
        translationStrategy: 'NoUTF8EscapingWithSuffixes',
      })).toEqual([`http.requests_total{http.method="GET", job="svc"} 1 @${T0_MS}`]);
    });
  });

  describe('problems reported without stopping the request', () => {
    it('rejects a metric whose name translates to nothing', () => {
      const res = translate(request(resourceMetrics({}, [gauge('...', '', [point(1)]), gauge('ok', '', [point(1)])])));
      expect(render(res.series)).toEqual([`ok{} 1 @${T0_MS}`]);
      expect(res.rejectedDataPoints).toBe(1);
      expect(res.errors).toEqual(['normalization for metric "..." resulted in empty name']);
    });

    it('reports a metric without data points and a metric without data, rejecting no points', () => {
      const res = translate(request(resourceMetrics({}, [gauge('empty', '', []), { name: 'nodata' }])));
      expect(res.series).toEqual([]);
      expect(res.rejectedDataPoints).toBe(0);
      expect(res.errors).toEqual(['empty data points. empty is dropped', expect.stringContaining('"nodata" dropped: unsupported metric type')]);
      expect(partialSuccessOf(res)).toEqual({ rejectedDataPoints: 0, errorMessage: res.errors.join('; ') });
    });

    it('keeps the first of two different samples for one series and timestamp and rejects the other point', () => {
      const res = translate(request(resourceMetrics({}, [gauge('g', '', [point(1), point(2), point(1)])])));
      expect(render(res.series)).toEqual([`g{} 1 @${T0_MS}`]);
      expect(res.rejectedDataPoints).toBe(1);
      expect(res.acceptedDataPoints).toBe(2);
      expect(res.errors[0]).toMatch(/^duplicate sample for timestamp with a different value: g\{\} at 1700000000000/);
    });

    it('caps the error messages and counts the rest', () => {
      const metrics = Array.from({ length: MAX_ERRORS + 5 }, (_, i) => sum(`d${i}`, '', [point(1)], { temporality: 1 }));
      const res = translate(request(resourceMetrics({}, metrics)));
      expect(res.errors).toHaveLength(MAX_ERRORS);
      expect(res.errorCount).toBe(MAX_ERRORS + 5);
      expect(partialSuccessOf(res)!.errorMessage).toMatch(/; and 5 more$/);
      expect(partialSuccessOf(res)!.rejectedDataPoints).toBe(MAX_ERRORS + 5);
    });

    it('reports full success as no partial success', () => {
      expect(partialSuccessOf(translate(ALL_TYPES))).toBeUndefined();
    });

    it('translates an empty request to nothing', () => {
      const res = translate({});
      expect(res).toMatchObject({ series: [], samples: 0, rejectedDataPoints: 0, errors: [] });
    });
  });
});

describe('validateOtlpTranslationConfig', () => {
  it('accepts the defaults', () => {
    expect(validateOtlpTranslationConfig(defaultOtlpTranslationConfig())).toEqual([]);
  });

  it.each<[string, Partial<OtlpTranslationConfig>, string]>([
    ['promote all together with a promote list', { promoteAllResourceAttributes: true, promoteResourceAttributes: ['a'] }, 'cannot be configured simultaneously'],
    ['an ignore list without promote all', { ignoreResourceAttributes: ['a'] }, "unless 'promote_all_resource_attributes' is true"],
    ['an empty promoted attribute', { promoteResourceAttributes: [' '] }, 'empty promoted OTel resource attribute'],
    ['a duplicated promoted attribute', { promoteResourceAttributes: ['a', ' a'] }, 'duplicated promoted OTel resource attribute "a"'],
    ['a duplicated ignored attribute', { promoteAllResourceAttributes: true, ignoreResourceAttributes: ['a', 'a'] }, 'duplicated ignored'],
    ['an unknown strategy', { translationStrategy: 'Nope' as never }, 'unsupported OTLP translation strategy "Nope"'],
    ['native histograms with custom buckets', { convertHistogramsToNhcb: true }, 'not supported yet'],
    ['a fractional lookback delta', { lookbackDeltaMs: 1.5 }, 'whole number of milliseconds'],
  ])('reports %s', (_name, overrides, message) => {
    const errors = validateOtlpTranslationConfig({ ...defaultOtlpTranslationConfig(), ...overrides });
    expect(errors).toEqual([expect.stringContaining(message)]);
  });
});
