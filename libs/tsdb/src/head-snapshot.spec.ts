import { mkdtemp, readdir, readFile, rm, truncate as truncateFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createLogger, nopLogger } from '@panoptes/log';
import { Head } from './head';
import { AppendOutcome } from './head-appender';
import { defaultHeadConfig, HeadConfig } from './head-config';
import { HeadSnapshotCorruptError, readHeadSnapshot, writeHeadSnapshot } from './head-snapshot';
import { HeadSnapshotDir } from './head-snapshot-dir';
import { Matcher } from './matcher';
import { HOUR, newHead, read, seededRandom, seriesRef, STALE_NAN, T0 } from './testing/head-test-util';

const BLOCK = 2 * HOUR;
const ALL = [new Matcher('=~', '__name__', '.+')];
const config = (over: Partial<HeadConfig> = {}): HeadConfig => ({ ...defaultHeadConfig(), ...over });
const registries = () => new Registry();

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsdb-head-snapshot-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
let fileNo = 0;
const newFile = () => join(root, `snap-${++fileNo}`);

/** Everything observable about a head: series (ref, labels, chunk bytes), label index, bounds. */
function state(head: Head) {
  const series: string[] = [];
  for (const s of head.select(ALL, -Infinity, Infinity)) {
    const chunks = s.chunks.map((c) => `${c.minT}-${c.maxT}:${Buffer.from(c.data).toString('base64')}`);
    series.push(`${s.ref} ${s.labels.map(([n, v]) => `${n}=${v}`).join(',')} ${chunks.join(' ')}`);
  }
  return {
    tenant: head.tenant,
    series,
    labelNames: head.labelNames(),
    jobs: head.labelValues('job'),
    pods: head.labelValues('pod'),
    numSeries: head.numSeries,
    numSymbols: head.numSymbols,
    minTime: head.minTime,
    maxTime: head.maxTime,
  };
}

/**
 * A head with a few thousand series over several pages: random sample counts crossing chunk cuts
 * and a block boundary, staleness markers, series without samples, and a truncation that collected
 * churned series and compacted the symbol table.
 */
function filledHead(tenant = 'tenant-1', seed = 5, seriesCount = 1200): Head {
  const head = new Head(defaultHeadConfig(), tenant, nopLogger, new Registry());
  const rnd = seededRandom(seed);
  const app = head.appender();
  // Churn: series only before T0 + 2h, collected by the truncation below.
  for (let i = 0; i < 1100; i++) app.append(seriesRef(head, { __name__: 'churn', pod: `old-${i}`, job: 'churn' }), T0 + i, 1);
  const refs = Array.from({ length: seriesCount }, (_, i) => seriesRef(head, { __name__: `m_${i % 7}`, job: `job-${i % 13}`, pod: `pod-${i}` }));
  const counts = refs.map(() => Math.floor(rnd() * 250));
  for (let k = 0; k < 250; k++) {
    refs.forEach((ref, i) => {
      if (k < counts[i]) app.append(ref, T0 + BLOCK - 20 * 60_000 + k * 15_000 + (i % 1000), k === 77 && i % 11 === 0 ? STALE_NAN : i * 0.5 + k * rnd());
    });
  }
  expect(app.commit().rejected).toBe(0);
  head.truncate(T0 + BLOCK - 20 * 60_000);
  seriesRef(head, { __name__: 'no_samples', job: 'x', pod: 'none' });
  return head;
}

