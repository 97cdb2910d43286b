import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { Head } from './head';
import { AppendOutcome } from './head-appender';
import { defaultHeadConfig } from './head-config';
import { hexBits, HOUR, newHead, read, seededRandom, seriesRef, split, STALE_NAN, T0 } from './testing/head-test-util';
import { Matcher, MatchType } from './matcher';

const m = (type: MatchType, name: string, value: string) => new Matcher(type, name, value);
const BLOCK = 2 * HOUR;

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const values = (metric?.values ?? []) as Array<{ value: number; labels: Record<string, string | number> }>;
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
}

describe('Head: append and select round trip', () => {
  const head = newHead();
  const specs = Array.from({ length: 120 }, (_, i) => ({
    __name__: `metric_${i % 4}`,
    job: `job-${i % 3}`,
    instance: `host-${i}:9100`,
    ...(i % 5 === 0 ? { zone: i % 10 === 0 ? 'eu' : 'us' } : {}),
  }));
  const refs = specs.map((s) => seriesRef(head, s));
  const valueOf = (i: number, k: number) => (i % 7 === 0 && k === 20 ? STALE_NAN : i * 1000 + k * 0.25);

  beforeAll(() => {
    // Interleaved by time across series, one batch, as a scrape-shaped remote-write stream.
    const app = head.appender();
    for (let k = 0; k < 60; k++) {
      for (let i = 0; i < specs.length; i++) app.append(refs[i], T0 + k * 15_000 + i, valueOf(i, k));
    }
    expect(app.commit()).toMatchObject({ appended: 60 * 120, rejected: 0, error: undefined });
  });

  function expected(match: (s: Record<string, string>) => boolean, minT: number, maxT: number) {
    const out: Array<{ labels: string; ts: number[]; bits: string[] }> = [];
    specs.forEach((s, i) => {
      if (!match(s)) return;
      const ts: number[] = [];
      const bits: string[] = [];
      for (let k = 0; k < 60; k++) {
        const t = T0 + k * 15_000 + i;
        if (t < minT || t > maxT) continue;
        ts.push(t);
        bits.push(hexBits(valueOf(i, k)));
      }
      if (ts.length === 0) return;
      const [names, values] = split(s);
      out.push({ labels: names.map((n, j) => `${n}=${values[j]}`).join(','), ts, bits });
    });
    return out;
  }

  const get = (s: Record<string, string>, k: string) => s[k] ?? '';
  it.each<[string, Matcher[], (s: Record<string, string>) => boolean]>([
    ['__name__="metric_1"', [m('=', '__name__', 'metric_1')], (s) => s.__name__ === 'metric_1'],
    ['__name__="metric_1",job="job-2"', [m('=', '__name__', 'metric_1'), m('=', 'job', 'job-2')], (s) => s.__name__ === 'metric_1' && s.job === 'job-2'],
    ['job=~"job-[01]",zone!=""', [m('=~', 'job', 'job-[01]'), m('!=', 'zone', '')], (s) => /^job-[01]$/.test(s.job) && get(s, 'zone') !== ''],
    ['zone="" (series without zone)', [m('=', '__name__', 'metric_0'), m('=', 'zone', '')], (s) => s.__name__ === 'metric_0' && get(s, 'zone') === ''],
    ['instance=~"host-1.*"', [m('=~', 'instance', 'host-1.*')], (s) => s.instance.startsWith('host-1')],
    ['__name__!~"metric_[0-2]"', [m('=~', 'job', '.+'), m('!~', '__name__', 'metric_[0-2]')], (s) => !/^metric_[0-2]$/.test(s.__name__)],
    ['no match', [m('=', '__name__', 'nope')], () => false],
  ])('selects exactly the matching series and samples for %s', (_name, matchers, match) => {
    const minT = T0 + 100_000;
    const maxT = T0 + 400_000;
    expect(read(head, matchers, minT, maxT)).toEqual(expected(match, minT, maxT));
  });

  it('returns whole series over an unbounded range, and none outside the data', () => {
    expect(read(head, [m('=', 'instance', 'host-7:9100')])).toEqual(expected((s) => s.instance === 'host-7:9100', -Infinity, Infinity));
    expect(read(head, [m('=~', 'job', '.+')], T0 + HOUR, T0 + 2 * HOUR)).toEqual([]);
  });

  it('reports series count, time bounds, label names and values (optionally under matchers)', () => {
    expect(head.numSeries).toBe(120);
    expect(head.minTime).toBe(T0);
    expect(head.maxTime).toBe(T0 + 59 * 15_000 + 119);
    expect(head.labelNames()).toEqual(['__name__', 'instance', 'job', 'zone']);
    expect(head.labelNames([m('=', 'zone', 'eu')])).toEqual(['__name__', 'instance', 'job', 'zone']);
    expect(head.labelNames([m('=', 'job', 'job-1'), m('=', 'zone', '')])).toEqual(['__name__', 'instance', 'job']);
    expect(head.labelValues('job')).toEqual(['job-0', 'job-1', 'job-2']);
    expect(head.labelValues('zone', [m('=', 'job', 'job-0')])).toEqual(['eu', 'us']);
    expect(head.labelValues('instance', [m('=', 'zone', 'eu'), m('=', 'job', 'job-0')])).toEqual(['host-0:9100', 'host-30:9100', 'host-60:9100', 'host-90:9100']);
    expect(head.labelValues('nope', [m('=', 'job', 'job-0')])).toEqual([]);
  });

  it('finds an existing series by hash and labels instead of creating it again', () => {
    expect(seriesRef(head, specs[42])).toBe(refs[42]);
    expect(head.numSeries).toBe(120);
  });

  it("gives one label's value of a series", () => {
    expect(head.labelValue(refs[42], 'instance')).toBe('host-42:9100');
    expect(head.labelValue(refs[42], '__name__')).toBe('metric_2');
    expect(head.labelValue(refs[40], 'zone')).toBe('eu');
    expect(head.labelValue(refs[42], 'zone')).toBeUndefined();
    expect(head.labelValue(refs[42], 'nope')).toBeUndefined();
    expect(head.labelValue(1_000_000, 'instance')).toBeUndefined();
  });
});

