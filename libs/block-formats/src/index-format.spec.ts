import { createHash } from 'node:crypto';
import { ValidationError } from '@panoptes/common';
import { CorruptBlockError } from './errors';
import { IndexBuilder, IndexReader, IndexSeries, MemorySink, writeIndex } from './index-format';
import { compareLabels } from './labels';
import { seededRandom } from './test-util';

// The index promtool 2.42 (`tsdb create-blocks-from openmetrics`) wrote for two series:
// foo{a="x"} (one chunk 1000000..1046000 at ref 8) and foo{b="é"} (one chunk at 1000000, ref 36).
const PROMTOOL_INDEX_HEX = [
  'baaad700020000001b0000000700085f5f6e616d655f5f0161016203666f6f017802c3a9d8b6f1020000000000000000',
  '0d02010402050180897ab0e702082259179700000000000000000000000000000b02010403060180897a0024044c405f',
  '0000000c00000001000000010000000420d59ba60000000c000000010000000100000005d2be18a50000000c00000001',
  '0000000100000006c1eeeb510000000c000000020000000300000005bb33cbd40000000c000000020000000300000005',
  'bb33cbd4000000080000000100000003a7692ed200000008000000010000000581c8c93a000000180000000301085f5f',
  '6e616d655f5f60010161740101628801321e77a100000028000000040200009c0102085f5f6e616d655f5f03666f6fb0',
  '010201610178c40102016202c3a9d401209768f500000000000000050000000000000028000000000000006000000000',
  '000000e4000000000000009c0000000000000104b8ff7a32',
].join('');

async function encode(series: IndexSeries[]): Promise<Buffer> {
  const sink = new MemorySink();
  await writeIndex(sink, series);
  return Buffer.from(sink.bytes());
}