describe('head snapshot: round trip', () => {
  let head: Head;
  let loaded: Head;
  let offset: number;

  beforeAll(async () => {
    head = filledHead();
    const file = newFile();
    const stats = await writeHeadSnapshot(file, 123_456, [head]);
    expect(stats).toEqual({ bytes: (await readFile(file)).length, tenants: 1, series: head.numSeries });
    const result = await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, registries);
    offset = result.offset;
    expect([...result.heads.keys()]).toEqual(['tenant-1']);
    loaded = result.heads.get('tenant-1')!;
  });

  it('restores the offset, every series with its ref and labels, every sample and chunk byte for byte, and the time bounds', () => {
    expect(offset).toBe(123_456);
    expect(head.numSeries).toBeGreaterThan(1000);
    expect(state(loaded)).toEqual(state(head));
    expect(read(loaded, [new Matcher('=', 'job', 'job-3')])).toEqual(read(head, [new Matcher('=', 'job', 'job-3')]));
  });

  it('finds existing series under their refs and hands out the same next ref', () => {
    for (const labels of [{ __name__: 'm_3', job: 'job-10', pod: 'pod-10' }, { __name__: 'no_samples', job: 'x', pod: 'none' }]) {
      expect(seriesRef(loaded, labels)).toBe(seriesRef(head, labels));
    }
    expect(seriesRef(loaded, { __name__: 'brand_new', job: 'y', pod: 'p' })).toBe(seriesRef(head, { __name__: 'brand_new', job: 'y', pod: 'p' }));
  });

  it('continues appending exactly as the original head: same outcomes, same chunk bytes, cuts at 120 samples and block boundaries', () => {
    const apply = (h: Head) => {
      const app = h.appender();
      const outcomes: AppendOutcome[] = [];
      const rnd = seededRandom(9);
      const refs = Array.from({ length: 1200 / 7 }, (_, n) => seriesRef(h, { __name__: `m_${(n * 7) % 7}`, job: `job-${(n * 7) % 13}`, pod: `pod-${n * 7}` }));
      for (let k = 0; k < 150; k++) {
        for (let n = 0; n < refs.length; n++) {
          outcomes.push(app.append(refs[n], T0 + BLOCK + 50 * 60_000 + k * 15_000 + n, rnd() * 100));
        }
      }
      return { outcomes, summary: app.commit() };
    };
    const a = apply(head);
    const b = apply(loaded);
    expect(b).toEqual(a);
    expect(a.summary.appended).toBeGreaterThan(0);
    expect(state(loaded)).toEqual(state(head));
  });
});

describe('head snapshot: append rules after loading', () => {
  const S = { __name__: 'm', job: 'a', pod: 'p' };
  const LAST = T0 + BLOCK + HOUR; // newest sample: head max time, blockRange/2 after a block boundary

  async function original(): Promise<Head> {
    const head = newHead();
    const ref = seriesRef(head, S);
    const app = head.appender();
    for (let t = T0 + 10 * 60_000; t <= LAST; t += 60_000) app.append(ref, t, t === LAST ? STALE_NAN : t / 1000);
    expect(app.commit().rejected).toBe(0);
    head.truncate(T0 + BLOCK);
    return head;
  }

  it.each<[string, number, number, AppendOutcome]>([
    ['a newer sample is stored', LAST + 15_000, 1, AppendOutcome.appended],
    ['the newest sample resent (staleness marker) is ignored', LAST, STALE_NAN, AppendOutcome.duplicateIgnored],
    ['the newest timestamp with another value is a duplicate', LAST, 7, AppendOutcome.duplicateTimestamp],
    ['an older sample is out of order', LAST - 30_000, 1, AppendOutcome.outOfOrder],
    ['a sample older than max time - blockRange/2 is too old', T0 + BLOCK - 1, 1, AppendOutcome.tooOld],
    ['a sample exactly at the min valid time is out of order (not too old)', T0 + BLOCK, 1, AppendOutcome.outOfOrder],
  ])('%s, as before the snapshot', async (_name, t, v, outcome) => {
    const file = newFile();
    const before = await original();
    await writeHeadSnapshot(file, 1, [before]);
    const loaded = (await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, registries)).heads.get('tenant-1')!;
    const got = [before, loaded].map((h) => {
      const app = h.appender();
      const o = app.append(seriesRef(h, S), t, v);
      app.commit();
      return o;
    });
    expect(got).toEqual([outcome, outcome]);
    expect(state(loaded)).toEqual(state(before));
  });

  it('refuses samples behind the truncation point after loading', async () => {
    const head = newHead();
    const ref = seriesRef(head, S);
    const app = head.appender();
    app.append(ref, T0, 1);
    app.append(ref, T0 + BLOCK + 10, 2);
    app.commit();
    head.truncate(T0 + BLOCK + 5);
    const file = newFile();
    await writeHeadSnapshot(file, 1, [head]);
    const loaded = (await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, registries)).heads.get('tenant-1')!;
    const other = seriesRef(loaded, { __name__: 'm', job: 'b', pod: 'p' });
    expect(loaded.appender().append(other, T0 + BLOCK + 4, 1)).toBe(AppendOutcome.tooOld);
    expect(loaded.appender().append(other, T0 + BLOCK + 5, 1)).toBe(AppendOutcome.appended);
  });
});

