import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@panoptes/common';
import { BlockReader } from './block-reader';
import { BlockWriter, defaultBlockWriterConfig } from './block-writer';
import { chunkRefSegment } from './chunk-segments';
import { IndexReader, MemorySink, writeIndex } from './index-format';
import { compareLabels, Labels } from './labels';
import { parseMeta, TENANT_ID_EXTERNAL_LABEL } from './meta';
import { decodeTombstones } from './tombstones';
import { bitsOf, seededRandom, STALE_NAN_HI, STALE_NAN_LO } from './test-util';
import { XorChunkEncoder } from './xor-chunk';

const ULID = '01J0000000000000000000000A';

interface TestSeries {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

function makeSeries(labels: Labels, n: number, seed: number, start = 1_700_000_000_000): TestSeries {
  const rnd = seededRandom(seed);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  let t = start;
  let v = 0;
  for (let i = 0; i < n; i++) {
    t += 1000 + Math.floor(rnd() * 20_000);
    v += rnd() - 0.3;
    ts[i] = t;
    vs[i] = v;
  }
  return { labels, ts, vs };
}

describe('BlockWriter and BlockReader', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'block-formats-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes meta.json, index, chunks and tombstones into <dir>/<ulid> and nothing else', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID, externalLabels: { [TENANT_ID_EXTERNAL_LABEL]: 't1' } });
    const s = makeSeries([['__name__', 'up']], 10, 1);
    await w.addSeries(s.labels, s.ts, s.vs);
    const meta = await w.finish();
    expect(await readdir(dir)).toEqual([ULID]);
    expect((await readdir(join(dir, ULID))).sort()).toEqual(['chunks', 'index', 'meta.json', 'tombstones']);
    expect(await readdir(join(dir, ULID, 'chunks'))).toEqual(['000001']);
    const onDisk = parseMeta(await readFile(join(dir, ULID, 'meta.json'), 'utf8'));
    expect(onDisk).toEqual(meta);
    expect(meta).toMatchObject({
      ulid: ULID,
      minTime: s.ts[0],
      maxTime: s.ts[9] + 1,
      stats: { numSamples: 10, numSeries: 1, numChunks: 1 },
      compaction: { level: 1, sources: [ULID] },
      version: 1,
      thanos: { labels: { __org_id__: 't1' }, downsample: { resolution: 0 }, source: 'receive', segment_files: ['000001'] },
    });
    expect(meta.thanos!.files!.map((f) => f.rel_path)).toEqual(['chunks/000001', 'index', 'meta.json']);
    expect(meta.thanos!.files![1].size_bytes).toBe((await stat(join(dir, ULID, 'index'))).size);
  });

  it('writes an empty tombstones file byte-identical to Prometheus', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    const s = makeSeries([['a', 'b']], 1, 1);
    await w.addSeries(s.labels, s.ts, s.vs);
    await w.finish();
    const bytes = await readFile(join(dir, ULID, 'tombstones'));
    expect(bytes.toString('hex')).toBe('0130ba300100000000');
    expect(decodeTombstones(bytes)).toEqual([]);
  });

  it('reads back every sample bit for bit, series sorted by labels whatever the add order', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    const series = [
      makeSeries([['__name__', 'z_metric'], ['job', 'b']], 250, 1),
      makeSeries([['__name__', 'a_metric'], ['job', 'ünï 😀']], 120, 2),
      makeSeries([['__name__', 'a_metric'], ['job', 'a']], 1, 3),
      makeSeries([['__name__', 'm'], ['instance', 'x'], ['job', 'a']], 121, 4),
    ];
    // Staleness markers, NaN and infinities must survive exactly.
    const words = new Uint32Array(series[0].vs.buffer);
    words[2 * 5 + 1] = STALE_NAN_HI;
    words[2 * 5] = STALE_NAN_LO;
    series[0].vs[6] = NaN;
    series[0].vs[7] = Infinity;
    series[0].vs[8] = -Infinity;
    for (const s of series) await w.addSeries(s.labels, s.ts, s.vs);
    const meta = await w.finish();
    expect(meta.stats).toEqual({ numSamples: 492, numSeries: 4, numChunks: 3 + 1 + 1 + 2 });

    const r = await BlockReader.open(join(dir, ULID));
    const got = [...r.allSeries()];
    const want = [...series].sort((a, b) => compareLabels(a.labels, b.labels));
    expect(got.map((g) => g.labels)).toEqual(want.map((s) => s.labels));
    for (let i = 0; i < got.length; i++) {
      const samples = r.samples(got[i].ref);
      expect(Array.from(samples.timestamps)).toEqual(Array.from(want[i].ts));
      expect(bitsOf(samples.values)).toEqual(bitsOf(want[i].vs));
    }
  });

  it.each([
    { name: 'in label order (index built as they come)', order: (n: number, i: number) => i },
    { name: 'in reverse order', order: (n: number, i: number) => n - 1 - i },
    { name: 'in order but for the last', order: (n: number, i: number) => (i === n - 1 ? 0 : i + 1) },
  ])('writes the index of what it holds when series arrive $name', async ({ order }) => {
    const sorted = Array.from({ length: 30 }, (_, i) =>
      makeSeries([['__name__', i % 3 ? 'up' : 'ẞ_total'], ['i', String(i % 10)], ['job', `j${Math.floor(i / 10)}`]], 1 + (i % 4) * 50, i),
    ).sort((a, b) => compareLabels(a.labels, b.labels));
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    for (let i = 0; i < sorted.length; i++) {
      const s = sorted[order(sorted.length, i)];
      await w.addSeries(s.labels, s.ts, s.vs);
    }
    await w.finish();
    const bytes = await readFile(join(dir, ULID, 'index'));
    const r = new IndexReader(bytes);
    const held = [...r.allPostings()].map((ref) => r.series(ref));
    expect(held.map((s) => s.labels)).toEqual(sorted.map((s) => s.labels));
    const sink = new MemorySink();
    await writeIndex(sink, held);
    expect(Buffer.from(sink.bytes()).equals(bytes)).toBe(true);
  });

  it.each([
    { name: '1 sample', n: 1, chunks: [1] },
    { name: '120 samples', n: 120, chunks: [120] },
    { name: '121 samples', n: 121, chunks: [120, 1] },
    { name: '1000 samples', n: 1000, chunks: [120, 120, 120, 120, 120, 120, 120, 120, 40] },
  ])('cuts $name into chunks of at most 120 samples with exact time ranges', async ({ n, chunks }) => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    const s = makeSeries([['a', 'b']], n, 5);
    await w.addSeries(s.labels, s.ts, s.vs);
    await w.finish();
    const r = await BlockReader.open(join(dir, ULID));
    const metas = r.series(r.index.allPostings()[0]).chunks;
    expect(metas.map((c) => (r.chunk(c.ref).data[0] << 8) | r.chunk(c.ref).data[1])).toEqual(chunks);
    let at = 0;
    for (const [i, c] of metas.entries()) {
      expect([c.mint, c.maxt]).toEqual([s.ts[at], s.ts[at + chunks[i] - 1]]);
      at += chunks[i];
    }
  });

  it('stores pre-cut chunks verbatim', async () => {
    const enc = new XorChunkEncoder();
    const chunks = [0, 1].map((k) => {
      enc.reset();
      for (let i = 0; i < 50; i++) enc.append(k * 1_000_000 + i * 1000, i * k);
      return { data: Uint8Array.from(enc.bytes()), mint: k * 1_000_000, maxt: k * 1_000_000 + 49_000 };
    });
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    await w.addSeriesChunks([['a', 'b']], chunks);
    const meta = await w.finish();
    expect(meta).toMatchObject({ minTime: 0, maxTime: 1_049_001, stats: { numSamples: 100, numChunks: 2 } });
    const r = await BlockReader.open(join(dir, ULID));
    const s = r.series(r.index.allPostings()[0]);
    expect(s.chunks.map((c) => Buffer.from(r.chunk(c.ref).data))).toEqual(chunks.map((c) => Buffer.from(c.data)));
  });

  it('spreads chunks over several segment files when a segment would exceed its size limit', async () => {
    const w = new BlockWriter({ ...defaultBlockWriterConfig(), maxSegmentBytes: 2048 }, dir, { ulid: ULID });
    const series = Array.from({ length: 20 }, (_, i) => makeSeries([['i', String(i).padStart(2, '0')]], 240, i));
    for (const s of series) await w.addSeries(s.labels, s.ts, s.vs);
    const meta = await w.finish();
    const files = await readdir(join(dir, ULID, 'chunks'));
    expect(files.length).toBeGreaterThan(2);
    expect(meta.thanos!.segment_files).toEqual(files);
    for (const f of files) expect((await stat(join(dir, ULID, 'chunks', f))).size).toBeLessThanOrEqual(2048);
    const r = await BlockReader.open(join(dir, ULID));
    const segmentsUsed = new Set<number>();
    for (const [i, s] of [...r.allSeries()].entries()) {
      s.chunks.forEach((c) => segmentsUsed.add(chunkRefSegment(c.ref)));
      expect(Array.from(r.samples(s.ref).timestamps)).toEqual(Array.from(series[i].ts));
    }
    expect(segmentsUsed.size).toBe(files.length);
  });

  it('reads a block from buffers as from a directory', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    const s = makeSeries([['a', 'b']], 300, 8);
    await w.addSeries(s.labels, s.ts, s.vs);
    await w.finish();
    const b = join(dir, ULID);
    const r = BlockReader.fromBuffers({
      meta: await readFile(join(b, 'meta.json')),
      index: await readFile(join(b, 'index')),
      segments: [await readFile(join(b, 'chunks', '000001'))],
    });
    expect(r.meta.ulid).toBe(ULID);
    expect(Array.from(r.samples(r.index.allPostings()[0]).values)).toEqual(Array.from(s.vs));
  });

  it.each([
    { name: 'unsorted label names', labels: [['b', '1'], ['a', '1']] as Labels, ts: [1], vs: [1], reason: 'labels_not_sorted' },
    { name: 'no samples', labels: [['a', '1']] as Labels, ts: [], vs: [], reason: 'invalid_samples' },
    { name: 'mismatched lengths', labels: [['a', '1']] as Labels, ts: [1, 2], vs: [1], reason: 'invalid_samples' },
    { name: 'repeated timestamp', labels: [['a', '1']] as Labels, ts: [1, 1], vs: [1, 2], reason: 'invalid_timestamps' },
    { name: 'fractional timestamp', labels: [['a', '1']] as Labels, ts: [1.5], vs: [1], reason: 'invalid_timestamps' },
  ])('rejects a series with $name', async ({ labels, ts, vs, reason }) => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    await expect(w.addSeries(labels, Float64Array.from(ts), Float64Array.from(vs))).rejects.toMatchObject({ reason });
    await w.abort();
  });

  it('refuses a series added twice and leaves no block or temporary directory behind', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    const s = makeSeries([['a', 'b']], 5, 1);
    await w.addSeries(s.labels, s.ts, s.vs);
    await w.addSeries(s.labels, s.ts, s.vs);
    await expect(w.finish()).rejects.toMatchObject({ reason: 'duplicate_series' });
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to finish an empty block', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    await expect(w.finish()).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps an unfinished block under a temporary name and abort() removes it', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir, { ulid: ULID });
    const s = makeSeries([['a', 'b']], 5, 1);
    await w.addSeries(s.labels, s.ts, s.vs);
    expect(await readdir(dir)).toEqual([`${ULID}.tmp-for-creation`]);
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
    await expect(w.addSeries(s.labels, s.ts, s.vs)).rejects.toMatchObject({ reason: 'block_writer_closed' });
  });

  it('generates a ULID when none is given', async () => {
    const w = new BlockWriter(defaultBlockWriterConfig(), dir);
    expect(w.ulid).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
