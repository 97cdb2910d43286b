import { LimitError, UnavailableError, ValidationError } from '@panoptes/common';
import { PromQLExecutionError, PromQLParseError, QueryCanceledError, QueryTimeoutError, QueryTooManySamplesError, type QueryResult } from '@panoptes/promql';
import { formatQuery, query, queryExemplars, queryRange } from './query';
import { form, labels, testContext } from './testing/fakes';
import type { ExemplarSource } from './types';

const stats = { peakSamples: 7, totalSamples: 42 };
const result = (value: QueryResult['value'], warnings: string[] = [], infos: string[] = []): QueryResult => ({ value, warnings, infos, stats });

describe('query (instant)', () => {
  it('answers Grafana health check 1+1 at time=4 as a scalar', async () => {
    const ctx = testContext();
    ctx.engine.result = result({ resultType: 'scalar', t: 4000, v: 2 });
    const res = await query(form({ query: '1+1', time: '4' }), ctx);
    expect(res.status).toBe(200);
    expect(res.headers['Content-Type']).toBe('application/json');
    expect(res.body).toBe('{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}');
    expect(ctx.engine.calls).toEqual([expect.objectContaining({ kind: 'instant', tenant: 't1', query: '1+1', timeMs: 4000 })]);
  });

  it('writes a vector with labels, a millisecond timestamp and special values', async () => {
    const ctx = testContext();
    ctx.engine.result = result({
      resultType: 'vector',
      result: [
        { labels: labels({ __name__: 'up', job: 'api' }), t: 1_700_000_000_500, v: 1 },
        { labels: labels({ job: 'db' }), t: 1_700_000_000_500, v: NaN },
        { labels: [], t: 1_700_000_000_500, v: -Infinity },
      ],
    });
    const res = await query(form({ query: 'up', time: '1700000000.5' }), ctx);
    expect(res.body).toBe(
      '{"status":"success","data":{"resultType":"vector","result":[' +
        '{"metric":{"__name__":"up","job":"api"},"value":[1700000000.500,"1"]},' +
        '{"metric":{"job":"db"},"value":[1700000000.500,"NaN"]},' +
        '{"metric":{},"value":[1700000000.500,"-Inf"]}]}}',
    );
  });

  it('writes a string result with an encoding/json timestamp', async () => {
    const ctx = testContext();
    ctx.engine.result = result({ resultType: 'string', t: 1500, v: 'a<b' });
    const res = await query(form({ query: '"a<b"', time: '1.5' }), ctx);
    expect(res.body).toBe('{"status":"success","data":{"resultType":"string","result":[1.5,"a\\u003cb"]}}');
  });

  it('writes a scalar value in fixed notation, never with an exponent', async () => {
    const ctx = testContext();
    ctx.engine.result = result({ resultType: 'scalar', t: 1000, v: 1e21 });
    const res = await query(form({ query: '1e21', time: '1' }), ctx);
    expect(res.body).toBe('{"status":"success","data":{"resultType":"scalar","result":[1,"1000000000000000000000"]}}');
  });

  it('evaluates at now() when time is absent', async () => {
    const ctx = testContext();
    await query(form({ query: 'up' }), ctx);
    expect(ctx.engine.calls[0]).toMatchObject({ timeMs: 1_700_000_000_000 });
  });

  it('passes lookback_delta to the engine and leaves it unset when absent or zero', async () => {
    const ctx = testContext();
    await query(form({ query: 'up', lookback_delta: '1m' }), ctx);
    await query(form({ query: 'up', lookback_delta: '0' }), ctx);
    await query(form({ query: 'up' }), ctx);
    expect(ctx.engine.calls.map((c) => c.options.lookbackDeltaMs)).toEqual([60_000, undefined, undefined]);
  });

  it('adds warnings and infos, each once and at most ten of each', async () => {
    const ctx = testContext();
    const many = Array.from({ length: 12 }, (_, i) => `PromQL warning: w${i}`);
    ctx.engine.result = result({ resultType: 'vector', result: [] }, [...many, many[0]], ['PromQL info: i<1>']);
    const body = JSON.parse((await query(form({ query: 'up' }), ctx)).body);
    expect(body.warnings).toEqual([...many.slice(0, 10), '2 more warning annotations omitted']);
    expect(body.infos).toEqual(['PromQL info: i<1>']);
  });

  it.each<[string, string]>([
    ['stats=true', 'true'],
    ['stats=all', 'all'],
  ])('adds query stats with %s', async (_name, value) => {
    const ctx = testContext();
    const res = await query(form({ query: 'up', stats: value }), ctx);
    expect(JSON.parse(res.body).data.stats).toEqual({
      timings: { evalTotalTime: 0, resultSortTime: 0, queryPreparationTime: 0, innerEvalTime: 0, execQueueTime: 0, execTotalTime: 0 },
      samples: { totalQueryableSamples: 0, peakSamples: 0 },
    });
  });

  it('leaves stats out when not asked for', async () => {
    const res = await query(form({ query: 'up' }), testContext());
    expect(JSON.parse(res.body).data).not.toHaveProperty('stats');
  });

  it('times out after the timeout parameter when the engine honours the signal', async () => {
    const ctx = testContext();
    ctx.engine.impl = (options) =>
      new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(new QueryCanceledError('query was canceled'))));
    const res = await query(form({ query: 'up', timeout: '0.02' }), ctx);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
  });

  it('reports a client cancellation as canceled, not as a timeout', async () => {
    const client = new AbortController();
    const ctx = testContext({ signal: client.signal });
    ctx.engine.impl = (options) =>
      new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(new QueryCanceledError('query was canceled'))));
    const pending = query(form({ query: 'up', timeout: '60' }), ctx);
    client.abort();
    const res = await pending;
    expect([res.status, JSON.parse(res.body).errorType]).toEqual([499, 'canceled']);
  });

  it.each<[string, unknown, number, string, string]>([
    ['a parse error', new PromQLParseError('1+', { start: 2, end: 2 }, 'unexpected end of input'), 400, 'bad_data', 'invalid parameter "query": 1:3: parse error: unexpected end of input'],
    ['an execution error', new PromQLExecutionError('vector cannot contain metrics with the same labelset'), 422, 'execution', 'vector cannot contain metrics with the same labelset'],
    ['too many samples', new QueryTooManySamplesError('query processing would load too many samples into memory'), 422, 'execution', 'query processing would load too many samples into memory'],
    ['an engine timeout', new QueryTimeoutError('query timed out in expression evaluation'), 503, 'timeout', 'query timed out in expression evaluation'],
    ['a cancellation', new QueryCanceledError('query was canceled in expression evaluation'), 499, 'canceled', 'query was canceled in expression evaluation'],
    ['unavailable storage', new UnavailableError('ingesters_unavailable', 'too many unhealthy ingesters'), 503, 'unavailable', 'too many unhealthy ingesters'],
    ['a tenant limit, as Mimir answers it', new LimitError('max_fetched_series', 'the query exceeded the maximum number of series (limit: 10)'), 422, 'execution', 'the query exceeded the maximum number of series (limit: 10)'],
    ['a bug', new TypeError('x is undefined'), 500, 'internal', 'x is undefined'],
  ])('maps %s to its status and errorType', async (_name, error, status, errorType, message) => {
    const ctx = testContext();
    ctx.engine.error = error;
    const res = await query(form({ query: '1+' }), ctx);
    expect(res.status).toBe(status);
    expect(res.body).toBe(JSON.stringify({ status: 'error', errorType, error: message }));
  });

  it('escapes HTML characters in error messages as Prometheus does', async () => {
    const ctx = testContext();
    ctx.engine.error = new PromQLParseError('1 + +', { start: 4, end: 5 }, 'unexpected <op:+>');
    const res = await query(form({ query: '1 + +' }), ctx);
    expect(res.body).toBe('{"status":"error","errorType":"bad_data","error":"invalid parameter \\"query\\": 1:5: parse error: unexpected \\u003cop:+\\u003e"}');
  });

  it.each<[string, Record<string, string>, string]>([
    ['bad time', { time: 'x' }, 'invalid parameter "time": cannot parse "x" to a valid timestamp'],
    ['bad timeout', { timeout: 'x' }, 'invalid parameter "timeout": cannot parse "x" to a valid duration'],
    ['bad lookback_delta', { lookback_delta: 'x' }, 'error parsing lookback delta duration: cannot parse "x" to a valid duration'],
  ])('rejects %s with 400 bad_data', async (_name, extra, message) => {
    const ctx = testContext();
    const res = await query(form({ query: 'up', ...extra }), ctx);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ status: 'error', errorType: 'bad_data', error: message });
    expect(ctx.engine.calls).toHaveLength(0);
  });
});