describe('head snapshot: capture isolation', () => {
  it('holds the state at the call, not appends, new series, truncation or symbol compaction made while the file is written', async () => {
    const head = filledHead('tenant-1', 21, 600);
    const expected = state(head);
    const file = newFile();
    const writing = writeHeadSnapshot(file, 77, [head]);
    // While the write is in flight: appends into the open chunks (setting bits in their last
    // captured byte and rewriting their counts), chunk cuts, new series, then a truncation
    // collecting most series, which compacts the symbol table and rewrites label ids.
    const app = head.appender();
    const some = Array.from({ length: 200 }, (_, n) => seriesRef(head, { __name__: `m_${(n * 3) % 7}`, job: `job-${(n * 3) % 13}`, pod: `pod-${n * 3}` }));
    for (let k = 0; k < 130; k++) for (const ref of some) app.append(ref, T0 + BLOCK + 50 * 60_000 + k * 1000, k * 0.1);
    for (let k = 0; k < 130; k++) for (const ref of some) app.append(ref, T0 + 3 * BLOCK + k * 1000, k);
    for (let i = 0; i < 2000; i++) app.append(seriesRef(head, { __name__: 'late', job: 'late', pod: `late-${i}` }), T0 + 3 * BLOCK, 1);
    app.commit();
    const numSymbols = head.numSymbols;
    head.truncate(T0 + 3 * BLOCK + 1);
    expect(head.numSymbols).toBeLessThan(numSymbols / 2);
    await writing;
    const loaded = (await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, registries)).heads.get('tenant-1')!;
    expect(state(loaded)).toEqual(expected);
  });
});

