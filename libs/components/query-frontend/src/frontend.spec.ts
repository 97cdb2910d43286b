import { MemoryCache, defaultMemoryCacheConfig } from '@panoptes/bucket';
import { createLogger, nopLogger } from '@panoptes/log';
import { Registry } from 'prom-client';
import { type FrontendRequest, QueryFrontendHandler, defaultQueryFrontendConfig } from './frontend';
import { type FrontendTenantLimits, defaultFrontendTenantLimits } from './limits';
import { PushScheduler, type DownstreamRequest, type DownstreamResponse } from './scheduler';

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
    return {
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }),
      // What a Querier reports: 2 series × the steps read, and a peak of one step's worth.
      headers: { 'X-Panoptes-Querier-Stats': `samples=${2 * values.length},peak=2` },
    };
  };
}

function rangeParams(query: string, start: number, end: number, step: number): URLSearchParams {
  return new URLSearchParams({ query, start: String(start / 1000), end: String(end / 1000), step: String(step / 1000) });
}

describe('QueryFrontendHandler', () => {
  function setup(limits: Partial<FrontendTenantLimits> = {}, cacheResults = true) {
    const calls: DownstreamRequest[] = [];
    const lines: string[] = [];
    const registry = new Registry();
    const cache = new MemoryCache(defaultMemoryCacheConfig(), 'results', registry);
    const scheduler = new PushScheduler({ maxConcurrent: 4, maxOutstandingPerTenant: 100, queueTimeoutMs: 0 }, fakeQuerier(calls));
    const logger = createLogger({ sink: { write: (line) => lines.push(line) } });
    const tenantLimits = (tenant: string): FrontendTenantLimits => (tenant === 'limited' ? { ...defaultFrontendTenantLimits(), ...limits } : defaultFrontendTenantLimits());
    const h = new QueryFrontendHandler({ ...defaultQueryFrontendConfig(), cacheResults }, scheduler, cache, tenantLimits, () => NOW, logger, registry);
    return { h, calls, registry, lines };
  }

  it('without the results cache passes a one-split answer on as the querier wrote it', async () => {
    const { h, calls } = setup({}, false);
    const res = await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('up', 90_000, 3_600_000 + 30_000, 60_000) });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect([calls[0].params.get('start'), calls[0].params.get('end'), calls[0].params.get('step')]).toEqual(['90', '3630', '60']);
    expect(res.body).toBe((await fakeQuerier([])(calls[0])).body);
  });

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

  describe('results cache extents', () => {
    const M = 60_000;
    const ask = (h: QueryFrontendHandler, start: number, end: number, step = M, query = 'up') =>
      h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams(query, start, end, step) });
    const asked = (calls: DownstreamRequest[]) => calls.map((c) => [Number(c.params.get('start')) * 1000, Number(c.params.get('end')) * 1000]);

    it('answers a window moved on (a dashboard refresh) from the cache, asking queriers only for the new part', async () => {
      const { h, calls, registry } = setup();
      const first = await ask(h, NOW - 6 * 60 * M, NOW - 30 * M);
      calls.length = 0;
      const moved = await ask(h, NOW - 5 * 60 * M, NOW - 20 * M);
      expect(asked(calls)).toEqual([[NOW - 29 * M, NOW - 20 * M]]);
      // Exactly what an uncached frontend answers.
      const plain = setup();
      expect(moved.body).toBe((await ask(plain.h, NOW - 5 * 60 * M, NOW - 20 * M)).body);
      expect(JSON.parse(first.body).data.result[0].values).toHaveLength(331);
      const lookups = await registry.getSingleMetric('panoptes_query_frontend_results_cache_lookups_total')!.get();
      expect(lookups.values.find((v) => v.labels.result === 'partial')?.value).toBe(1);
    });

    it('caches only points older than max_cache_freshness, and reuses them when the window reaches now', async () => {
      const { h, calls } = setup();
      await ask(h, NOW - 60 * M, NOW);
      calls.length = 0;
      await ask(h, NOW - 60 * M, NOW);
      // 10 minutes of freshness: the last 10 points (and the one at now) are asked again.
      expect(asked(calls)).toEqual([[NOW - 10 * M, NOW]]);
    });

    it('fills holes between cached stretches, one querier call per hole', async () => {
      const { h, calls } = setup();
      await ask(h, NOW - 300 * M, NOW - 250 * M);
      await ask(h, NOW - 200 * M, NOW - 150 * M);
      calls.length = 0;
      const res = await ask(h, NOW - 320 * M, NOW - 100 * M);
      expect(asked(calls)).toEqual([
        [NOW - 320 * M, NOW - 301 * M],
        [NOW - 249 * M, NOW - 201 * M],
        [NOW - 149 * M, NOW - 100 * M],
      ]);
      expect(JSON.parse(res.body).data.result[0].values.map(([t]: [number]) => t * 1000)).toEqual(Array.from({ length: 221 }, (_, k) => NOW - 320 * M + k * M));
    });

    it.each([
      { name: 'the cached window itself', start: NOW - 2 * D, end: NOW - D - 60 * M },
      { name: 'a window inside one cached split', start: NOW - 2 * D + 7 * M, end: NOW - 2 * D + 100 * M },
      { name: 'a window over two cached splits (a day boundary)', start: NOW - D - 300 * M, end: NOW - D + 200 * M },
    ])('answers $name wholly from cached bytes, exactly as the queriers\' answer merged', async ({ start, end }) => {
      const { h, calls } = setup();
      await ask(h, NOW - 2 * D, NOW - 60 * M);
      calls.length = 0;
      const warm = await ask(h, start, end);
      expect(calls).toHaveLength(0);
      expect(warm.chunks?.every((c) => Buffer.isBuffer(c))).toBe(true);
      // The same window asked of an empty cache: fetched, merged and written point by point.
      const cold = await ask(setup().h, start, end);
      expect(cold.chunks).toBeUndefined();
      expect(warm.body).toBe(cold.body);
      expect(Buffer.concat(warm.chunks!).toString('utf8')).toBe(cold.body);
    });

    it('keeps grids of another step or phase apart', async () => {
      const { h, calls } = setup();
      await ask(h, NOW - 120 * M, NOW - 60 * M);
      calls.length = 0;
      await ask(h, NOW - 120 * M + 30_000, NOW - 60 * M + 30_000); // same step, grid shifted by 30 s
      await ask(h, NOW - 120 * M, NOW - 60 * M, 2 * M);
      expect(calls).toHaveLength(2);
    });
  });

  describe('series deletions', () => {
    const params = rangeParams('up', NOW - 3 * D, NOW - D, 3_600_000);
    const ask = (h: QueryFrontendHandler, tenant = 't') => h.handle({ tenant, path: '/api/v1/query_range', method: 'POST', params });

    /** A handler whose clock and deletion generations (per tenant; a thrown error for "broken") the test moves. */
    function withGenerations() {
      const calls: DownstreamRequest[] = [];
      const registry = new Registry();
      const clock = { now: NOW };
      const generations = new Map<string, number>();
      const scheduler = new PushScheduler({ maxConcurrent: 4, maxOutstandingPerTenant: 100, queueTimeoutMs: 0 }, fakeQuerier(calls));
      const cache = new MemoryCache(defaultMemoryCacheConfig(), 'results', registry);
      const h = new QueryFrontendHandler(defaultQueryFrontendConfig(), scheduler, cache, defaultFrontendTenantLimits, () => clock.now, nopLogger, registry);
      h.setSeriesDeletions({
        generation: async (tenant) => {
          if (tenant === 'broken') throw new Error('bucket down');
          return generations.get(tenant) ?? 0;
        },
      });
      const asked = async (tenant = 't') => {
        const before = calls.length;
        await ask(h, tenant);
        return calls.length - before;
      };
      return { h, clock, generations, asked };
    }

    it('retires every cached answer of the tenant when its deletion generation moves', async () => {
      const { clock, generations, asked } = withGenerations();
      expect(await asked()).toBe(2);
      expect(await asked()).toBe(0);
      expect(await asked('u')).toBe(2);

      generations.set('t', NOW - 60_000);
      expect(await asked()).toBe(2);
      // Cached again under the new generation, once queriers surely know of the change; the
      // other tenant's answers stay.
      expect(await asked()).toBe(0);
      expect(await asked('u')).toBe(0);

      clock.now += 60_000;
      generations.set('t', clock.now);
      expect(await asked()).toBe(2);
    });

    it('caches nothing for deletionCacheHoldMs after a change: queriers may still answer from the requests they knew', async () => {
      const { clock, generations, asked } = withGenerations();
      generations.set('t', NOW - 1_000);
      expect(await asked()).toBe(2);
      expect(await asked()).toBe(2);
      clock.now = NOW - 1_000 + defaultQueryFrontendConfig().deletionCacheHoldMs;
      expect(await asked()).toBe(2);
      expect(await asked()).toBe(0);
    });

    it('neither reads nor writes the cache when the generation cannot be read', async () => {
      const { asked } = withGenerations();
      expect(await asked('broken')).toBe(2);
      expect(await asked('broken')).toBe(2);
    });
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

  describe('per-tenant limits', () => {
    const H = 3_600_000;
    const range = (tenant: string, start: number, end: number, step = H): FrontendRequest => ({ tenant, path: '/api/v1/query_range', method: 'POST', params: rangeParams('up', start, end, step) });

    it('refuses a range longer than max_query_length with a 400 bad_data naming the tenant and the limit', async () => {
      const { h, calls } = setup({ maxQueryLengthMs: 2 * D });
      const res = await h.handle(range('limited', NOW - 3 * D, NOW));
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({
        status: 'error',
        errorType: 'bad_data',
        error:
          'the query time range exceeds the limit (query length: 3d, limit: 2d) for tenant "limited"; shorten the query\'s time range, or raise max_query_length (-query-frontend.max-query-length) for the tenant in the runtime config',
      });
      expect(calls).toHaveLength(0);
    });

    it.each([
      ['a range within the limit', 'limited', 2 * D],
      ['another tenant, whose limit is off', 'other', 5 * D],
    ])('runs %s', async (_name, tenant, length) => {
      const { h } = setup({ maxQueryLengthMs: 2 * D });
      expect((await h.handle(range(tenant, NOW - length, NOW))).status).toBe(200);
    });

    it('starts a range reaching past max_query_lookback at the lookback, on the query\'s step grid', async () => {
      const { h, calls } = setup({ maxQueryLookbackMs: 2 * D + 30 * 60_000 });
      const res = await h.handle(range('limited', NOW - 5 * D, NOW));
      expect(res.status).toBe(200);
      const starts = calls.map((c) => Number(c.params.get('start')) * 1000).sort((a, b) => a - b);
      // 2 days 30 minutes back, moved up to the next whole hour of the grid.
      expect(starts[0]).toBe(NOW - 2 * D);
      expect(JSON.parse(res.body).data.result[0].values[0][0]).toBe((NOW - 2 * D) / 1000);
    });

    it('applies max_query_length to what max_query_lookback left of the range', async () => {
      const { h } = setup({ maxQueryLookbackMs: D, maxQueryLengthMs: D });
      expect((await h.handle(range('limited', NOW - 10 * D, NOW))).status).toBe(200);
    });

    it.each([
      ['a range query', { path: '/api/v1/query_range', params: rangeParams('up', NOW - 5 * D, NOW - 4 * D, H) }, { resultType: 'matrix', result: [] }],
      ['an instant query', { path: '/api/v1/query', params: new URLSearchParams({ query: 'up', time: String((NOW - 4 * D) / 1000) }) }, { resultType: 'vector', result: [] }],
      ['a series request', { path: '/api/v1/series', params: new URLSearchParams({ 'match[]': 'up', start: '0', end: String((NOW - 4 * D) / 1000) }) }, []],
    ])('answers %s wholly older than max_query_lookback empty, without a querier', async (_name, req, data) => {
      const { h, calls } = setup({ maxQueryLookbackMs: 2 * D });
      const res = await h.handle({ tenant: 'limited', method: 'POST', ...req });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'success', data });
      expect(calls).toHaveLength(0);
    });

    it('moves the start of label requests up to max_query_lookback', async () => {
      const { h, calls } = setup({ maxQueryLookbackMs: 2 * D });
      await h.handle({ tenant: 'limited', path: '/api/v1/label/job/values', method: 'GET', params: new URLSearchParams() });
      expect(calls[0].params.get('start')).toBe(String((NOW - 2 * D) / 1000));
    });
  });

  describe('query stats', () => {
    it('answers X-Panoptes-Query-Stats when asked: samples summed over splits, the largest peak, splits and cache hits', async () => {
      const { h } = setup();
      const req: FrontendRequest = { tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('up', 0, 3 * D - 3_600_000, 3_600_000), wantStats: true };
      await h.handle(req); // fills the cache with the three (old) days
      const res = await h.handle({ ...req, params: rangeParams('up', 0, 4 * D - 3_600_000, 3_600_000) });
      // Day 4 from a querier: 2 series × 24 steps; days 1-3 from the cache.
      expect(res.headers?.['X-Panoptes-Query-Stats']).toMatch(/^samples=48,peak=2,duration_ms=\d+,splits=4,cache_hits=3$/);
      expect(res.headers?.['X-Panoptes-Querier-Stats']).toBeUndefined();
    });

    it('leaves the header out unless asked, and never passes on the querier\'s own', async () => {
      const { h } = setup();
      const res = await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('up', 0, D, 3_600_000) });
      expect(res.headers).toBeUndefined();
    });

    it('logs one line per query with what was asked and what it cost', async () => {
      const { h, lines } = setup();
      await h.handle({ tenant: 't', path: '/api/v1/query_range', method: 'POST', params: rangeParams('sum(up)', 0, 2 * D - 3_600_000, 3_600_000) });
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /level=info tenant=t msg="query stats" method=POST path=\/api\/v1\/query_range query=sum\(up\) start=1970-01-01T00:00:00.000Z end=1970-01-02T23:00:00.000Z step=1h status=200 duration_ms=[\d.]+ splits=2 cache_hits=0 cache_misses=2 samples=96 peak_samples=2\n$/,
      );
    });

    it('logs a refused query with its status and error', async () => {
      const { h, lines } = setup({ maxQueryLengthMs: D });
      await h.handle({ tenant: 'limited', path: '/api/v1/query_range', method: 'POST', params: rangeParams('up', 0, 2 * D, 3_600_000) });
      expect(lines[0]).toMatch(/status=400 .*splits=0 .*err="the query time range exceeds the limit/);
    });
  });

  it('answers a full tenant queue with 429 too_many_requests in the error envelope', async () => {
    const never = new Promise<DownstreamResponse>(() => undefined);
    const scheduler = new PushScheduler({ maxConcurrent: 1, maxOutstandingPerTenant: 1, queueTimeoutMs: 0 }, () => never);
    const h = new QueryFrontendHandler(defaultQueryFrontendConfig(), scheduler, undefined, defaultFrontendTenantLimits, () => NOW, nopLogger, new Registry());
    const req: FrontendRequest = { tenant: 't', path: '/api/v1/labels', method: 'GET', params: new URLSearchParams() };
    void h.handle(req); // runs forever
    void h.handle(req); // queued
    const res = await h.handle(req);
    expect(res.status).toBe(429);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'error', errorType: 'too_many_requests', error: expect.stringContaining('too many outstanding requests for tenant t') });
  });
});