describe('Head: append rules (Prometheus semantics)', () => {
  const A = { __name__: 'm', job: 'a' };
  const B = { __name__: 'm', job: 'b' };
  /** A value, or its IEEE-754 words (appended with appendBits, as a decoder keeping exact bits would). */
  type V = number | readonly [hi: number, lo: number];
  type Prior = [series: 'A' | 'B', t: number, v: V];
  const STALE = [0x7ff00000, 0x00000002] as const;
  const put = (app: ReturnType<Head['appender']>, ref: number, t: number, v: V) =>
    typeof v === 'number' ? app.append(ref, t, v) : app.appendBits(ref, t, v[0], v[1]);
  it.each<[string, Prior[], [number, V], AppendOutcome, string | undefined, string[]]>([
    ['a newer sample is stored', [['A', 1000, 1]], [2000, 2], AppendOutcome.appended, undefined, []],
    ['the first sample of a series is stored', [], [-5000, 2], AppendOutcome.appended, undefined, []],
    [
      'an older sample is out of order',
      [['A', 1000, 1], ['A', 2000, 2]],
      [1500, 3],
      AppendOutcome.outOfOrder,
      'sample_out_of_order',
      ['out-of-order sample', 'series {__name__="m", job="a"} of tenant "tenant-1"', 'timestamp 1500 ms', 'newest sample at 2000 ms'],
    ],
    [
      'the same timestamp with another value is a duplicate',
      [['A', 1000, 1]],
      [1000, 2],
      AppendOutcome.duplicateTimestamp,
      'sample_duplicate_timestamp',
      ['duplicate sample for timestamp 1000 ms', '{__name__="m", job="a"}', 'tenant "tenant-1"'],
    ],
    ['the same timestamp and value is accepted without storing', [['A', 1000, 1]], [1000, 1], AppendOutcome.duplicateIgnored, undefined, []],
    ['a resent staleness marker is accepted without storing', [['A', 1000, STALE]], [1000, STALE], AppendOutcome.duplicateIgnored, undefined, []],
    ['a plain NaN after a staleness marker at its timestamp is a duplicate (bits differ)', [['A', 1000, STALE]], [1000, NaN], AppendOutcome.duplicateTimestamp, 'sample_duplicate_timestamp', []],
    [
      'a sample older than head max time - blockRange/2 is too old (checked before order)',
      [['A', T0 + 3 * HOUR, 1]],
      [T0 + HOUR, 1],
      AppendOutcome.tooOld,
      'sample_too_old',
      ['too old', '{__name__="m", job="a"}', 'tenant "tenant-1"', `from ${T0 + 2 * HOUR} ms`],
    ],
    ['a new series is too old when another series moved the head on', [['B', T0 + 3 * HOUR, 1]], [T0 + HOUR - 1, 1], AppendOutcome.tooOld, 'sample_too_old', []],
    ['a sample exactly at the min valid time is accepted', [['B', T0 + 3 * HOUR, 1]], [T0 + 2 * HOUR, 1], AppendOutcome.appended, undefined, []],
    ['a fractional timestamp is invalid', [], [1000.5, 1], AppendOutcome.invalidTimestamp, 'sample_invalid_timestamp', ['timestamps must be integer milliseconds']],
    ['a timestamp beyond ±2^51 ms is invalid', [], [2 ** 52, 1], AppendOutcome.invalidTimestamp, 'sample_invalid_timestamp', []],
  ])('%s', (_name, prior, [t, v], outcome, reason, messageParts) => {
    const head = newHead();
    const refs = { A: seriesRef(head, A), B: seriesRef(head, B) };
    const setup = head.appender();
    for (const [s, pt, pv] of prior) expect(put(setup, refs[s], pt, pv)).toBe(AppendOutcome.appended);
    setup.commit();
    const before = read(head, [m('=', 'job', 'a')]);

    const app = head.appender();
    expect(put(app, refs.A, t, v)).toBe(outcome);
    const summary = app.commit();
    if (reason === undefined) {
      expect(summary).toMatchObject({ rejected: 0, errors: [], error: undefined });
      if (outcome === AppendOutcome.appended) expect(read(head, [m('=', 'job', 'a')])[0].ts.at(-1)).toBe(t);
      else expect(read(head, [m('=', 'job', 'a')])).toEqual(before);
    } else {
      expect(summary).toMatchObject({ appended: 0, rejected: 1, rejectedByReason: { [reason]: 1 } });
      expect(summary.errors).toHaveLength(1);
      const err = summary.errors[0];
      expect(err).toMatchObject({ name: 'ValidationError', kind: 'bad_request', reason, tenant: 'tenant-1' });
      for (const part of messageParts) expect(err.message).toContain(part);
      expect(read(head, [m('=', 'job', 'a')])).toEqual(before);
    }
  });

  it('keeps the accepted samples of a batch with rejections and reports counts by reason', async () => {
    const registry = new Registry();
    const head = newHead({}, registry);
    const a = seriesRef(head, A);
    const b = seriesRef(head, B);
    const app = head.appender();
    const outcomes = [
      app.append(a, 1000, 1),
      app.append(a, 500, 9), // out of order
      app.append(b, 1000, 1),
      app.append(a, 1000, 7), // duplicate timestamp
      app.append(b, 2000, 2),
      app.append(a, 1000, 1), // identical: ignored
      app.append(a, 2000, 2),
      app.append(a, 1500, 9), // out of order
    ];
    expect(outcomes).toEqual([0, 2, 0, 3, 0, 1, 0, 2]);
    const summary = app.commit();
    expect(summary).toMatchObject({
      appended: 4,
      duplicatesIgnored: 1,
      rejected: 3,
      rejectedByReason: { sample_out_of_order: 2, sample_duplicate_timestamp: 1 },
    });
    expect(summary.errors.map((e) => e.reason)).toEqual(['sample_out_of_order', 'sample_duplicate_timestamp', 'sample_out_of_order']);
    expect(summary.error).toMatchObject({ reason: 'sample_out_of_order', kind: 'bad_request', tenant: 'tenant-1' });
    expect(summary.error!.message).toMatch(/^3 of 8 samples were rejected \(the other 5 were accepted\): out-of-order sample/);
    expect(read(head, [m('=~', 'job', '.+')]).map((s) => [s.labels, s.ts])).toEqual([
      ['__name__=m,job=a', [1000, 2000]],
      ['__name__=m,job=b', [1000, 2000]],
    ]);
    expect(await metricValue(registry, 'panoptes_ingester_samples_appended_total')).toBe(4);
    expect(await metricValue(registry, 'panoptes_ingester_samples_rejected_total', { reason: 'sample_out_of_order' })).toBe(2);
    expect(await metricValue(registry, 'panoptes_ingester_samples_rejected_total', { reason: 'sample_duplicate_timestamp' })).toBe(1);
    expect(await metricValue(registry, 'panoptes_ingester_memory_series')).toBe(2);
  });

  it('keeps only the first maxAppendErrors errors and counts the rest in the batch error', () => {
    const head = newHead({ maxAppendErrors: 1 });
    const a = seriesRef(head, A);
    const app = head.appender();
    app.append(a, 5000, 1);
    for (let t = 1000; t < 4000; t += 1000) app.append(a, t, 1);
    const summary = app.commit();
    expect(summary.errors).toHaveLength(1);
    expect(summary.error!.message).toContain('3 of 4 samples were rejected');
    expect(summary.error!.message).toContain('; and 2 more');
  });

  it('refuses an unknown series ref', () => {
    const head = newHead();
    expect(() => head.appender().append(12345, 1000, 1)).toThrow(expect.objectContaining({ reason: 'series_not_found', kind: 'not_found' }));
  });

  it.each<[string, string[], string[]]>([
    ['unsorted names', ['job', '__name__'], ['a', 'm']],
    ['a repeated name', ['a', 'a'], ['1', '2']],
    ['an empty value', ['a', 'b'], ['1', '']],
    ['an empty name', [''], ['1']],
    ['no labels', [], []],
    ['more names than values', ['a', 'b'], ['1']],
  ])('refuses to create a series with %s', (_name, names, values) => {
    const head = newHead();
    expect(() => head.getOrCreateSeries(1, names, values)).toThrow(
      expect.objectContaining({ reason: 'series_invalid_labels', tenant: 'tenant-1', message: expect.stringContaining('tenant "tenant-1"') }),
    );
    expect(head.numSeries).toBe(0);
  });
});

