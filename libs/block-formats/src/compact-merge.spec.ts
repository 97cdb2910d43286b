import { UnprocessableError } from '@panoptes/common';
import { MergeChunk, SeriesMerger } from './compact-merge';
import { Interval } from './compact-tombstones';
import { CHUNK_ENCODING_XOR, XorChunkEncoder, XorChunkIterator } from './xor-chunk';

/** An XOR chunk of samples `[t, v]`, as stored (not re-encoded). */
function chunk(samples: ReadonlyArray<readonly [number, number]>, encoding = CHUNK_ENCODING_XOR): MergeChunk {
  const enc = new XorChunkEncoder();
  for (const [t, v] of samples) enc.append(t, v);
  return { mint: samples[0][0], maxt: samples[samples.length - 1][0], encoding, data: enc.bytes().slice(), reencoded: false };
}

/** `n` samples from t0 every `step`, value `f(t)`. */
function run(t0: number, n: number, step: number, f: (t: number) => number = (t) => t / 10): Array<[number, number]> {
  return Array.from({ length: n }, (_, i) => [t0 + i * step, f(t0 + i * step)] as [number, number]);
}

function samplesOf(chunks: readonly MergeChunk[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const it = new XorChunkIterator();
  for (const c of chunks) {
    it.reset(c.data);
    let n = 0;
    while (it.next()) {
      out.push([it.t, it.v]);
      n++;
    }
    expect([c.mint, c.maxt]).toEqual([out[out.length - n][0], out[out.length - 1][0]]);
  }
  return out;
}

function expectNoOverlap(chunks: readonly MergeChunk[]): void {
  for (let i = 1; i < chunks.length; i++) expect(chunks[i].mint).toBeGreaterThan(chunks[i - 1].maxt);
}

describe('SeriesMerger.merge', () => {
  it('keeps chunks that overlap nothing exactly as stored, in time order across inputs', () => {
    const a = [chunk(run(0, 10, 10)), chunk(run(200, 10, 10))];
    const b = [chunk(run(100, 10, 10)), chunk(run(300, 10, 10))];
    const m = new SeriesMerger();
    const out = m.merge([b, a]);
    expect(out).toEqual([a[0], b[0], a[1], b[1]]);
    expect(out.every((c) => !c.reencoded)).toBe(true);
    expect(m.counters).toMatchObject({ duplicateChunks: 0, overlapMerges: 0 });
  });

  it.each([
    { name: 'two replicas', copies: 2 },
    { name: 'three replicas (RF 3)', copies: 3 },
  ])('keeps one of identical replica chunks without re-encoding ($name)', ({ copies }) => {
    const make = () => [chunk(run(0, 120, 15)), chunk(run(1800, 120, 15)), chunk(run(3600, 7, 15))];
    const inputs = Array.from({ length: copies }, make);
    const m = new SeriesMerger();
    const out = m.merge(inputs);
    expect(out).toEqual(inputs[0]);
    expect(out.every((c) => !c.reencoded)).toBe(true);
    expect(m.counters.duplicateChunks).toBe(3 * (copies - 1));
  });

  it.each([
    { name: 'interleaved timestamps', a: run(0, 100, 20), b: run(10, 100, 20), want: run(0, 200, 10) },
    { name: 'overlapping ranges sharing timestamps', a: run(0, 100, 10), b: run(500, 100, 10), want: run(0, 150, 10) },
    { name: 'a replica that missed samples', a: run(0, 150, 10).filter((_, i) => i % 7 !== 3), b: run(0, 150, 10), want: run(0, 150, 10) },
    {
      name: 'an out-of-order block inside the range',
      a: run(0, 50, 100),
      b: run(1050, 10, 100),
      want: [...run(0, 50, 100), ...run(1050, 10, 100)].sort((x, y) => x[0] - y[0]),
    },
  ])('merges overlapping chunks sample by sample into the union of timestamps ($name)', ({ a, b, want }) => {
    const toChunks = (s: Array<[number, number]>, per: number) => {
      const out: MergeChunk[] = [];
      for (let i = 0; i < s.length; i += per) out.push(chunk(s.slice(i, i + per)));
      return out;
    };
    const out = new SeriesMerger().merge([toChunks(a, 120), toChunks(b, 37)]);
    expect(samplesOf(out)).toEqual(want);
    expectNoOverlap(out);
    expect(out.every((c) => ((c.data[0] << 8) | c.data[1]) <= 120)).toBe(true);
  });

  it('re-encodes a merged run into chunks of 120 samples, the last shorter', () => {
    const out = new SeriesMerger().merge([[chunk(run(0, 200, 2))], [chunk(run(1, 100, 2))]]);
    expect(out.map((c) => (c.data[0] << 8) | c.data[1])).toEqual([120, 120, 60]);
    expect(out.every((c) => c.reencoded)).toBe(true);
  });

  it('cuts re-encoded chunks at samplesPerChunk', () => {
    const out = new SeriesMerger(50).merge([[chunk(run(0, 100, 2))], [chunk(run(1, 20, 2))]]);
    expect(out.map((c) => (c.data[0] << 8) | c.data[1])).toEqual([50, 50, 20]);
  });

  it("merges the tail of a re-encoded run again with a later chunk that overlaps it (Prometheus' compactChunkIterator)", () => {
    // A: one long chunk; B: a chunk overlapping its start, then one overlapping its end.
    const a = [chunk(run(0, 300, 10))];
    const b = [chunk(run(5, 3, 10)), chunk(run(2905, 30, 10))];
    const out = new SeriesMerger().merge([a, b]);
    const want = [...run(0, 300, 10), ...run(5, 3, 10), ...run(2905, 30, 10)].sort((x, y) => x[0] - y[0]);
    expect(samplesOf(out)).toEqual(want);
    expectNoOverlap(out);
  });

  it('keeps one sample per timestamp when inputs disagree, the one Prometheus 2.42 keeps for the same inputs', () => {
    // Expected values recorded from Prometheus 2.42's LeveledCompactor on the same three blocks
    // (A: 100+i in chunks of 4, B: 200+i in one chunk, C: 300+i at even i in chunks of 3).
    const t = (i: number) => i * 1000;
    const split = (s: Array<[number, number]>, per: number) => {
      const out: MergeChunk[] = [];
      for (let i = 0; i < s.length; i += per) out.push(chunk(s.slice(i, i + per)));
      return out;
    };
    const a = split(Array.from({ length: 10 }, (_, i) => [t(i), 100 + i]), 4);
    const b = split(Array.from({ length: 10 }, (_, i) => [t(i), 200 + i]), 10);
    const c = split(Array.from({ length: 5 }, (_, i) => [t(2 * i), 300 + 2 * i]), 3);
    const out = new SeriesMerger().merge([a, b, c]);
    expect(samplesOf(out).map(([, v]) => v)).toEqual([200, 101, 102, 203, 204, 105, 106, 207, 208, 109]);
  });

  it('copies a non-XOR chunk that overlaps nothing, and refuses to merge one that overlaps', () => {
    const hist = { ...chunk(run(1000, 5, 10)), encoding: 2 };
    expect(new SeriesMerger().merge([[chunk(run(0, 5, 10))], [hist]])).toEqual([chunk(run(0, 5, 10)), hist]);
    expect(() => new SeriesMerger().merge([[chunk(run(1000, 10, 5))], [hist]])).toThrow(UnprocessableError);
  });
});

describe('SeriesMerger.applyTombstones', () => {
  const chunks = [chunk(run(0, 10, 10)), chunk(run(100, 10, 10)), chunk(run(200, 10, 10))];

  it.each<{ name: string; intervals: Interval[]; want: Array<[number, number]>; copied: number[]; deleted: number }>([
    { name: 'no intervals', intervals: [], want: [...run(0, 30, 10)], copied: [0, 1, 2], deleted: 0 },
    { name: 'a whole chunk', intervals: [{ mint: 100, maxt: 190 }], want: [...run(0, 10, 10), ...run(200, 10, 10)], copied: [0, 2], deleted: 1 },
    { name: 'everything', intervals: [{ mint: -(2 ** 63), maxt: 2 ** 63 }], want: [], copied: [], deleted: 3 },
    { name: 'the middle of a chunk', intervals: [{ mint: 130, maxt: 150 }], want: run(0, 30, 10).filter(([t]) => t < 130 || t > 150), copied: [0, 2], deleted: 0 },
    { name: 'across a chunk boundary', intervals: [{ mint: 85, maxt: 115 }], want: run(0, 30, 10).filter(([t]) => t < 85 || t > 115), copied: [2], deleted: 0 },
    { name: 'between samples (nothing deleted, chunk re-encoded)', intervals: [{ mint: 101, maxt: 109 }], want: run(0, 30, 10), copied: [0, 2], deleted: 0 },
  ])('drops samples in deleted intervals, re-encoding only the chunks they touch ($name)', ({ intervals, want, copied, deleted }) => {
    const m = new SeriesMerger();
    const out = m.applyTombstones(chunks, intervals);
    expect(samplesOf(out)).toEqual(want);
    expect(copied.map((i) => out.includes(chunks[i]))).toEqual(copied.map(() => true));
    expect(out.filter((c) => !c.reencoded)).toHaveLength(copied.length);
    expect(m.counters.deletedChunks).toBe(deleted);
  });

  it('drops a chunk whose samples are all deleted by several intervals together', () => {
    const out = new SeriesMerger().applyTombstones([chunk(run(0, 4, 10))], [
      { mint: 0, maxt: 10 },
      { mint: 20, maxt: 30 },
    ]);
    expect(out).toEqual([]);
  });
});
