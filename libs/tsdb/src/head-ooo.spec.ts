import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { BlockReader } from '@panoptes/block-formats';
import { nopLogger } from '@panoptes/log';
import { describeWithTool } from '@panoptes/testing';
import { Head } from './head';
import { AppendOutcome, HeadAppender } from './head-appender';
import { defaultHeadConfig, HeadConfig } from './head-config';
import { readHeadSnapshot, writeHeadSnapshot } from './head-snapshot';
import { Matcher } from './matcher';
import { hexBits, HOUR, newHead, read, seededRandom, seriesRef, STALE_NAN, T0 } from './testing/head-test-util';

const BLOCK = 2 * HOUR;
const MIN = 60_000;
const ALL = [new Matcher('=~', 'job', '.+')];
const A = { __name__: 'm', job: 'a' };
const B = { __name__: 'm', job: 'b' };

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsdb-head-ooo-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function metric(registry: Registry, name: string): Promise<number | undefined> {
  return (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values[0]?.value;
}

/** Every chunk select returns is sorted, disjoint, within chunkMaxSamples and one block range. */
function checkChunks(head: Head, maxSamples: number): void {
  for (const s of head.select(ALL, -Infinity, Infinity)) {
    s.chunks.forEach((c, k) => {
      expect(c.numSamples).toBeGreaterThan(0);
      expect(c.numSamples).toBeLessThanOrEqual(maxSamples);
      expect(Math.floor(c.minT / BLOCK)).toBe(Math.floor(c.maxT / BLOCK));
      if (k > 0) expect(c.minT).toBeGreaterThan(s.chunks[k - 1].maxT);
    });
  }
}

describe('Head: out-of-order append rules', () => {
  type Step = [series: 'A' | 'B', t: number, v: number];
  // Series A has in-order samples every minute from T0 + 1h to T0 + 3h (head max time).
  const NEWEST = T0 + 3 * HOUR;
  const prior: Step[] = [];
  for (let t = T0 + HOUR; t <= NEWEST; t += MIN) prior.push(['A', t, t / MIN]);

  it.each<[string, number, Step[], Step, AppendOutcome, string | undefined]>([
    ['without a window an older sample is out of order (unchanged)', 0, [], ['A', NEWEST - 30_000, 1], AppendOutcome.outOfOrder, 'sample_out_of_order'],
    ['without a window a sample behind max time - blockRange/2 is too old (unchanged)', 0, [], ['A', T0 + 2 * HOUR - 1, 1], AppendOutcome.tooOld, 'sample_too_old'],
    ['an older sample inside the window is stored out of order', 30 * MIN, [], ['A', NEWEST - 30_000, 1], AppendOutcome.appendedOutOfOrder, undefined],
    ['a sample exactly at max time - window is stored', 30 * MIN, [], ['A', NEWEST - 30 * MIN + 1, 1], AppendOutcome.appendedOutOfOrder, undefined],
    ['a sample 1 ms behind max time - window is too old', 30 * MIN, [], ['A', NEWEST - 30 * MIN - 1, 1], AppendOutcome.tooOld, 'sample_too_old'],
    ['a window wider than blockRange/2 accepts samples behind the in-order min valid time', 2 * HOUR, [], ['A', T0 + HOUR + 30_000, 1], AppendOutcome.appendedOutOfOrder, undefined],
    ['a new series whose first sample is behind the in-order min valid time is stored out of order', 2 * HOUR, [], ['B', T0 + HOUR + 30_000, 1], AppendOutcome.appendedOutOfOrder, undefined],
    ['the window counts from the head max time, not the series newest', 30 * MIN, [['B', NEWEST + HOUR, 1]], ['A', NEWEST - 1000, 1], AppendOutcome.tooOld, 'sample_too_old'],
    ['an out-of-order duplicate with the same value is ignored', 30 * MIN, [['A', NEWEST - 1000, 5]], ['A', NEWEST - 1000, 5], AppendOutcome.duplicateIgnored, undefined],
    ['an out-of-order duplicate with another value is refused', 30 * MIN, [['A', NEWEST - 1000, 5]], ['A', NEWEST - 1000, 6], AppendOutcome.duplicateTimestamp, 'sample_duplicate_timestamp'],
    ['an older timestamp already stored in order with the same value is ignored', 30 * MIN, [], ['A', NEWEST - 10 * MIN, (NEWEST - 10 * MIN) / MIN], AppendOutcome.duplicateIgnored, undefined],
    ['an older timestamp already stored in order with another value is refused', 30 * MIN, [], ['A', NEWEST - 10 * MIN, 0], AppendOutcome.duplicateTimestamp, 'sample_duplicate_timestamp'],
    ['an older timestamp stored in a completed chunk with another value is refused', 3 * HOUR, [], ['A', T0 + HOUR + 5 * MIN, 0], AppendOutcome.duplicateTimestamp, 'sample_duplicate_timestamp'],
    ['the newest timestamp with another value is still a duplicate', 30 * MIN, [], ['A', NEWEST, 0], AppendOutcome.duplicateTimestamp, 'sample_duplicate_timestamp'],
    ['a resent staleness marker out of order is ignored', 30 * MIN, [['A', NEWEST - 1000, STALE_NAN]], ['A', NEWEST - 1000, STALE_NAN], AppendOutcome.duplicateIgnored, undefined],
    ['an invalid timestamp is still invalid', 30 * MIN, [], ['A', NEWEST - 0.5, 1], AppendOutcome.invalidTimestamp, 'sample_invalid_timestamp'],
  ])('%s', (_name, window, more, [series, t, v], outcome, reason) => {
    const head = newHead({ outOfOrderTimeWindowMs: window });
    const refs = { A: seriesRef(head, A), B: seriesRef(head, B) };
    const setup = head.appender();
    for (const [s, pt, pv] of [...prior, ...more]) setup.append(refs[s], pt, pv);
    expect(setup.commit().rejected).toBe(0);
    const before = read(head, ALL);

    const app = head.appender();
    expect(app.append(refs[series], t, v)).toBe(outcome);
    const summary = app.commit();
    if (reason === undefined) {
      expect(summary.rejected).toBe(0);
    } else {
      expect(summary.rejectedByReason).toEqual({ [reason]: 1 });
      expect(summary.errors[0]).toMatchObject({ reason, tenant: 'tenant-1' });
      if (reason === 'sample_too_old' && window > 0) expect(summary.errors[0].message).toContain(`out-of-order window of ${window} ms`);
    }
    const after = read(head, ALL);
    if (outcome === AppendOutcome.appendedOutOfOrder) {
      expect(summary).toMatchObject({ appended: 1, appendedOutOfOrder: 1 });
      const s = after.find((x) => x.labels === `__name__=m,job=${series.toLowerCase()}`)!;
      const k = s.ts.indexOf(t);
      expect(k).toBeGreaterThanOrEqual(0);
      expect(s.bits[k]).toBe(hexBits(v));
      expect(s.ts).toEqual([...s.ts].sort((x, y) => x - y));
      expect(head.minTime).toBe(Math.min(...after.flatMap((x) => x.ts)));
    } else {
      expect(after).toEqual(before);
    }
  });

  it.each<[string, (head: Head) => Promise<void> | void, number, AppendOutcome]>([
    ['a sample behind the last truncation point is too old inside the window', (h) => void h.truncate(T0 + 2 * HOUR + 30 * MIN), T0 + 2 * HOUR + 29 * MIN, AppendOutcome.tooOld],
    ['a sample at the truncation point is stored', (h) => void h.truncate(T0 + 2 * HOUR + 30 * MIN), T0 + 2 * HOUR + 30 * MIN + 1, AppendOutcome.appendedOutOfOrder],
    ['a sample in a range already cut into a block is too old inside the window', async (h) => void (await h.cutBlock(T0, T0 + 2 * HOUR + 40 * MIN, join(root, 'cut'))), T0 + 2 * HOUR + 39 * MIN + 1, AppendOutcome.tooOld],
    ['a sample after the last cut block is stored', async (h) => void (await h.cutBlock(T0, T0 + 2 * HOUR + 40 * MIN, join(root, 'cut'))), T0 + 2 * HOUR + 40 * MIN + 1, AppendOutcome.appendedOutOfOrder],
  ])('%s', async (_name, act, t, outcome) => {
    const head = newHead({ outOfOrderTimeWindowMs: 2 * HOUR });
    const ref = seriesRef(head, A);
    const app = head.appender();
    for (const [, pt, pv] of prior) app.append(ref, pt, pv);
    app.commit();
    await act(head);
    expect(head.appender().append(ref, t, 1)).toBe(outcome);
  });

  it('counts out-of-order samples in the metrics and the summary', async () => {
    const registry = new Registry();
    const head = newHead({ outOfOrderTimeWindowMs: HOUR }, registry);
    const ref = seriesRef(head, A);
    const app = head.appender();
    app.append(ref, T0 + 10_000, 1);
    app.append(ref, T0 + 5_000, 2);
    app.append(ref, T0 + 7_000, 3);
    app.append(ref, T0 + 7_000, 3);
    expect(app.commit()).toMatchObject({ appended: 3, appendedOutOfOrder: 2, duplicatesIgnored: 1, rejected: 0 });
    expect(await metric(registry, 'panoptes_ingester_samples_appended_total')).toBe(3);
    expect(await metric(registry, 'panoptes_ingester_out_of_order_samples_appended_total')).toBe(2);
  });

  it.each<[string, Partial<HeadConfig>]>([
    ['a negative window', { outOfOrderTimeWindowMs: -1 }],
    ['a fractional window', { outOfOrderTimeWindowMs: 0.5 }],
    ['an out-of-order capacity of 0', { outOfOrderCapMax: 0 }],
  ])('refuses %s', (_name, config) => {
    expect(() => newHead(config)).toThrow(expect.objectContaining({ reason: 'invalid_head_config' }));
  });
});

/** Samples written to a head, for comparison with what it returns. */
interface Written {
  labels: string;
  samples: Map<number, number>;
}

/**
 * Series getting samples in shuffled order over several hours and a block boundary: each round
 * advances time and sends some samples late (up to `lateness` behind), as a remote-write stream
 * with delayed batches does.
 */
function fillShuffled(head: Head, seed: number, lateness: number, series = 20, rounds = 400): Written[] {
  const rnd = seededRandom(seed);
  const out: Written[] = [];
  const refs: number[] = [];
  for (let i = 0; i < series; i++) {
    refs.push(seriesRef(head, { __name__: 'm', job: `j${i}` }));
    out.push({ labels: `__name__=m,job=j${i}`, samples: new Map() });
  }
  let pending: Array<[number, number, number]> = [];
  // Outcomes tallied, asserted once at the end (an expect per sample would dominate the run time).
  const outcomes = new Map<string, number>();
  const tally = (kind: string, outcome: AppendOutcome) => {
    const key = `${kind}:${outcome}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  };
  const deliver = (app: HeadAppender, [i, t, v]: [number, number, number]) => {
    tally('late', app.append(refs[i], t, v));
    out[i].samples.set(t, v);
  };
  for (let k = 0; k < rounds; k++) {
    const now = T0 + BLOCK - HOUR + k * 15_000;
    const app = head.appender();
    for (let i = 0; i < series; i++) {
      const t = now + i;
      const v = rnd() < 0.02 ? STALE_NAN : Math.round(rnd() * 1000) / 8;
      if (rnd() < 0.3) {
        pending.push([i, t, v]);
      } else {
        tally('on time', app.append(refs[i], t, v));
        out[i].samples.set(t, v);
      }
    }
    // Late samples that are due: some right away, the rest up to `lateness` later.
    const later: Array<[number, number, number]> = [];
    for (const p of pending) {
      if (now - p[1] >= lateness || rnd() < 0.1) deliver(app, p);
      else later.push(p);
    }
    pending = later;
    app.commit();
  }
  const app = head.appender();
  for (const p of pending) deliver(app, p);
  app.commit();
  expect([...outcomes.keys()].sort()).toEqual([`late:${AppendOutcome.appended}`, `late:${AppendOutcome.appendedOutOfOrder}`, `on time:${AppendOutcome.appended}`]);
  // Most late samples arrive after a newer one of their series.
  expect(outcomes.get(`late:${AppendOutcome.appendedOutOfOrder}`)).toBeGreaterThan(rounds * series * 0.2);
  return out;
}

function expected(written: Written[], minT = -Infinity, maxT = Infinity) {
  return written
    .map((w) => {
      const ts = [...w.samples.keys()].filter((t) => t >= minT && t <= maxT).sort((a, b) => a - b);
      return { labels: w.labels, ts, bits: ts.map((t) => hexBits(w.samples.get(t)!)) };
    })
    .filter((s) => s.ts.length > 0)
    .sort((a, b) => (a.labels < b.labels ? -1 : 1));
}

/** What select returns, without series that have chunks overlapping the range but no sample in it. */
const sortedRead = (head: Head, minT?: number, maxT?: number) =>
  read(head, ALL, minT, maxT)
    .filter((s) => s.ts.length > 0)
    .sort((a, b) => (a.labels < b.labels ? -1 : 1));

describe('Head: out-of-order queries, blocks, truncation and snapshots', () => {
  it.each<[string, Partial<HeadConfig>, number]>([
    ['default capacity, 10 minutes late', { outOfOrderTimeWindowMs: HOUR }, 10 * MIN],
    ['tiny capacity (many merges), 30 minutes late', { outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 3 }, 30 * MIN],
    ['small chunks, 5 minutes late', { outOfOrderTimeWindowMs: 20 * MIN, chunkMaxSamples: 7, outOfOrderCapMax: 5 }, 5 * MIN],
  ])('select returns merged, sorted, deduplicated samples in any range (%s)', (_name, config, lateness) => {
    const head = newHead(config);
    const written = fillShuffled(head, lateness, lateness);
    expect(sortedRead(head)).toEqual(expected(written));
    for (const [lo, hi] of [
      [T0 + BLOCK - 30 * MIN, T0 + BLOCK + 7 * MIN],
      [T0 + BLOCK - 1, T0 + BLOCK],
      [T0 + BLOCK + 15 * MIN + 3, T0 + BLOCK + 15 * MIN + 3],
    ]) {
      expect(sortedRead(head, lo, hi)).toEqual(expected(written, lo, hi));
    }
    checkChunks(head, config.chunkMaxSamples ?? 120);
  });

  it('cuts blocks holding the merged samples with sorted, disjoint chunks', async () => {
    const head = newHead({ outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 4 });
    const written = fillShuffled(head, 3, 20 * MIN);
    for (const [name, lo, hi] of [
      ['aligned', T0, T0 + BLOCK],
      ['unaligned', T0 + BLOCK - 17 * MIN - 3, T0 + BLOCK + 21 * MIN],
    ] as const) {
      const meta = (await head.cutBlock(lo, hi, join(root, name)))!;
      const block = await BlockReader.open(join(root, name, meta.ulid));
      const got: Array<{ labels: string; ts: number[]; bits: string[] }> = [];
      for (const s of block.allSeries()) {
        for (let k = 1; k < s.chunks.length; k++) expect(s.chunks[k].mint).toBeGreaterThan(s.chunks[k - 1].maxt);
        const { timestamps, values } = block.samples(s.ref);
        got.push({ labels: s.labels.map(([n, v]) => `${n}=${v}`).join(','), ts: [...timestamps], bits: [...values].map((_, k) => hexBits(values[k])) });
      }
      expect(got).toEqual(expected(written, lo, hi - 1));
      expect(meta.stats.numSamples).toBe(got.reduce((n, s) => n + s.ts.length, 0));
    }
  });

  it('truncation drops out-of-order samples below the point, keeps series holding only out-of-order samples and collects emptied ones', () => {
    const head = newHead({ outOfOrderTimeWindowMs: 3 * HOUR, outOfOrderCapMax: 4 });
    const inOrder = seriesRef(head, { __name__: 'm', job: 'in-order' });
    const oooOnly = seriesRef(head, { __name__: 'm', job: 'ooo-only' });
    const oooOld = seriesRef(head, { __name__: 'm', job: 'ooo-old' });
    const first = head.appender();
    first.append(inOrder, T0 + 3 * HOUR, 1); // moves the head on: everything below is out of order
    first.commit();
    const app = head.appender();
    const oooTs: number[] = [];
    for (let k = 0; k < 40; k++) {
      const t = T0 + HOUR + ((k * 7919) % 40) * 90_000; // shuffled over the hour before the min valid time
      expect(app.append(oooOnly, t, k)).toBe(AppendOutcome.appendedOutOfOrder);
      oooTs.push(t);
      expect(app.append(oooOld, T0 + 10 * MIN + k * 1000, k)).toBe(AppendOutcome.appendedOutOfOrder);
    }
    app.commit();
    expect(head.minTime).toBe(T0 + 10 * MIN);
    const cut = T0 + HOUR + 31 * MIN + 7;
    const result = head.truncate(cut);
    expect(result.seriesRemoved).toBe(1);
    expect(result.chunksRemoved).toBeGreaterThan(0);
    expect(head.numSeries).toBe(2);
    const kept = oooTs.filter((t) => t >= cut).sort((a, b) => a - b);
    expect(read(head, [new Matcher('=', 'job', 'ooo-only')])[0].ts).toEqual(kept);
    expect(head.minTime).toBe(kept[0]);
    expect(head.labelValues('job')).toEqual(['in-order', 'ooo-only']);
    expect(head.appender().append(oooOnly, cut - 1, 1)).toBe(AppendOutcome.tooOld);
  });

  it('snapshots hold out-of-order samples and the last block cut; appends after loading behave the same', async () => {
    const head = newHead({ outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 5 });
    const written = fillShuffled(head, 8, 15 * MIN, 12, 300);
    await head.cutBlock(T0, T0 + BLOCK - 50 * MIN, join(root, 'before-snapshot'));
    const file = join(root, 'snapshot');
    await writeHeadSnapshot(file, 9, [head]);
    const loaded = (await readHeadSnapshot(file, { ...defaultHeadConfig(), outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 5 }, nopLogger, () => new Registry())).heads.get('tenant-1')!;
    expect(sortedRead(loaded)).toEqual(expected(written));
    const chunks = (h: Head) => [...h.select(ALL, -Infinity, Infinity)].map((s) => s.chunks.map((c) => Buffer.from(c.data).toString('base64')));
    expect(chunks(loaded)).toEqual(chunks(head));
    const apply = (h: Head) => {
      const app = h.appender();
      const rnd = seededRandom(4);
      const outcomes: AppendOutcome[] = [];
      for (let k = 0; k < 400; k++) {
        const ref = seriesRef(h, { __name__: 'm', job: `j${k % 12}` });
        // On the series' 15s grid, so some hit stored timestamps.
        outcomes.push(app.append(ref, T0 + BLOCK - 55 * MIN + Math.floor(rnd() * 360) * 15_000 + (k % 12), Math.floor(rnd() * 4)));
      }
      return { outcomes, summary: app.commit() };
    };
    const a = apply(head);
    expect(apply(loaded)).toEqual(a);
    for (const outcome of [AppendOutcome.tooOld, AppendOutcome.appendedOutOfOrder, AppendOutcome.duplicateTimestamp]) expect(a.outcomes).toContain(outcome);
    expect(sortedRead(loaded)).toEqual(sortedRead(head));
  });

  it('loads out-of-order samples with a smaller out-of-order capacity than they were written with', async () => {
    const head = newHead({ outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 30 });
    const ref = seriesRef(head, A);
    const app = head.appender();
    app.append(ref, T0 + HOUR, 0);
    for (let k = 1; k <= 20; k++) app.append(ref, T0 + HOUR - k * 1000, k);
    app.commit();
    const file = join(root, 'smaller-cap');
    await writeHeadSnapshot(file, 1, [head]);
    const loaded = (await readHeadSnapshot(file, { ...defaultHeadConfig(), outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 8 }, nopLogger, () => new Registry())).heads.get('tenant-1')!;
    expect(read(loaded, ALL)).toEqual(read(head, ALL));
    expect(loaded.appender().append(ref, T0 + HOUR - 500, 1)).toBe(AppendOutcome.appendedOutOfOrder);
  });
});

describeWithTool('promtool', 'Head: out-of-order blocks read by Prometheus', (promtool) => {
  jest.setTimeout(60_000);
  const run = promisify(execFile);

  it('cuts a block with merged out-of-order samples that promtool analyzes and dumps exactly', async () => {
    const head = newHead({ outOfOrderTimeWindowMs: HOUR, outOfOrderCapMax: 6 });
    const written = fillShuffled(head, 12, 25 * MIN, 10, 300);
    const dir = join(root, 'promtool');
    await mkdir(join(dir, 'wal'), { recursive: true }); // `promtool tsdb dump` opens the directory as a TSDB
    const meta = (await head.cutBlock(T0, T0 + BLOCK, dir))!;
    await run(promtool, ['tsdb', 'analyze', dir, meta.ulid], { maxBuffer: 16 << 20 });
    const { stdout } = await run(promtool, ['tsdb', 'dump', `--min-time=${meta.minTime}`, `--max-time=${meta.maxTime}`, dir], { maxBuffer: 64 << 20 });
    const byJob = new Map<string, number[]>();
    for (const line of stdout.split('\n').filter((l) => l !== '')) {
      const job = /job="([^"]+)"/.exec(line)![1];
      const t = Number(line.slice(line.lastIndexOf(' ') + 1));
      byJob.set(job, [...(byJob.get(job) ?? []), t]);
    }
    const want = expected(written, T0, T0 + BLOCK - 1);
    expect([...byJob.entries()].map(([job, ts]) => [`__name__=m,job=${job}`, ts]).sort()).toEqual(want.map((w) => [w.labels, w.ts]).sort());
  });
});
