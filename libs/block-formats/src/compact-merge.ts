import { UnprocessableError } from '@panoptes/common';
import { GoHeap } from './compact-heap';
import { Interval, isSubrange, overlapsAny } from './compact-tombstones';
import { CHUNK_ENCODING_XOR, XorChunkEncoder, XorChunkIterator } from './xor-chunk';

/** A chunk of one series during a merge. */
export interface MergeChunk {
  /** First and last sample timestamps, ms, inclusive. */
  mint: number;
  maxt: number;
  encoding: number;
  data: Uint8Array;
  /** True when the merge encoded it; false when it is an input chunk as stored (copied as is). */
  reencoded: boolean;
}

/** What a merge did, summed over the series merged by one `SeriesMerger`. */
export interface MergeCounters {
  /** Input chunks dropped because another input held the same chunk (same range and bytes). */
  duplicateChunks: number;
  /** Input chunks dropped whole by tombstones. */
  deletedChunks: number;
  /** Input chunks re-encoded because tombstones deleted part of them. */
  trimmedChunks: number;
  /** Groups of overlapping chunks merged sample by sample. */
  overlapMerges: number;
}

/** Prometheus' `seriesToChunkEncoderSplit`: re-encoded chunks hold at most this many samples. */
export const DEFAULT_SAMPLES_PER_MERGED_CHUNK = 120;

class ChunkList {
  private i = -1;

  constructor(private readonly chunks: readonly MergeChunk[]) {}

  next(): boolean {
    return ++this.i < this.chunks.length;
  }

  at(): MergeChunk {
    return this.chunks[this.i];
  }
}

/** Prometheus' `chunkIteratorHeap`: by min time, then max time. */
function chunkLess(a: ChunkList, b: ChunkList): boolean {
  const x = a.at();
  const y = b.at();
  return x.mint === y.mint ? x.maxt < y.maxt : x.mint < y.mint;
}

