import { type Labels, XorChunkIterator } from '@panoptes/block-formats';
import type { SeriesDeletionRequest } from '@panoptes/bucket-index';
import { nopLogger } from '@panoptes/log';
import type { StoredSeries } from '@panoptes/promql';
import { SeriesDeletionFilter } from './series-deletions';
import { samplesBetween, xorChunk } from './testing/blocks';

const T0 = Date.UTC(2024, 5, 1);
const M = 60_000;
const labels = (job: string, extra: Record<string, string> = {}): Labels =>
  Object.entries({ __name__: 'up', job, ...extra }).sort(([a], [b]) => (a < b ? -1 : 1));

/** A series with one chunk per [from, to] pair, a sample every minute. */
function series(job: string, ...ranges: [number, number][]): StoredSeries {
  return { labels: labels(job), chunks: ranges.map(([from, to]) => xorChunk(samplesBetween(T0 + from * M, T0 + to * M, M))) };
}

function request(matchers: string[], fromMin: number, toMin: number, id = '01J00000000000000000000001'): SeriesDeletionRequest {
  return { id, tenant: 't1', matchers, startMs: T0 + fromMin * M, endMs: T0 + toMin * M, createdAt: T0, state: 'pending' };
}

/** Minutes after T0 of every sample of each series, by job. */
function minutes(list: StoredSeries[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of list) {
    const ts: number[] = [];
    for (const c of s.chunks) {
      const it = new XorChunkIterator(c.data);
      while (it.next()) ts.push((it.t - T0) / M);
    }
    out[s.labels.find(([n]) => n === 'job')![1]] = ts;
  }
  return out;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('SeriesDeletionFilter', () => {
  const filter = new SeriesDeletionFilter(nopLogger);

  it.each([
    {
      name: 'a matching series keeps its samples outside the range, chunks re-encoded only where the range cuts them',
      input: [series('api', [0, 9], [10, 19], [20, 29])],
      requests: [request(['up{job="api"}'], 5, 14)],
      want: { api: [...range(0, 4), ...range(15, 29)] },
    },
    {
      name: 'a series whose every sample is in the range disappears',
      input: [series('api', [0, 9]), series('web', [0, 9])],
      requests: [request(['up{job="api"}'], 0, 9)],
      want: { web: range(0, 9) },
    },
    {
      name: 'a series matching any of the selectors is affected',
      input: [series('api', [0, 9]), series('web', [0, 9]), series('db', [0, 9])],
      requests: [request(['up{job="api"}', '{__name__="up", job=~"w.*"}'], 0, 4)],
      want: { api: range(5, 9), web: range(5, 9), db: range(0, 9) },
    },
    {
      name: 'the ranges of several requests add up',
      input: [series('api', [0, 29])],
      requests: [request(['up{job="api"}'], 0, 4), request(['up'], 10, 14, '01J00000000000000000000002'), request(['up{job="api"}'], 13, 20, '01J00000000000000000000003')],
      want: { api: [...range(5, 9), ...range(21, 29)] },
    },
    {
      name: 'a matcher on a label the series lacks compares with ""',
      input: [series('api', [0, 9])],
      requests: [request(['up{zone=""}'], 0, 4), request(['up{zone="eu"}'], 5, 9, '01J00000000000000000000002')],
      want: { api: range(5, 9) },
    },
  ])('$name', ({ input, requests, want }) => {
    expect(minutes(filter.apply(input, requests))).toEqual(want);
  });

  it('passes unrelated series, and series the range does not touch, on as the same objects', () => {
    const input = [series('api', [0, 9]), series('web', [0, 9])];
    const out = filter.apply(input, [request(['up{job="web"}'], 10, 20), request(['up{job="db"}'], 0, 9, '01J00000000000000000000002')]);
    expect(out).toBe(input);
    const partly = filter.apply(input, [request(['up{job="web"}'], 0, 4)]);
    expect(partly[0]).toBe(input[0]);
    expect(partly[1]).not.toBe(input[1]);
    expect(input[1].chunks[0].minT).toBe(T0);
  });

  it('returns the input itself when there are no requests', () => {
    const input = [series('api', [0, 9])];
    expect(filter.apply(input, [])).toBe(input);
  });

  it('ignores a stored request whose selector does not parse', () => {
    const input = [series('api', [0, 9])];
    expect(minutes(filter.apply(input, [request(['up{'], 0, 9), request(['up'], 0, 4, '01J00000000000000000000002')]))).toEqual({ api: range(5, 9) });
  });
});