describe('Head: hash collisions', () => {
  it('keeps series with the same hash apart by comparing their labels', () => {
    const head = newHead();
    const HASH = 0x1234_5678_9abc;
    const r1 = head.getOrCreateSeries(HASH, ['a'], ['1']);
    const r2 = head.getOrCreateSeries(HASH, ['a'], ['2']);
    const r3 = head.getOrCreateSeries(HASH, ['a', 'b'], ['1', '2']);
    expect(new Set([r1, r2, r3]).size).toBe(3);
    expect([head.getOrCreateSeries(HASH, ['a'], ['2']), head.getOrCreateSeries(HASH, ['a'], ['1']), head.getOrCreateSeries(HASH, ['a', 'b'], ['1', '2'])]).toEqual([r2, r1, r3]);
    const app = head.appender();
    app.append(r1, 1000, 1);
    app.append(r2, 1000, 2);
    app.append(r3, 1000, 3);
    app.commit();
    expect(read(head, [m('=', 'a', '2')]).map((s) => [s.labels, s.bits])).toEqual([['a=2', [hexBits(2)]]]);
    expect(head.numSeries).toBe(3);
  });

  it('still finds colliding series after one of them is garbage-collected and the table grows', () => {
    const head = newHead();
    const refs: number[] = [];
    // 40 series share one hash; 2000 others fill the table past several resizes.
    for (let i = 0; i < 40; i++) refs.push(head.getOrCreateSeries(7, ['id'], [`c${i}`]));
    const app = head.appender();
    refs.forEach((r, i) => app.append(r, i === 3 ? 1000 : T0, 1)); // series c3 only has an old sample
    app.commit();
    head.truncate(T0);
    expect(head.numSeries).toBe(39);
    for (let i = 0; i < 2000; i++) seriesRef(head, { id: `other-${i}` });
    for (let i = 0; i < 40; i++) {
      const ref = head.getOrCreateSeries(7, ['id'], [`c${i}`]);
      if (i === 3) expect(ref).toBeGreaterThan(refs[39]);
      else expect(ref).toBe(refs[i]);
    }
    expect(head.numSeries).toBe(2040);
  });
});

