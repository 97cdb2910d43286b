import { Registry } from 'prom-client';
import { Head } from './head';
import { HeadConfig } from './head-config';
import { Matcher } from './matcher';
import { HOUR, STALE_NAN, T0, newHead, read, seriesRef } from './testing/head-test-util';

// `HeadAppender.appendRun` (a series' samples from columns, runs of in-order samples encoded in
// one go) must do exactly what `append` does sample by sample: same outcomes, counts and errors,
// same chunks (bytes), same head time range.

interface Case {
  name: string;
  config?: Partial<HeadConfig>;
  /** Samples appended (per sample, in one batch) before the run, to series `a`. */
  before?: Array<[number, number]>;
  /** A sample of another series first (moves the head's max time: older samples become too old). */
  other?: [number, number];
  /** `markCut` before the run (a forced cut ending there). */
  cutAt?: number;
  run: Array<[number, number]>;
}

const seq = (n: number, from = T0, step = 15_000, value = (k: number) => k * 1.5): Array<[number, number]> =>
  Array.from({ length: n }, (_, k) => [from + k * step, value(k)]);

const cases: Case[] = [
  { name: 'ten in-order samples', run: seq(10) },
  { name: 'one sample', run: seq(1) },
  { name: 'a run continuing a series', before: seq(3), run: seq(5, T0 + 45_000) },
  { name: 'over chunkMaxSamples twice', run: seq(300) },
  { name: 'a small chunk size', config: { chunkMaxSamples: 4 }, run: seq(11) },
  { name: 'across a block boundary', run: seq(8, T0 + 2 * HOUR - 60_000) },
  { name: 'across the end of a forced cut', before: seq(2, T0 + 10 * 60_000), cutAt: T0 + 11 * 60_000, run: seq(6, T0 + 10 * 60_000 + 45_000) },
  { name: 'a duplicate with the same value in the middle', run: [...seq(3), [T0 + 30_000, 3], ...seq(2, T0 + 45_000, 15_000, (k) => 10 + k)] },
  { name: 'a duplicate timestamp with another value', run: [...seq(3), [T0 + 30_000, 99], ...seq(2, T0 + 45_000)] },
  { name: 'out of order in the middle', run: [...seq(4), [T0 + 5_000, 1], ...seq(3, T0 + 60_000)] },
  { name: 'out of order with an out-of-order window', config: { outOfOrderTimeWindowMs: HOUR }, run: [...seq(4), [T0 + 5_000, 1], ...seq(3, T0 + 60_000)] },
  { name: 'too old samples first', other: [T0 + 5 * HOUR, 1], run: seq(6, T0 + 3 * HOUR) },
  { name: 'invalid timestamps', run: [[T0, 1], [T0 + 0.5, 2], [2 ** 52, 3], [T0 + 15_000, 4], [-(2 ** 52), 5], [T0 + 30_000, 6]] },
  { name: 'special values (stale marker, NaN, infinities, -0)', run: [[T0, 1], [T0 + 1, STALE_NAN], [T0 + 2, NaN], [T0 + 3, Infinity], [T0 + 4, -Infinity], [T0 + 5, -0], [T0 + 6, 0]] },
  { name: 'irregular intervals (every delta-of-delta size)', run: [0, 1, 3, 10_000, 10_001, 200_000, 200_003, 1_200_000, 1_300_000_000, 1_300_000_007].map((d, k) => [T0 + d, k * 7.25] as [number, number]) },
];

function setUp(c: Case): { head: Head; ref: number } {
  const head = newHead(c.config ?? {}, new Registry());
  if (c.other) {
    const app = head.appender();
    app.append(seriesRef(head, { __name__: 'other' }), c.other[0], c.other[1]);
    app.commit();
  }
  const ref = seriesRef(head, { __name__: 'a' });
  if (c.before) {
    const app = head.appender();
    for (const [t, v] of c.before) app.append(ref, t, v);
    app.commit();
  }
  if (c.cutAt !== undefined) head.markCut(c.cutAt);
  return { head, ref };
}

describe('HeadAppender.appendRun', () => {
  it.each(cases)('does what per-sample appends do: $name', (c) => {
    const one = setUp(c);
    const app1 = one.head.appender();
    for (const [t, v] of c.run) app1.append(one.ref, t, v);
    const perSample = app1.commit();

    const run = setUp(c);
    const ts = Float64Array.from(c.run.map(([t]) => t));
    const values = Float64Array.from(c.run.map(([, v]) => v));
    const app2 = run.head.appender();
    // A column with other series' samples around it, as in a decoded request.
    const padded = new Float64Array(ts.length + 2);
    padded.set(ts, 1);
    const paddedValues = new Float64Array(values.length + 2);
    paddedValues.set(values, 1);
    app2.appendRun(run.ref, padded, new Uint32Array(paddedValues.buffer), 1, 1 + ts.length);
    const batched = app2.commit();

    expect({ ...batched, errors: batched.errors.map((e) => e.message), error: batched.error?.message }).toEqual({
      ...perSample,
      errors: perSample.errors.map((e) => e.message),
      error: perSample.error?.message,
    });
    const all = [new Matcher('=~', '__name__', '.+')];
    expect(read(run.head, all)).toEqual(read(one.head, all));
    expect([run.head.minTime, run.head.maxTime]).toEqual([one.head.minTime, one.head.maxTime]);
    const chunks = (h: Head) => [...h.select(all, -Infinity, Infinity)].map((s) => s.chunks.map((ch) => Buffer.from(ch.data).toString('hex')));
    expect(chunks(run.head)).toEqual(chunks(one.head));
  });
});
