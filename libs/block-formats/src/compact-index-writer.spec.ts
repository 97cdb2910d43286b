import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@panoptes/common';
import { StreamingIndexWriter } from './compact-index-writer';
import { IndexReader, IndexSeries, MemorySink, writeIndex } from './index-format';
import { compareLabels, compareUtf8, Label } from './labels';
import { seededRandom } from './test-util';

/** ~300 series with 2–5 labels, shared and unique values, some non-ASCII, sorted. */
function workload(): IndexSeries[] {
  const rnd = seededRandom(11);
  const names = ['__name__', 'env', 'instance', 'job', 'zone', 'ü'];
  const values = ['a', 'b', 'prod', 'zürich', '東京', '😀', 'x'.repeat(200)];
  const seen = new Set<string>();
  const out: IndexSeries[] = [];
  for (let i = 0; i < 400; i++) {
    const labels: Label[] = [['__name__', `metric_${i % 17}`]];
    for (const n of names.slice(1)) if (rnd() < 0.5) labels.push([n, rnd() < 0.3 ? `v${i}` : values[Math.floor(rnd() * values.length)]]);
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue;
    seen.add(key);
    const chunks = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, k) => ({ mint: 1000 * k, maxt: 1000 * k + 999, ref: 8 + i * 100 + k * 10 }));
    out.push({ labels, chunks });
  }
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

function symbolsOf(series: readonly IndexSeries[]): string[] {
  const set = new Set<string>();
  for (const s of series) for (const [n, v] of s.labels) set.add(n).add(v);
  return [...set].sort(compareUtf8);
}

describe('StreamingIndexWriter', () => {
  let dir: string;
  const series = workload();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'compact-index-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, symbols: string[], postingsBatchEntries: number, readWindowBytes: number): Promise<Buffer> {
    const path = join(dir, name);
    const w = new StreamingIndexWriter(path, symbols, { postingsBatchEntries, readWindowBytes });
    await w.open();
    for (const s of series) await w.addSeries(s.labels, s.chunks);
    await w.finish();
    return readFile(path);
  }

  it.each([
    { name: 'one postings pass', batch: 1 << 20, window: 1 << 20 },
    { name: 'a pass per label name (batch of 1 entry)', batch: 1, window: 1 << 20 },
    { name: 'small batches and a 64-byte read window', batch: 50, window: 64 },
  ])('writes the exact bytes of writeIndex for the same series ($name)', async ({ name, batch, window }) => {
    const sink = new MemorySink();
    await writeIndex(sink, series);
    const got = await write(name, symbolsOf(series), batch, window);
    expect(got.equals(sink.bytes())).toBe(true);
  });

  it('writes a readable index when the symbol table holds strings no series uses', async () => {
    const symbols = [...symbolsOf(series), 'unused-1', 'zzz-unused'].sort(compareUtf8);
    const r = new IndexReader(await write('extra-symbols', symbols, 100, 4096));
    expect(r.symbols()).toContain('zzz-unused');
    const refs = [...r.allPostings()];
    expect(refs.map((ref) => r.series(ref))).toEqual(series);
    for (const s of series.slice(0, 20)) {
      for (const [n, v] of s.labels) {
        const matching = series.filter((x) => x.labels.some(([a, b]) => a === n && b === v));
        expect([...r.postings(n, v)].map((ref) => r.series(ref).labels)).toEqual(matching.map((x) => x.labels));
      }
    }
  });

  it.each([
    { name: 'series out of order', add: [series[1], series[0]], reason: 'series_not_sorted' },
    { name: 'a duplicate series', add: [series[0], series[0]], reason: 'series_not_sorted' },
    { name: 'a label value missing from the symbols', add: [{ labels: [['__name__', 'nope']] as Label[], chunks: series[0].chunks }], reason: 'symbol_missing' },
    { name: 'a series without chunks', add: [{ labels: series[0].labels, chunks: [] }], reason: 'series_without_chunks' },
  ])('rejects $name', async ({ name, add, reason }) => {
    const w = new StreamingIndexWriter(join(dir, `bad-${name}`), symbolsOf(series), { postingsBatchEntries: 10, readWindowBytes: 1024 });
    await w.open();
    let err: unknown;
    try {
      for (const s of add) await w.addSeries(s.labels, s.chunks);
    } catch (e) {
      err = e;
    }
    await w.discard();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).reason).toBe(reason);
  });

  it('rejects symbols that are not sorted by UTF-8 bytes', () => {
    expect(() => new StreamingIndexWriter(join(dir, 'x'), ['b', 'a'], { postingsBatchEntries: 1, readWindowBytes: 64 })).toThrow(ValidationError);
  });
});