function sampleLess(a: XorChunkIterator, b: XorChunkIterator): boolean {
  return a.t < b.t;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function requireXor(c: MergeChunk, why: string): void {
  if (c.encoding !== CHUNK_ENCODING_XOR) {
    throw new UnprocessableError(
      'unsupported_chunk_encoding',
      `cannot ${why} a chunk with encoding ${c.encoding} (${c.mint}..${c.maxt}); only XOR float chunks can be re-encoded, native histogram chunks are not supported yet`,
    );
  }
}

/**
 * Merges the chunks of one series coming from several blocks, with Prometheus' vertical
 * compaction semantics (`NewCompactingChunkSeriesMerger(ChainedSeriesMerge)`, storage/merge.go):
 *
 * - chunks are taken in (min time, max time) order across inputs; a chunk that overlaps no other
 *   is kept as stored (no re-encoding), and a chunk identical to the previous one of an
 *   overlapping run (same range and bytes: the replicas of an RF write) is dropped;
 * - a run of overlapping, differing chunks is merged sample by sample (`chainSampleIterator`):
 *   timestamps ascending, one sample per timestamp; when inputs disagree at a timestamp the one
 *   kept is the one Prometheus keeps for the same input order (its heap moves are replayed by
 *   `GoHeap`); the result is re-encoded into XOR chunks of `samplesPerChunk` samples (the last
 *   shorter), whose tail can merge again with later chunks.
 *
 * Tombstones are applied first, per input (`populateWithDelChunkSeriesIterator`): a chunk inside
 * one deleted interval is dropped, a chunk partly deleted is re-encoded without those samples,
 * other chunks are untouched.
 *
 * Holds scratch state; one per compaction, not shared.
 */
export class SeriesMerger {
  readonly counters: MergeCounters = { duplicateChunks: 0, deletedChunks: 0, trimmedChunks: 0, overlapMerges: 0 };
  private readonly encoder = new XorChunkEncoder();
  private readonly iterators: XorChunkIterator[] = [];
  private readonly sampleHeap = new GoHeap<XorChunkIterator>(sampleLess);
  private readonly chunkHeap = new GoHeap<ChunkList>(chunkLess);

  constructor(private readonly samplesPerChunk = DEFAULT_SAMPLES_PER_MERGED_CHUNK) {}

  /** The chunks of one input series with its deleted intervals removed; `chunks` in time order. */
  applyTombstones(chunks: readonly MergeChunk[], intervals: readonly Interval[] | undefined): MergeChunk[] {
    if (!intervals || intervals.length === 0) return chunks as MergeChunk[];
    const out: MergeChunk[] = [];
    for (const c of chunks) {
      if (isSubrange(c.mint, c.maxt, intervals)) {
        this.counters.deletedChunks++;
        continue;
      }
      if (!overlapsAny(c.mint, c.maxt, intervals)) {
        out.push(c);
        continue;
      }
      requireXor(c, 'delete samples from');
      this.counters.trimmedChunks++;
      const it = this.iterator(0).reset(c.data);
      const enc = this.encoder;
      enc.reset();
      let k = 0;
      while (it.next()) {
        const t = it.t;
        while (k < intervals.length && intervals[k].maxt < t) k++;
        if (k < intervals.length && intervals[k].mint <= t) continue;
        enc.appendBits(t, it.valueHi, it.valueLo);
      }
      if (enc.numSamples > 0) {
        out.push({ mint: enc.minTime, maxt: enc.maxTime, encoding: CHUNK_ENCODING_XOR, data: enc.bytes().slice(), reencoded: true });
      }
    }
    return out;
  }

  /**
   * Merges the inputs' chunk lists (each in time order, not overlapping within itself) into one
   * list in time order without overlaps. Inputs are taken in the order given, which only matters
   * when inputs disagree on a sample's value.
   */
  merge(inputs: ReadonlyArray<readonly MergeChunk[]>): MergeChunk[] {
    const h = this.chunkHeap;
    h.clear();
    for (const chunks of inputs) {
      const it = new ChunkList(chunks);
      if (it.next()) h.push(it);
    }
    const out: MergeChunk[] = [];
    while (h.length > 0) {
      let it = h.pop();
      const curr = it.at();
      if (it.next()) h.push(it);
      const overlapping: MergeChunk[] = [];
      let oMaxt = curr.maxt;
      let prev = curr;
      while (h.length > 0) {
        const next = h.peek().at();
        if (next.mint > oMaxt) break;
        if (next.mint !== prev.mint || next.maxt !== prev.maxt || !sameBytes(next.data, prev.data)) {
          overlapping.push(next);
          if (next.maxt > oMaxt) oMaxt = next.maxt;
          prev = next;
        } else {
          this.counters.duplicateChunks++;
        }
        it = h.pop();
        if (it.next()) h.push(it);
      }
      if (overlapping.length === 0) {
        out.push(curr);
        continue;
      }
      // Prometheus passes the overlapping chunks first and the run's first chunk last.
      overlapping.push(curr);
      this.counters.overlapMerges++;
      const merged = new ChunkList(this.chainAndEncode(overlapping));
      merged.next();
      out.push(merged.at());
      if (merged.next()) h.push(merged);
    }
    return out;
  }

  private iterator(i: number): XorChunkIterator {
    while (this.iterators.length <= i) this.iterators.push(new XorChunkIterator());
    return this.iterators[i];
  }

  /** `chainSampleIterator` over the chunks, re-encoded by `seriesToChunkEncoder`. */
  private chainAndEncode(chunks: readonly MergeChunk[]): MergeChunk[] {
    const its: XorChunkIterator[] = [];
    for (let i = 0; i < chunks.length; i++) {
      requireXor(chunks[i], 'merge');
      its.push(this.iterator(i).reset(chunks[i].data));
    }
    const h = this.sampleHeap;
    h.clear();
    let curr = its[0];
    for (let i = 1; i < its.length; i++) if (its[i].next()) h.push(its[i]);
    const out: MergeChunk[] = [];
    const enc = this.encoder;
    enc.reset();
    let hasPrev = false;
    let lastT = 0;
    for (;;) {
      // One chainSampleIterator.Next().
      let currT = 0;
      let done = false;
      for (;;) {
        if (!curr.next()) {
          if (h.length === 0) {
            done = true;
            break;
          }
        } else {
          currT = curr.t;
          // A timestamp already emitted: drop this copy.
          if (hasPrev && currT === lastT) continue;
          if (h.length === 0) break;
          if (currT < h.peek().t) break;
          h.push(curr);
        }
        curr = h.pop();
        currT = curr.t;
        if (!hasPrev || currT !== lastT) break;
      }
      if (done) break;
      hasPrev = true;
      lastT = currT;
      if (enc.numSamples === this.samplesPerChunk) {
        out.push(this.cut());
        enc.reset();
      }
      enc.appendBits(currT, curr.valueHi, curr.valueLo);
    }
    if (enc.numSamples > 0) out.push(this.cut());
    if (out.length === 0) {
      throw new UnprocessableError('empty_chunks', 'overlapping chunks to merge hold no samples; the input blocks are damaged');
    }
    return out;
  }

  private cut(): MergeChunk {
    const enc = this.encoder;
    return { mint: enc.minTime, maxt: enc.maxTime, encoding: CHUNK_ENCODING_XOR, data: enc.bytes().slice(), reencoded: true };
  }
}