describe('Head: chunks', () => {
  function chunkShapes(head: Head): Array<[number, number, number]> {
    const [s] = [...head.select([m('=', 'job', 'x')], -Infinity, Infinity)];
    return s.chunks.map((c) => [c.minT, c.maxT, c.numSamples]);
  }

  it.each<[string, number[], Array<[number, number, number]>]>([
    ['cuts every 120 samples', Array.from({ length: 250 }, (_, k) => T0 + k * 1000), [
      [T0, T0 + 119_000, 120],
      [T0 + 120_000, T0 + 239_000, 120],
      [T0 + 240_000, T0 + 249_000, 10],
    ]],
    ['cuts at a block boundary before 120 samples', Array.from({ length: 10 }, (_, k) => T0 + BLOCK - 60_000 + k * 15_000), [
      [T0 + BLOCK - 60_000, T0 + BLOCK - 15_000, 4],
      [T0 + BLOCK, T0 + BLOCK + 75_000, 6],
    ]],
    ['cuts once per block range crossed by gaps', [T0 + HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR + 1, T0 + 9 * HOUR], [
      [T0 + HOUR, T0 + HOUR, 1],
      [T0 + 3 * HOUR, T0 + 3 * HOUR + 1, 2],
      [T0 + 9 * HOUR, T0 + 9 * HOUR, 1],
    ]],
    ['cuts at the boundary around zero for negative timestamps', [-30_000, -15_000, 0, 15_000], [
      [-30_000, -15_000, 2],
      [0, 15_000, 2],
    ]],
  ])('%s', (_name, ts, shapes) => {
    const head = newHead();
    const ref = seriesRef(head, { job: 'x' });
    const app = head.appender();
    for (const t of ts) app.append(ref, t, t / 1000);
    expect(app.commit().appended).toBe(ts.length);
    expect(chunkShapes(head)).toEqual(shapes);
    for (const [lo, hi] of shapes) expect(Math.floor(lo / BLOCK)).toBe(Math.floor(hi / BLOCK));
    expect(read(head, [m('=', 'job', 'x')])[0].ts).toEqual(ts);
  });

  it('honours chunkMaxSamples', () => {
    const head = newHead({ chunkMaxSamples: 5 });
    const ref = seriesRef(head, { job: 'x' });
    const app = head.appender();
    for (let k = 0; k < 12; k++) app.append(ref, k, k);
    app.commit();
    expect(chunkShapes(head).map((c) => c[2])).toEqual([5, 5, 2]);
  });

  it('gives queries a copy of the head chunk that later appends do not change', () => {
    const head = newHead();
    const ref = seriesRef(head, { job: 'x' });
    let app = head.appender();
    for (let k = 0; k < 119; k++) app.append(ref, k, k);
    app.commit();
    const [s] = [...head.select([m('=', 'job', 'x')], 0, 1000)];
    app = head.appender();
    for (let k = 119; k < 300; k++) app.append(ref, k, -k);
    app.commit();
    expect(s.iterator().readAll().timestamps.length).toBe(119);
  });
});

