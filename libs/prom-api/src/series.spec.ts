import { UnavailableError } from '@panoptes/common';
import { MAX_TIME_MS, MIN_TIME_MS } from './params';
import { labelNames, labelValues, metadata, series } from './series';
import { form, labels, query, testContext } from './testing/fakes';
import type { MetadataRequest, MetadataSource, MetricMetadataEntry } from './types';

function withSeries() {
  const ctx = testContext();
  ctx.queryable.add(
    't1',
    labels({ __name__: 'up', job: 'api', instance: 'a:9090' }),
    labels({ __name__: 'up', job: 'db', instance: 'b:9090' }),
    labels({ __name__: 'http_requests_total', job: 'api', code: '200' }),
    labels({ __name__: 'http.server.duration', 'service.name': 'checkout' }),
  );
  ctx.queryable.add('t2', labels({ __name__: 'other_tenant', secret: 'x' }));
  return ctx;
}

describe('labels', () => {
  it('lists label names the way Grafana asks (POST form, start, end, limit=40000)', async () => {
    const ctx = withSeries();
    const res = await labelNames(form({ start: '1700000000', end: '1700003600', limit: '40000' }), ctx);
    expect(res.body).toBe('{"status":"success","data":["__name__","code","instance","job","service.name"]}');
    expect(ctx.queryable.querierRanges).toEqual([{ tenant: 't1', minT: 1_700_000_000_000, maxT: 1_700_003_600_000 }]);
  });

  it("defaults to Prometheus's whole time range", async () => {
    const ctx = withSeries();
    await labelNames(form({}), ctx);
    expect(ctx.queryable.querierRanges[0]).toMatchObject({ minT: MIN_TIME_MS, maxT: MAX_TIME_MS });
  });

  it('restricts names to series matching match[], and unions several match[]', async () => {
    const ctx = withSeries();
    const one = await labelNames(form({ 'match[]': 'up' }), ctx);
    const two = await labelNames(form({ 'match[]': ['up', '{__name__="http.server.duration"}'] }), ctx);
    expect(JSON.parse(one.body).data).toEqual(['__name__', 'instance', 'job']);
    expect(JSON.parse(two.body).data).toEqual(['__name__', 'instance', 'job', 'service.name']);
  });

  it('truncates to limit with a warning', async () => {
    const res = await labelNames(form({ limit: '2' }), withSeries());
    expect(res.body).toBe('{"status":"success","data":["__name__","code"],"warnings":["results truncated due to limit"]}');
  });

  it('passes on the warnings of storage', async () => {
    const ctx = withSeries();
    ctx.queryable.warnings = ['ingester a unreachable, results may be partial'];
    expect(JSON.parse((await labelNames(form({}), ctx)).body).warnings).toEqual(['ingester a unreachable, results may be partial']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['a bad limit', { limit: 'x' }, 'invalid parameter "limit": strconv.Atoi: parsing "x": invalid syntax'],
    ['a negative limit', { limit: '-1' }, 'invalid parameter "limit": limit must be non-negative'],
    ['a bad start', { start: 'x' }, 'invalid parameter "start": cannot parse "x" to a valid timestamp'],
    ['a bad end', { end: 'yesterday' }, 'invalid parameter "end": cannot parse "yesterday" to a valid timestamp'],
  ])('rejects %s with 400 bad_data', async (_name, params, message) => {
    const res = await labelNames(form(params), withSeries());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ status: 'error', errorType: 'bad_data', error: message });
  });

  it('rejects a bad match[] without the "invalid parameter" prefix, as Prometheus does here', async () => {
    const res = await labelNames(form({ 'match[]': 'up{' }), withSeries());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^1:\d+: parse error: /);
  });

  it('maps a storage failure to 503 unavailable', async () => {
    const ctx = withSeries();
    ctx.queryable.querier = () => {
      throw new UnavailableError('ingesters_unavailable', 'too many unhealthy ingesters');
    };
    const res = await labelNames(form({}), ctx);
    expect([res.status, JSON.parse(res.body).errorType]).toEqual([503, 'unavailable']);
  });
});

describe('label values', () => {
  it('lists metric names the way Grafana asks (GET __name__ values with start, end, limit)', async () => {
    const res = await labelValues(query('start=1700000000&end=1700003600&limit=40000'), withSeries(), { name: '__name__' });
    expect(res.body).toBe('{"status":"success","data":["http.server.duration","http_requests_total","up"]}');
  });

  it('unescapes a U__ label name', async () => {
    const res = await labelValues(query(''), withSeries(), { name: 'U__service_2e_name' });
    expect(JSON.parse(res.body).data).toEqual(['checkout']);
  });

  it('filters with match[] and truncates to limit with a warning', async () => {
    const res = await labelValues(query('match[]=up&limit=1'), withSeries(), { name: 'job' });
    expect(res.body).toBe('{"status":"success","data":["api"],"warnings":["results truncated due to limit"]}');
  });

  it('answers an empty list for an unknown label', async () => {
    expect((await labelValues(query(''), withSeries(), { name: 'nope' })).body).toBe('{"status":"success","data":[]}');
  });

  it('rejects an empty label name', async () => {
    const res = await labelValues(query(''), withSeries(), { name: '' });
    expect(JSON.parse(res.body)).toEqual({ status: 'error', errorType: 'bad_data', error: 'invalid label name: ""' });
  });

  it('sees only its own tenant', async () => {
    const res = await labelValues(query(''), withSeries(), { name: 'secret' });
    expect(JSON.parse(res.body).data).toEqual([]);
  });
});