function manySeries(): IndexSeries[] {
  const out: IndexSeries[] = [];
  let ref = 8;
  for (let i = 0; i < 40; i++) {
    const labels: Array<[string, string]> = [
      ['__name__', i % 3 === 0 ? 'http_requests_total' : 'up'],
      ['instance', `host-${i % 7}`],
      ['job', i % 2 ? 'api' : 'wörker 😀'],
      ['shard', String(i)],
    ];
    if (i % 5 === 0) labels.push(['zone', 'eu-1']);
    const chunks = [];
    for (let c = 0; c < 1 + (i % 4); c++) {
      chunks.push({ mint: -5000 + c * 10_000 + i, maxt: -5000 + c * 10_000 + i + 9_000, ref });
      ref += 37 + c;
    }
    out.push({ labels, chunks });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

/**
 * A few hundred varied series, deterministic: ASCII and non-ASCII strings (2-, 3- and 4-byte UTF-8,
 * U+E000..U+FFFF next to astral characters, where UTF-16 and UTF-8 orders differ), names also
 * used as values, values shared by many series and values unique to one, strings longer than 127
 * bytes (2-byte length prefixes), 1 to 5 chunks per series with negative times, refs in several
 * segments and a ref that goes backwards. Half the series get fresh string objects for equal
 * strings, half share them (as the head's interned labels do).
 */
function variedSeries(): IndexSeries[] {
  const rnd = seededRandom(20240611);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const metrics = ['up', 'http_requests_total', 'wörker_läuft', 'ζ_metric', 'go_gc_seconds', 'a', 'job'];
  const jobs = ['api', 'web', 'wörker 😀', '\ue000private', '\u{1f600}astral', 'x'.repeat(140), 'é'];
  const names = ['code', 'env', 'instance', 'le', 'path', 'pod', 'région', 'up', 'zone', '\u{10000}first-astral'];
  const shared = new Map<string, string>();
  const share = (v: string): string => {
    let s = shared.get(v);
    if (s === undefined) shared.set(v, (s = v));
    return s;
  };
  const out: IndexSeries[] = [];
  const seen = new Set<string>();
  let ref = 8;
  for (let i = 0; out.length < 300 && i < 10_000; i++) {
    const fresh = i % 2 === 0;
    const str = (v: string): string => (fresh ? `${v.slice(0, 1)}${v.slice(1)}` : share(v));
    const pairs = new Map<string, string>([
      ['__name__', pick(metrics)],
      ['job', pick(jobs)],
    ]);
    for (const n of names) {
      if (rnd() < 0.45) continue;
      const r = rnd();
      const v =
        r < 0.3 ? `${n}-${Math.floor(rnd() * 4)}` : r < 0.5 ? pick(metrics) : r < 0.7 ? `unique-${i}-${'ü'.repeat(i % 5)}` : r < 0.85 ? String(Math.floor(rnd() * 300)) : pick(jobs);
      pairs.set(n, v);
    }
    const labels = [...pairs]
      .sort(([a], [b]) => compareLabels([[a, '']], [[b, '']]))
      .map(([n, v]) => [str(n), str(v)] as [string, string]);
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue;
    seen.add(key);
    const chunks = [];
    let t = Math.floor(rnd() * 200_000) - 100_000;
    for (let c = 0, n = 1 + Math.floor(rnd() * 5); c < n; c++) {
      const mint = t + Math.floor(rnd() * 5_000) + 1;
      const maxt = mint + Math.floor(rnd() * 30_000);
      t = maxt;
      if (i === 7 && c === 1) ref -= 200; // refs need not grow within a series
      chunks.push({ mint, maxt, ref });
      ref += 20 + Math.floor(rnd() * 500);
      if (rnd() < 0.01) ref = (Math.floor(ref / 2 ** 32) + 1) * 2 ** 32 + 8; // next segment
    }
    out.push({ labels, chunks });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

// SHA-256 of the index the original writer produced for variedSeries(), before it was rewritten for speed.
const VARIED_INDEX_SHA256 = '65c91ba552d9a84f56bfb475484a3e047f46f084060e95239d156ccab16c1f3a';

describe('writeIndex', () => {
  it('writes the same bytes as before its rewrite for a few hundred varied series', async () => {
    const series = variedSeries();
    expect(series).toHaveLength(300);
    const bytes = await encode(series);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(VARIED_INDEX_SHA256);
    const r = new IndexReader(bytes);
    expect([...r.allPostings()].map((ref) => r.series(ref))).toEqual(series);
  });

  it('writes the same bytes through an IndexBuilder fed one series at a time', async () => {
    const b = new IndexBuilder();
    for (const s of variedSeries()) b.add(s.labels, s.chunks);
    const sink = new MemorySink();
    await b.write(sink);
    expect(createHash('sha256').update(sink.bytes()).digest('hex')).toBe(VARIED_INDEX_SHA256);
  });

  it.each([
    { name: 'any first series', last: undefined, next: [['b', '1']], want: true },
    { name: 'a series sorting after the last', last: [['a', '1']], next: [['a', '2']], want: true },
    { name: 'a longer series with the last as prefix', last: [['a', '1']], next: [['a', '1'], ['b', '1']], want: true },
    { name: 'the last series again', last: [['a', '1']], next: [['a', '1']], want: false },
    { name: 'a series sorting before the last', last: [['a', '2']], next: [['a', '10']], want: false },
    { name: 'an astral value after U+FFFF (UTF-8 order)', last: [['a', '\uffff']], next: [['a', '😀']], want: true },
  ] as Array<{ name: string; last: Array<[string, string]> | undefined; next: Array<[string, string]>; want: boolean }>)(
    'IndexBuilder.follows accepts $name: $want',
    ({ last, next, want }) => {
      const b = new IndexBuilder();
      if (last) b.add(last, [{ mint: 0, maxt: 1, ref: 8 }]);
      expect(b.follows(next)).toBe(want);
    },
  );

  it('writes the same bytes as Prometheus for the same series and chunk refs', async () => {
    const bytes = await encode([
      { labels: [['__name__', 'foo'], ['a', 'x']], chunks: [{ mint: 1_000_000, maxt: 1_046_000, ref: 8 }] },
      { labels: [['__name__', 'foo'], ['b', 'é']], chunks: [{ mint: 1_000_000, maxt: 1_000_000, ref: 36 }] },
    ]);
    expect(bytes.toString('hex')).toBe(PROMTOOL_INDEX_HEX);
  });

  it.each<{ name: string; series: IndexSeries[]; reason: string }>([
    {
      name: 'unsorted series',
      series: [
        { labels: [['a', '2']], chunks: [{ mint: 0, maxt: 1, ref: 8 }] },
        { labels: [['a', '1']], chunks: [{ mint: 0, maxt: 1, ref: 20 }] },
      ],
      reason: 'series_not_sorted',
    },
    {
      name: 'duplicate series',
      series: [
        { labels: [['a', '1']], chunks: [{ mint: 0, maxt: 1, ref: 8 }] },
        { labels: [['a', '1']], chunks: [{ mint: 0, maxt: 1, ref: 20 }] },
      ],
      reason: 'series_not_sorted',
    },
    { name: 'a series without chunks', series: [{ labels: [['a', '1']], chunks: [] }], reason: 'series_without_chunks' },
    {
      name: 'overlapping chunks',
      series: [
        {
          labels: [['a', '1']],
          chunks: [
            { mint: 0, maxt: 10, ref: 8 },
            { mint: 10, maxt: 20, ref: 30 },
          ],
        },
      ],
      reason: 'chunks_overlap',
    },
  ])('rejects $name', async ({ series, reason }) => {
    await expect(writeIndex(new MemorySink(), series)).rejects.toMatchObject({ reason });
    await expect(writeIndex(new MemorySink(), series)).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('IndexReader', () => {
  it('reads the index promtool wrote', () => {
    const r = new IndexReader(Buffer.from(PROMTOOL_INDEX_HEX, 'hex'));
    expect(r.symbols()).toEqual(['', '__name__', 'a', 'b', 'foo', 'x', 'é']);
    expect(r.labelNames()).toEqual(['__name__', 'a', 'b']);
    const all = [...r.allPostings()];
    expect(all).toEqual([3, 5]);
    expect(r.series(3)).toEqual({ labels: [['__name__', 'foo'], ['a', 'x']], chunks: [{ mint: 1_000_000, maxt: 1_046_000, ref: 8 }] });
    expect([...r.postings('b', 'é')]).toEqual([5]);
  });

  it('round-trips series, label values and postings', async () => {
    const series = manySeries();
    const r = new IndexReader(await encode(series));
    const refs = [...r.allPostings()];
    expect(refs).toHaveLength(series.length);
    expect(refs.map((ref) => r.series(ref))).toEqual(series);
    expect(r.labelNames()).toEqual(['__name__', 'instance', 'job', 'shard', 'zone']);
    expect(r.labelValues('job')).toEqual(['api', 'wörker 😀']);
    const zone = [...r.postings('zone', 'eu-1')].map((ref) => r.series(ref).labels);
    expect(zone).toEqual(series.filter((s) => s.labels.some(([n]) => n === 'zone')).map((s) => s.labels));
    expect([...r.postings('job', 'nope')]).toEqual([]);
    expect([...r.postings('nope', 'x')]).toEqual([]);
  });

  it('pads to a 16-byte boundary with zeros before the first series and sorts symbols by UTF-8 bytes', async () => {
    const bytes = await encode(manySeries());
    const r = new IndexReader(bytes);
    const syms = [...r.symbols()];
    const byBytes = [...syms].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(syms).toEqual(byBytes);
    const first = r.allPostings()[0] * 16;
    expect(first - r.toc.series).toBeLessThan(16);
    expect([...bytes.subarray(r.toc.series, first)].every((b) => b === 0)).toBe(true);
  });

  it.each([
    { name: 'bad magic', mutate: (b: Buffer) => (b[0] = 0), error: /bad magic/ },
    { name: 'index version 1', mutate: (b: Buffer) => (b[4] = 1), error: /version 1 is not supported/ },
    { name: 'corrupt TOC', mutate: (b: Buffer) => (b[b.length - 10] ^= 1), error: /TOC: checksum mismatch/ },
    { name: 'corrupt symbol table', mutate: (b: Buffer) => (b[12] ^= 1), error: /symbol table: checksum mismatch/ },
  ])('refuses an index with $name', ({ mutate, error }) => {
    const b = Buffer.from(PROMTOOL_INDEX_HEX, 'hex');
    mutate(b);
    expect(() => new IndexReader(b)).toThrow(CorruptBlockError);
    expect(() => new IndexReader(b)).toThrow(error);
  });

  it('detects a corrupt series entry when it is read', () => {
    const b = Buffer.from(PROMTOOL_INDEX_HEX, 'hex');
    b[0x33] ^= 1;
    const r = new IndexReader(b);
    expect(() => r.series(3)).toThrow(/series 3: checksum mismatch/);
  });
});
