import { MemoryCache, defaultMemoryCacheConfig } from '@panoptes/bucket';
import { Registry } from 'prom-client';
import { type DownstreamRequest, type DownstreamResponse, QueryFrontendHandler, defaultQueryFrontendConfig } from './frontend';

const D = 86_400_000;
const NOW = 10 * D;

/** A querier answering every range query with one series whose value is the step's time. */
function fakeQuerier(calls: DownstreamRequest[]): (req: DownstreamRequest) => Promise<DownstreamResponse> {
  return async (req) => {
    calls.push(req);
    if (req.params.get('query') === 'bad(') {
      return { status: 400, contentType: 'application/json', body: '{"status":"error","errorType":"bad_data","error":"parse error"}' };
    }
    if (req.path !== '/api/v1/query_range') return { status: 200, contentType: 'application/json', body: '{"status":"success","data":[]}' };
    const start = Number(req.params.get('start')) * 1000;
    const end = Number(req.params.get('end')) * 1000;
    const step = Number(req.params.get('step')) * 1000;
    const values: [number, string][] = [];
    for (let t = start; t <= end; t += step) values.push([t / 1000, String(t / 1000)]);
    const result = [{ metric: { job: 'b' }, values }, { metric: { job: 'a' }, values }];
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }) };
  };
}

function rangeParams(query: string, start: number, end: number, step: number): URLSearchParams {
  return new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) });
}

describe('QueryFrontendHandler', () => {
  function setup() {
    const calls: DownstreamRequest[] = [];
    const registry = new Registry();
    const cache = new MemoryCache(defaultMemoryCacheConfig(), 'results', registry);
    const h = new QueryFrontendHandler(defaultQueryFrontendConfig(), fakeQuerier(calls), cache, () => NOW, registry);
    return { h, calls, registry };
  }

  it('splits a 3-day range query by day and merges the splits into one sorted matrix', async () => {
    const { h, calls } = setup();
    const res = await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('up', 0, 3 * D - 3_600_000, 3_600_000) });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(3);
    const body = JSON.parse(res.body);
    expect(body.data.result.map((s: { metric: { job: string } }) => s.metric.job)).toEqual(['a', 'b']);
    expect(body.data.result[0].values).toHaveLength(72);
    expect(body.data.result[0].values[71]).toEqual([(3 * D - 3_600_000) / 1000, String((3 * D - 3_600_000) / 1000)]);
  });

  it('answers repeated old splits from the results cache, never recent ones', async () => {
    const { h, calls, registry } = setup();
    const params = rangeParams('up', NOW - 2 * D, NOW, 3_600_000);
    const first = await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params });
    const n = calls.length;
    const second = await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params });
    expect(second.body).toBe(first.body);
    // Two splits (day 9, and day 10 up to now): the one touching the last 10 minutes is asked
    // again, the older one comes from the cache.
    expect(n).toBe(2);
    expect(calls.length - n).toBe(1);
    const lookups = await registry.getSingleMetric('panoptes_query_frontend_results_cache_lookups_total')!.get();
    expect(lookups.values.find((v) => v.labels.result === 'hit')?.value).toBe(1);
  });

  it('keeps tenants apart in the cache', async () => {
    const { h, calls } = setup();
    const params = rangeParams('up', 0, D, 3_600_000);
    await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params });
    const n = calls.length;
    await h.handle({ tenant: 'u', path: '/api/v1/query_range', method: 'POST', params });
    expect(calls.length - n).toBe(n);
  });

  it('returns a querier error as it is', async () => {
    const { h } = setup();
    const res = await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('bad(', 0, D, 60_000) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).errorType).toBe('bad_data');
  });

  it('passes other endpoints through the queue unchanged', async () => {
    const { h, calls } = setup();
    const res = await h.handle({ tenant: 't', path: '/api/v1/labels', method: 'GET', params: new URLSearchParams() });
    expect(res.status).toBe(200);
    expect(calls[0].path).toBe('/api/v1/labels');
  });

  it('does not split queries whose @ start()/end() refer to the whole range', async () => {
    const { h, calls } = setup();
    await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('up @ end()', 0, 3 * D, 3_600_000) });
    expect(calls).toHaveLength(1);
  });
});