describe('series', () => {
  it('lists series the way Grafana asks, labels escaped like Prometheus writes them', async () => {
    const ctx = withSeries();
    ctx.queryable.add('t1', labels({ __name__: 'up', job: 'a<b>' }));
    const res = await series(form({ 'match[]': 'up', start: '1700000000', end: '1700003600', limit: '40000' }), ctx);
    expect(res.body).toBe(
      '{"status":"success","data":[{"__name__":"up","instance":"a:9090","job":"api"},{"__name__":"up","instance":"b:9090","job":"db"},{"__name__":"up","job":"a<b>"}]}',
    );
  });

  it('truncates to limit with a warning', async () => {
    const res = await series(form({ 'match[]': '{__name__!=""}', limit: '1' }), withSeries());
    expect(JSON.parse(res.body)).toEqual({
      status: 'success',
      data: [{ __name__: 'http.server.duration', 'service.name': 'checkout' }],
      warnings: ['results truncated due to limit'],
    });
  });

  it.each<[string, Record<string, string | string[]>, RegExp]>([
    ['no match[]', {}, /^no match\[\] parameter provided$/],
    ['a bad match[]', { 'match[]': 'rate(up[5m])' }, /^invalid parameter "match\[\]": 1:1: parse error: expected a series selector/],
    ['a match[] matching everything', { 'match[]': '{job=~".*"}' }, /^invalid parameter "match\[\]": .*non-empty matcher/],
    ['a bad limit', { 'match[]': 'up', limit: '1.5' }, /^invalid parameter "limit": strconv.Atoi: parsing "1.5": invalid syntax$/],
  ])('rejects %s with 400 bad_data', async (_name, params, message) => {
    const res = await series(form(params), withSeries());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errorType).toBe('bad_data');
    expect(JSON.parse(res.body).error).toMatch(message);
  });
});

describe('metadata', () => {
  const entries: MetricMetadataEntry[] = [
    { metric: 'up', type: 'gauge', help: 'Target is up.', unit: '' },
    { metric: 'http_requests_total', type: 'counter', help: 'Requests <all>.', unit: '' },
    { metric: 'http_requests_total', type: 'counter', help: 'Requests <all>.', unit: '' },
    { metric: 'http_requests_total', type: 'counter', help: 'Old help.', unit: '' },
    { metric: 'go_gc_seconds', type: 'summary', help: 'GC.', unit: 'seconds' },
  ];
  const source = (asked: MetadataRequest[] = []): MetadataSource => ({
    async metricMetadata(tenant, request) {
      asked.push(request);
      return tenant === 't1' ? entries : [];
    },
  });

  it('answers {} without a metadata source', async () => {
    expect((await metadata(query(''), testContext())).body).toBe('{"status":"success","data":{}}');
  });

  it('groups entries by metric, sorted, replicas deduplicated', async () => {
    const res = await metadata(query(''), testContext({ metadata: source() }));
    expect(res.body).toBe(
      '{"status":"success","data":{' +
        '"go_gc_seconds":[{"type":"summary","help":"GC.","unit":"seconds"}],' +
        '"http_requests_total":[{"type":"counter","help":"Requests \\u003call\\u003e.","unit":""},{"type":"counter","help":"Old help.","unit":""}],' +
        '"up":[{"type":"gauge","help":"Target is up.","unit":""}]}}',
    );
  });

  it.each<[string, string, string[], number]>([
    ['limit counts metrics, the first by name', 'limit=2', ['go_gc_seconds', 'http_requests_total'], 3],
    ['limit=0 returns none', 'limit=0', [], 0],
    ['limit_per_metric counts entries of a metric', 'limit_per_metric=1', ['go_gc_seconds', 'http_requests_total', 'up'], 3],
    ['metric selects one metric', 'metric=up', ['up'], 1],
  ])('applies %s', async (_name, qs, metrics, entryCount) => {
    const asked: MetadataRequest[] = [];
    const res = await metadata(query(qs), testContext({ metadata: source(asked) }));
    const data = JSON.parse(res.body).data as Record<string, unknown[]>;
    expect(Object.keys(data)).toEqual(metrics);
    expect(Object.values(data).reduce((n, list) => n + list.length, 0)).toBe(entryCount);
    expect(asked).toHaveLength(1);
  });

  it('passes the limits to the source, -1 when absent', async () => {
    const asked: MetadataRequest[] = [];
    await metadata(query('limit_per_metric=3&metric=up'), testContext({ metadata: source(asked) }));
    expect(asked).toEqual([{ limit: -1, limitPerMetric: 3, metric: 'up' }]);
  });

  it.each<[string, string, string]>([
    ['a bad limit', 'limit=x', 'limit must be a number'],
    ['a bad limit_per_metric', 'limit_per_metric=x', 'limit_per_metric must be a number'],
  ])('rejects %s with 400 bad_data', async (_name, qs, message) => {
    const res = await metadata(query(qs), testContext({ metadata: source() }));
    expect([res.status, JSON.parse(res.body)]).toEqual([400, { status: 'error', errorType: 'bad_data', error: message }]);
  });
});
