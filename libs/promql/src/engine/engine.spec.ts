import { Matcher } from '@panoptes/tsdb';
import { QueryCanceledError, QueryTooManySamplesError } from '../errors';
import { Engine, defaultEngineConfig } from './engine';
import { MemoryQueryable } from './memory-queryable';
import type { Queryable, SelectHints, StoredSeries } from './types';

const T = 'tenant-a';

function storage(): MemoryQueryable {
  const m = new MemoryQueryable();
  // Two series scraped every 15 s for 10 minutes: a counter and a gauge.
  const counter = Array.from({ length: 41 }, (_, i) => ({ t: i * 15_000, v: i * 10 }));
  m.add(T, [['__name__', 'requests_total'], ['job', 'api']], counter);
  m.add(T, [['__name__', 'requests_total'], ['job', 'web']], counter.map((s) => ({ ...s, v: s.v * 2 })));
  m.add(T, [['__name__', 'temp'], ['room', 'a']], [{ t: 0, v: 20 }, { t: 60_000, v: 21 }, { t: 120_000, v: 0, stale: true }]);
  return m;
}

describe('Engine', () => {
  const engine = new Engine();

  it('evaluates an instant query over XOR-chunked storage', async () => {
    const r = await engine.instantQuery(storage(), T, 'sum(rate(requests_total[1m]))', 600_000);
    expect(r.value.resultType).toBe('vector');
    if (r.value.resultType !== 'vector') return;
    expect(r.value.result).toHaveLength(1);
    expect(r.value.result[0].labels).toEqual([]);
    expect(r.value.result[0].v).toBeCloseTo(2, 10); // (10 + 20) per 15 s
  });

  it('keeps tenants apart', async () => {
    const r = await engine.instantQuery(storage(), 'tenant-b', 'requests_total', 600_000);
    expect(r.value).toEqual({ resultType: 'vector', result: [] });
  });

  it('ends a series at its staleness marker instead of the 5m lookback', async () => {
    const r = await engine.rangeQuery(storage(), T, 'temp', 0, 240_000, 60_000);
    if (r.value.resultType !== 'matrix') throw new Error('expected matrix');
    expect(Array.from(r.value.result[0].ts)).toEqual([0, 60_000]);
    expect(Array.from(r.value.result[0].vs)).toEqual([20, 21]);
  });

  it('returns range results sorted by labels with one point per step', async () => {
    const r = await engine.rangeQuery(storage(), T, 'requests_total', 0, 60_000, 30_000);
    if (r.value.resultType !== 'matrix') throw new Error('expected matrix');
    expect(r.value.result.map((s) => s.labels)).toEqual([
      [['__name__', 'requests_total'], ['job', 'api']],
      [['__name__', 'requests_total'], ['job', 'web']],
    ]);
    expect(Array.from(r.value.result[0].vs)).toEqual([0, 20, 40]);
  });

  it('asks storage only for the range each selector needs', async () => {
    const seen: SelectHints[] = [];
    const inner = storage();
    const spy: Queryable = {
      querier: (tenant, minT, maxT) => {
        const q = inner.querier(tenant, minT, maxT);
        return { ...q, select: (m: readonly Matcher[], h: SelectHints) => (seen.push(h), q.select(m, h)) };
      },
    };
    await engine.instantQuery(spy, T, 'rate(requests_total[2m] offset 1m)', 600_000);
    expect(seen).toEqual([{ start: 600_000 - 60_000 - 120_000 + 1, end: 540_000, step: 0, range: 120_000, func: 'rate' }]);
  });

  it('merges overlapping chunks of the same series from several sources', async () => {
    const a = new MemoryQueryable();
    a.add(T, [['__name__', 'x']], [{ t: 0, v: 1 }, { t: 10_000, v: 2 }]);
    const b = new MemoryQueryable();
    b.add(T, [['__name__', 'x']], [{ t: 10_000, v: 2 }, { t: 20_000, v: 3 }]);
    const both: Queryable = {
      querier: (tenant, minT, maxT) => {
        const qa = a.querier(tenant, minT, maxT);
        const qb = b.querier(tenant, minT, maxT);
        return {
          ...qa,
          select: (m: readonly Matcher[], h: SelectHints): StoredSeries[] => {
            const sa = qa.select(m, h) as StoredSeries[];
            const sb = qb.select(m, h) as StoredSeries[];
            return [{ labels: sa[0].labels, chunks: [...sb[0].chunks, ...sa[0].chunks] }];
          },
        };
      },
    };
    const r = await engine.instantQuery(both, T, 'x[1m]', 20_000);
    if (r.value.resultType !== 'matrix') throw new Error('expected matrix');
    expect(Array.from(r.value.result[0].ts)).toEqual([0, 10_000, 20_000]);
    expect(Array.from(r.value.result[0].vs)).toEqual([1, 2, 3]);
  });

  it.each([
    ['a range-vector range query', () => engine.rangeQuery(storage(), T, 'requests_total[5m]', 0, 60_000, 15_000), /invalid expression type "range vector" for range query/],
    ['a zero step', () => engine.rangeQuery(storage(), T, 'up', 0, 60_000, 0), /zero or negative query resolution step/],
    ['a syntax error', () => engine.instantQuery(storage(), T, 'sum(', 0), /parse error/],
    ['many-to-many matching', () => engine.instantQuery(storage(), T, 'requests_total + on() requests_total', 600_000), /many-to-many matching not allowed/],
  ])('rejects %s', async (_name, run, message) => {
    await expect(run()).rejects.toThrow(message);
  });

  it('stops a query that would hold more than max-samples samples with Prometheus\'s message', async () => {
    const small = new Engine({ ...defaultEngineConfig(), maxSamples: 50 });
    await expect(small.rangeQuery(storage(), T, 'requests_total', 0, 600_000, 15_000)).rejects.toThrow(QueryTooManySamplesError);
    await expect(small.rangeQuery(storage(), T, 'requests_total', 0, 600_000, 15_000)).rejects.toThrow(
      'query processing would load too many samples into memory in query execution',
    );
  });

  it('reports the peak of samples held at once', async () => {
    const r = await engine.rangeQuery(storage(), T, 'sum(requests_total)', 0, 600_000, 15_000);
    expect(r.stats.peakSamples).toBe(41 * 2 + 41);
    expect(r.stats.totalSamples).toBe(82);
  });

  it('stops when the caller aborts', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(engine.instantQuery(storage(), T, 'requests_total', 0, { signal: ac.signal })).rejects.toThrow(QueryCanceledError);
  });
});