describe('query_range', () => {
  it('passes Grafana panel parameters to the engine in ms', async () => {
    const ctx = testContext();
    await queryRange(form({ query: 'rate(x[5m])', start: '1700000000', end: '1700003600', step: '15' }), ctx);
    expect(ctx.engine.calls[0]).toMatchObject({ kind: 'range', startMs: 1_700_000_000_000, endMs: 1_700_003_600_000, stepMs: 15_000 });
  });

  it.each<[string, string, number]>([
    ['a Prometheus duration', '1m', 60_000],
    ['fractional seconds', '0.5', 500],
    ['a sub-millisecond step rounds up to 1ms', '0.0001', 1],
  ])('accepts step as %s', async (_name, step, stepMs) => {
    const ctx = testContext();
    await queryRange(form({ query: 'up', start: '0', end: '0', step }), ctx);
    expect(ctx.engine.calls[0]).toMatchObject({ stepMs });
  });

  it('writes a matrix from typed arrays, leaving out values of an empty series', async () => {
    const ctx = testContext();
    ctx.engine.result = result({
      resultType: 'matrix',
      result: [
        { labels: labels({ __name__: 'up' }), ts: Float64Array.of(0, 15_000, 30_500), vs: Float64Array.of(1, 1e-7, Infinity) },
        { labels: labels({ job: 'x' }), ts: new Float64Array(0), vs: new Float64Array(0) },
      ],
    });
    const res = await queryRange(form({ query: 'up', start: '0', end: '30', step: '15' }), ctx);
    expect(res.body).toBe(
      '{"status":"success","data":{"resultType":"matrix","result":[' +
        '{"metric":{"__name__":"up"},"values":[[0,"1"],[15,"1e-07"],[30.500,"+Inf"]]},{"metric":{"job":"x"}}]}}',
    );
  });

  it('accepts exactly 11,000 points per series', async () => {
    const res = await queryRange(form({ query: 'up', start: '0', end: '11000', step: '1' }), testContext());
    expect(res.status).toBe(200);
  });

  it.each<[string, Record<string, string>, string]>([
    ['missing start', { end: '1', step: '1' }, 'invalid parameter "start": cannot parse "" to a valid timestamp'],
    ['bad end', { start: '1', end: 'x', step: '1' }, 'invalid parameter "end": cannot parse "x" to a valid timestamp'],
    ['end before start', { start: '2', end: '1', step: '1' }, 'invalid parameter "end": end timestamp must not be before start time'],
    ['missing step', { start: '1', end: '2' }, 'invalid parameter "step": cannot parse "" to a valid duration'],
    ['bad step', { start: '1', end: '2', step: 'x' }, 'invalid parameter "step": cannot parse "x" to a valid duration'],
    ['zero step', { start: '1', end: '2', step: '0' }, 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
    ['negative step', { start: '1', end: '2', step: '-1' }, 'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer'],
    ['too many points', { start: '0', end: '11001', step: '1' }, 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'],
    ['bad timeout', { start: '0', end: '1', step: '1', timeout: '1x' }, 'invalid parameter "timeout": cannot parse "1x" to a valid duration'],
  ])('rejects %s with 400 bad_data', async (_name, params, message) => {
    const ctx = testContext();
    const res = await queryRange(form({ query: 'up', ...params }), ctx);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ status: 'error', errorType: 'bad_data', error: message });
    expect(ctx.engine.calls).toHaveLength(0);
  });

  it('words an engine error about the query type as a bad query parameter', async () => {
    const ctx = testContext();
    ctx.engine.error = new ValidationError('promql_bad_query', 'invalid expression type "range vector" for range query, must be Scalar or instant Vector');
    const res = await queryRange(form({ query: 'up[5m]', start: '0', end: '1', step: '1' }), ctx);
    expect(JSON.parse(res.body).error).toBe('invalid parameter "query": invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });

  it('serialises a matrix of one million points', async () => {
    const ctx = testContext();
    const n = 100_000;
    const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000);
    const vs = Float64Array.from({ length: n }, (_, i) => i * 0.5);
    ctx.engine.result = result({
      resultType: 'matrix',
      result: Array.from({ length: 10 }, (_, s) => ({ labels: labels({ __name__: 'm', s: String(s) }), ts, vs })),
    });
    const res = await queryRange(form({ query: 'm', start: '0', end: '1', step: '1' }), ctx);
    const lastT = (1_700_000_000_000 + (n - 1) * 15_000) / 1000;
    expect(res.body.startsWith('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"m","s":"0"},"values":[[1700000000,"0"],[1700000015,"0.5"],')).toBe(true);
    expect(res.body.endsWith(`[${lastT},"${(n - 1) * 0.5}"]]}]}}`)).toBe(true);
    expect(res.body.split('],[').length).toBe(10 * (n - 1) + 1);
  });
});

describe('query_exemplars', () => {
  it('answers an empty list without an exemplar source, even for Grafana probe times in ms', async () => {
    const res = await queryExemplars(form({ query: 'test', start: '1700000000000', end: '1700000600000' }), testContext());
    expect(res.body).toBe('{"status":"success","data":[]}');
  });

  it('asks the exemplar source for the selectors of the query and writes its answer', async () => {
    const asked: unknown[] = [];
    const exemplars: ExemplarSource = {
      async queryExemplars(tenant, startMs, endMs, sets) {
        asked.push({ tenant, startMs, endMs, sets: sets.map((s) => s.map(String)) });
        return [{ seriesLabels: labels({ __name__: 'x' }), exemplars: [{ labels: labels({ trace_id: 'abc' }), value: 6, t: 1_600_096_945_479 }] }];
      },
    };
    const res = await queryExemplars(form({ query: 'rate(x{job="a"}[5m])', start: '1', end: '2' }), testContext({ exemplars }));
    expect(res.body).toBe(
      '{"status":"success","data":[{"seriesLabels":{"__name__":"x"},"exemplars":[{"labels":{"trace_id":"abc"},"value":"6","timestamp":1600096945.479}]}]}',
    );
    expect(asked).toEqual([{ tenant: 't1', startMs: 1000, endMs: 2000, sets: [expect.arrayContaining(['job="a"', '__name__="x"'])] }]);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['end before start', { query: 'x', start: '2', end: '1' }, /^end timestamp must not be before start timestamp$/],
    ['a bad query', { query: 'x{', start: '1', end: '2' }, /parse error/],
    ['a bad start', { query: 'x', start: 'y' }, /^invalid parameter "start": cannot parse "y" to a valid timestamp$/],
  ])('rejects %s with 400 bad_data', async (_name, params, message) => {
    const res = await queryExemplars(form(params), testContext());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(message);
  });
});

describe('format_query', () => {
  it('prints the query back in canonical form', async () => {
    const res = await formatQuery(form({ query: 'sum by(job) (rate(foo{job="a",code=~"5.."}[300s]))' }), testContext());
    expect(JSON.parse(res.body)).toEqual({ status: 'success', data: 'sum by (job) (rate(foo{code=~"5..",job="a"}[5m]))' });
  });

  it('rejects a bad query as an invalid query parameter', async () => {
    const res = await formatQuery(form({ query: 'sum(' }), testContext());
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatch(/^invalid parameter "query": 1:\d+: parse error: /);
  });
});