describe('Head: special values', () => {
  // Built from words: a JS array literal of doubles would quiet the signalling staleness NaN
  // (V8 silences NaNs stored in double arrays), which is exactly what must not happen to samples.
  const BITS: Array<[number, number]> = [
    [0x7ff80000, 0x00000000], // NaN
    [0x7ff00000, 0x00000002], // staleness marker
    [0x7ff80000, 0x00000001], // Go's math.NaN()
    [0x7ff00000, 0x00000000], // +Inf
    [0xfff00000, 0x00000000], // -Inf
    [0x80000000, 0x00000000], // -0
    [0x00000000, 0x00000000], // 0
    [0x00000000, 0x00000001], // smallest subnormal
    [0x7fefffff, 0xffffffff], // largest finite
    [0xbff80000, 0x00000000], // -1.5
  ];
  const values = new Float64Array(BITS.length);
  const words = new Uint32Array(values.buffer);
  BITS.forEach(([hi, lo], k) => {
    words[2 * k + 1] = hi;
    words[2 * k] = lo;
  });

  it('stores NaN payloads, ±Inf and -0 bit for bit, through append (values read from a Float64Array) and appendBits', () => {
    const head = newHead();
    const a = seriesRef(head, { job: 'number' });
    const b = seriesRef(head, { job: 'bits' });
    const app = head.appender();
    for (let k = 0; k < values.length; k++) {
      app.append(a, 1000 * k, values[k]);
      app.appendBits(b, 1000 * k, BITS[k][0], BITS[k][1]);
    }
    app.commit();
    const want = BITS.map(([hi, lo]) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0'));
    expect(want[1]).toBe('7ff0000000000002');
    const got = read(head, [m('=~', 'job', '.+')]);
    expect(got.map((s) => s.bits)).toEqual([want, want]);
  });
});

describe('Head: truncate and garbage collection', () => {
  function setup(registry = new Registry()) {
    const head = new Head(defaultHeadConfig(), 'tenant-1', nopLogger, registry);
    const spanning = seriesRef(head, { job: 'spanning', __name__: 'm' });
    const early = seriesRef(head, { job: 'early', __name__: 'm' });
    const empty = seriesRef(head, { job: 'empty', __name__: 'm' });
    const app = head.appender();
    for (let t = T0; t < T0 + BLOCK + HOUR / 2; t += 30_000) {
      app.append(spanning, t, t);
      if (t < T0 + HOUR) app.append(early, t, 1);
    }
    app.commit();
    return { head, spanning, early, empty, registry };
  }

  it('drops chunks before the point, collects series left empty and forgets them in the index', async () => {
    const { head, spanning, early, registry } = setup();
    expect(await metricValue(registry, 'panoptes_ingester_memory_series')).toBe(3);
    const result = head.truncate(T0 + BLOCK);
    // spanning: 240 samples before the boundary = 2 chunks; early: 120 samples = 1 chunk.
    expect(result).toEqual({ chunksRemoved: 3, seriesRemoved: 2 });
    expect(read(head, [m('=', '__name__', 'm')], T0, T0 + BLOCK - 1)).toEqual([]);
    const rest = read(head, [m('=', '__name__', 'm')]);
    expect(rest.map((s) => [s.labels, s.ts[0], s.ts.length])).toEqual([['__name__=m,job=spanning', T0 + BLOCK, 60]]);
    expect(head.numSeries).toBe(1);
    expect(head.minTime).toBe(T0 + BLOCK);
    expect(head.labelValues('job')).toEqual(['spanning']);
    expect(await metricValue(registry, 'panoptes_ingester_memory_series')).toBe(1);
    // A collected ref is gone; the same labels get a new, higher ref.
    expect(() => head.appender().append(early, T0 + 3 * HOUR, 1)).toThrow(expect.objectContaining({ reason: 'series_not_found' }));
    const again = seriesRef(head, { job: 'early', __name__: 'm' });
    expect(again).toBeGreaterThan(spanning);
    // Nothing can be appended behind the truncation point any more.
    const app = head.appender();
    expect(app.append(again, T0 + BLOCK - 1, 1)).toBe(AppendOutcome.tooOld);
    expect(app.append(again, T0 + BLOCK, 1)).toBe(AppendOutcome.appended);
  });

  it('compacts the symbol table once most interned strings belong to collected series', () => {
    const head = newHead();
    const keep = seriesRef(head, { job: 'keep', pod: 'survivor' });
    const app = head.appender();
    for (let i = 0; i < 3000; i++) app.append(seriesRef(head, { job: 'churn', pod: `pod-${i}` }), T0, 1);
    app.append(keep, T0 + BLOCK, 42);
    app.commit();
    expect(head.numSymbols).toBeGreaterThan(3000);
    expect(head.truncate(T0 + BLOCK).seriesRemoved).toBe(3000);
    expect(head.numSymbols).toBe(4); // job, keep, pod, survivor
    expect(read(head, [m('=', 'pod', 'survivor')]).map((s) => [s.labels, s.ts])).toEqual([['job=keep,pod=survivor', [T0 + BLOCK]]]);
    expect(seriesRef(head, { job: 'keep', pod: 'survivor' })).toBe(keep);
    expect(head.labelNames()).toEqual(['job', 'pod']);
    const fresh = seriesRef(head, { job: 'new', pod: 'pod-1' });
    expect(fresh).toBeGreaterThan(keep);
    expect(head.labelValues('job')).toEqual(['keep', 'new']);
  });
});

describe('Head: many series', () => {
  it('round-trips 5000 series with random sample counts through several pages', () => {
    const head = newHead();
    const rnd = seededRandom(3);
    const counts = Array.from({ length: 5000 }, () => Math.floor(rnd() * 300));
    const refs = counts.map((_, i) => seriesRef(head, { __name__: 'load', id: String(i) }));
    const app = head.appender();
    for (let k = 0; k < 300; k++) counts.forEach((n, i) => k < n && app.append(refs[i], T0 + k * 10_000, i + k));
    expect(app.commit().appended).toBe(counts.reduce((a, b) => a + b, 0));
    const got = new Map<string, number>();
    for (const s of head.select([m('=', '__name__', 'load')], -Infinity, Infinity)) {
      const it = s.iterator();
      let n = 0;
      const id = Number(s.labels[1][1]);
      while (it.next()) {
        if (it.v !== id + n || it.t !== T0 + n * 10_000) throw new Error(`series ${id} sample ${n}: ${it.t} ${it.v}`);
        n++;
      }
      got.set(s.labels[1][1], n);
    }
    expect(got.size).toBe(counts.filter((n) => n > 0).length);
    for (const [id, n] of got) expect(n).toBe(counts[Number(id)]);
  });
});