describe('head snapshot: corruption', () => {
  let file: string;
  let bytes: Buffer;

  beforeAll(async () => {
    file = newFile();
    await writeHeadSnapshot(file, 5, [filledHead('a', 1, 300), filledHead('b', 2, 300)]);
    bytes = await readFile(file);
  });

  const flip = (at: (n: number) => number) => (b: Buffer) => {
    const c = Buffer.from(b);
    c[at(c.length)] ^= 0x10;
    return c;
  };
  it.each<[string, (b: Buffer) => Buffer, RegExp]>([
    ['a flipped byte in the magic', flip(() => 1), /bad magic/],
    ['an unknown version', flip(() => 4), /unsupported version/],
    ['a flipped byte in the header section', flip(() => 10), /checksum mismatch/],
    ['a flipped byte in the middle', flip((n) => Math.floor(n / 2)), /checksum mismatch|past the end/],
    ['a flipped byte in the last checksum', flip((n) => n - 1), /checksum mismatch/],
    ['a file cut in the middle', (b) => b.subarray(0, Math.floor(b.length / 2)), /past the end|truncated|end section is missing/],
    ['a file without its end section', (b) => b.subarray(0, b.length - 21), /end section is missing/],
    ['an empty file', () => Buffer.alloc(0), /shorter than/],
    ['trailing garbage', (b) => Buffer.concat([b, Buffer.alloc(16)]), /after the end section|past the end/],
  ])('%s raises HeadSnapshotCorruptError naming the file', async (_name, damage, problem) => {
    const bad = newFile();
    await writeFile(bad, damage(bytes));
    const used = new Map<string, Registry>();
    const registryFor = (tenant: string) => used.get(tenant) ?? used.set(tenant, new Registry()).get(tenant)!;
    const err = await readHeadSnapshot(bad, defaultHeadConfig(), nopLogger, registryFor).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HeadSnapshotCorruptError);
    expect(err).toMatchObject({ reason: 'head_snapshot_corrupt', kind: 'internal', file: bad });
    expect((err as Error).message).toContain(bad);
    expect((err as Error).message).toMatch(problem);
    // Heads built before the damage was found are gone from their registries: a retry can register again.
    for (const registry of used.values()) expect(await registry.getMetricsAsJSON()).toEqual([]);
    await expect(readHeadSnapshot(file, defaultHeadConfig(), nopLogger, registryFor)).resolves.toMatchObject({ offset: 5 });
  });

  it('reads the undamaged file', async () => {
    const { heads, offset } = await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, registries);
    expect(offset).toBe(5);
    expect([...heads.keys()]).toEqual(['a', 'b']);
  });

  it('passes I/O errors through untouched', async () => {
    await expect(readHeadSnapshot(join(root, 'missing'), defaultHeadConfig(), nopLogger, registries)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('head snapshot: tenants', () => {
  it.each<[string, () => Head[]]>([
    ['no heads', () => []],
    ['a head without series', () => [newHead()]],
    ['a head whose series were all collected (symbols left)', () => {
      const head = newHead();
      const app = head.appender();
      for (let i = 0; i < 10; i++) app.append(seriesRef(head, { __name__: 'gone', pod: `p${i}` }), T0, 1);
      app.commit();
      head.truncate(T0 + 1);
      expect(head.numSeries).toBe(0);
      return [head];
    }],
    ['60 tenants of different sizes', () => Array.from({ length: 60 }, (_, n) => {
      const head = new Head(defaultHeadConfig(), `tenant-${n}`, nopLogger, new Registry());
      const app = head.appender();
      for (let i = 0; i < n; i++) {
        const ref = seriesRef(head, { __name__: 'up', job: `j${n}`, pod: `p${i}` });
        for (let k = 0; k <= i % 130; k++) app.append(ref, T0 + k * 15_000, n * 1000 + i + k);
      }
      app.commit();
      return head;
    })],
  ])('round-trips %s', async (_name, build) => {
    const heads = build();
    const file = newFile();
    const stats = await writeHeadSnapshot(file, 0, heads);
    expect(stats.tenants).toBe(heads.length);
    const tenantsRegistries = new Map<string, Registry>();
    const loaded = await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, (t) => {
      const r = new Registry();
      tenantsRegistries.set(t, r);
      return r;
    });
    expect(loaded.offset).toBe(0);
    expect([...loaded.heads.keys()]).toEqual(heads.map((h) => h.tenant));
    for (const h of heads) expect(state(loaded.heads.get(h.tenant)!)).toEqual(state(h));
    expect(tenantsRegistries.size).toBe(heads.length);
    for (const h of heads) {
      const series = (await tenantsRegistries.get(h.tenant)!.getMetricsAsJSON()).find((m) => m.name === 'panoptes_ingester_memory_series');
      expect(series?.values[0].value).toBe(h.numSeries);
    }
  });

  it('loads with the configuration given, and refuses two heads of one tenant or a bad offset', async () => {
    const file = newFile();
    const head = newHead();
    const ref = seriesRef(head, { __name__: 'm' });
    const app = head.appender();
    for (let k = 0; k < 10; k++) app.append(ref, T0 + k, k);
    app.commit();
    await writeHeadSnapshot(file, 3, [head]);
    const loaded = (await readHeadSnapshot(file, config({ chunkMaxSamples: 12 }), nopLogger, registries)).heads.get('tenant-1')!;
    const more = loaded.appender();
    for (let k = 10; k < 14; k++) more.append(ref, T0 + k, k);
    more.commit();
    expect([...loaded.select(ALL, -Infinity, Infinity)][0].chunks.map((c) => c.numSamples)).toEqual([12, 2]);
    await expect(writeHeadSnapshot(newFile(), 1, [newHead(), newHead()])).rejects.toMatchObject({ reason: 'duplicate_snapshot_tenant' });
    await expect(writeHeadSnapshot(newFile(), -1, [])).rejects.toMatchObject({ reason: 'invalid_snapshot_offset' });
    await expect(writeHeadSnapshot(newFile(), 1.5, [])).rejects.toMatchObject({ reason: 'invalid_snapshot_offset' });
  });

  it('writes through a temporary file and leaves no temporary file behind', async () => {
    const dir = await mkdtemp(join(root, 'atomic-'));
    await writeHeadSnapshot(join(dir, 's'), 1, [filledHead('t', 3, 50)]);
    expect(await readdir(dir)).toEqual(['s']);
  });
});

describe('HeadSnapshotDir', () => {
  function lines(): { logger: ReturnType<typeof createLogger>; out: string[] } {
    const out: string[] = [];
    return { logger: createLogger({ level: 'debug', sink: { write: (l) => out.push(l) } }), out };
  }
  function headAt(value: number): Head {
    const head = newHead();
    const app = head.appender();
    app.append(seriesRef(head, { __name__: 'offset' }), T0, value);
    app.commit();
    return head;
  }
  const valueOf = (heads: Map<string, Head>) => [...heads.get('tenant-1')!.select(ALL, -Infinity, Infinity)][0].iterator().readAll().values[0];

  it('keeps the newest two snapshots and loads the newest', async () => {
    const dir = join(await mkdtemp(join(root, 'dir-')), 'snapshots');
    const snapshots = new HeadSnapshotDir({ dir, keep: 2 }, defaultHeadConfig(), nopLogger, registries);
    expect(await snapshots.loadNewest()).toBeUndefined();
    for (const offset of [10, 200, 3000]) await snapshots.write(offset, [headAt(offset)]);
    expect((await readdir(dir)).sort()).toEqual(['snapshot-00000000000000000200', 'snapshot-00000000000000003000']);
    const loaded = await snapshots.loadNewest();
    expect(loaded).toMatchObject({ offset: 3000, file: join(dir, 'snapshot-00000000000000003000') });
    expect(valueOf(loaded!.heads)).toBe(3000);
  });

  it('falls back to the older snapshot when the newest is corrupt, logs a warning and moves the damaged file aside', async () => {
    const dir = await mkdtemp(join(root, 'dir-'));
    const { logger, out } = lines();
    const snapshots = new HeadSnapshotDir({ dir, keep: 2 }, defaultHeadConfig(), logger, registries);
    await snapshots.write(1, [headAt(1)]);
    await snapshots.write(2, [headAt(2)]);
    const newest = join(dir, 'snapshot-00000000000000000002');
    const bytes = await readFile(newest);
    bytes[bytes.length - 30] ^= 0xff;
    await writeFile(newest, bytes);
    const loaded = await snapshots.loadNewest();
    expect(loaded).toMatchObject({ offset: 1 });
    expect(valueOf(loaded!.heads)).toBe(1);
    expect(out.find((l) => l.includes('level=warn'))).toMatch(/msg="head snapshot corrupt; trying an older one".*snapshot-00000000000000000002/);
    expect((await readdir(dir)).sort()).toEqual(['snapshot-00000000000000000001', 'snapshot-00000000000000000002.corrupt']);
    // The next snapshots push the damaged file out with the old ones.
    await snapshots.write(3, [headAt(3)]);
    await snapshots.write(4, [headAt(4)]);
    expect((await readdir(dir)).sort()).toEqual(['snapshot-00000000000000000003', 'snapshot-00000000000000000004']);
  });

  it('raises a typed error when every snapshot is corrupt, and refuses a second write while one runs', async () => {
    const dir = await mkdtemp(join(root, 'dir-'));
    const snapshots = new HeadSnapshotDir({ dir, keep: 2 }, defaultHeadConfig(), nopLogger, registries);
    await snapshots.write(1, [headAt(1)]);
    await truncateFile(join(dir, 'snapshot-00000000000000000001'), 40);
    await expect(snapshots.loadNewest()).rejects.toBeInstanceOf(HeadSnapshotCorruptError);
    const first = snapshots.write(5, [headAt(5)]);
    await expect(snapshots.write(6, [headAt(6)])).rejects.toMatchObject({ reason: 'head_snapshot_in_progress' });
    await first;
    expect((await snapshots.loadNewest())?.offset).toBe(5);
  });

  it('rejects keeping fewer than one snapshot', () => {
    expect(() => new HeadSnapshotDir({ dir: root, keep: 0 }, defaultHeadConfig(), nopLogger, registries)).toThrow(expect.objectContaining({ reason: 'invalid_head_snapshot_config' }));
  });
});
