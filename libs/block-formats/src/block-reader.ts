import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSegmentHeader, ChunkRecord, chunkRefOffset, chunkRefSegment, readChunkRecord } from './chunk-segments';
import { CorruptBlockError } from './errors';
import { IndexReader, IndexSeries } from './index-format';
import { Labels, labelsString } from './labels';
import { BlockMeta, parseMeta } from './meta';
import { CHUNK_ENCODING_XOR, XorChunkIterator, xorChunkNumSamples } from './xor-chunk';

export interface BlockParts {
  meta: BlockMeta | string | Uint8Array;
  index: Uint8Array;
  /** Chunk segment files in name order (`000001` first). */
  segments: readonly Uint8Array[];
}

export interface SeriesSamples {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
}

/**
 * Reads a block held in memory: meta, index (symbols, postings, series) and chunks. `open(dir)`
 * loads a block directory's files whole (Node has no mmap); for blocks in object storage the
 * querier can build one from fetched byte ranges with `fromBuffers`, or use `IndexReader` and
 * `readChunkRecord` directly.
 */
export class BlockReader {
  readonly index: IndexReader;
  private readonly iterator = new XorChunkIterator();

  private constructor(
    readonly meta: BlockMeta,
    index: Uint8Array,
    private readonly segments: readonly Uint8Array[],
    private readonly name: string,
  ) {
    this.index = new IndexReader(index, `${name}/index`);
    segments.forEach((s, i) => checkSegmentHeader(s, `${name}/chunks segment ${i + 1}`));
  }

  static fromBuffers(parts: BlockParts, name = 'block'): BlockReader {
    const meta =
      typeof parts.meta === 'string'
        ? parseMeta(parts.meta, `${name}/meta.json`)
        : parts.meta instanceof Uint8Array
          ? parseMeta(Buffer.from(parts.meta).toString('utf8'), `${name}/meta.json`)
          : parts.meta;
    return new BlockReader(meta, parts.index, parts.segments, name);
  }

  static async open(dir: string): Promise<BlockReader> {
    const [meta, index] = await Promise.all([
      readFile(join(dir, 'meta.json'), 'utf8'),
      readFile(join(dir, 'index')),
    ]);
    const names = (await readdir(join(dir, 'chunks'))).filter((n) => /^\d+$/.test(n)).sort();
    const segments = await Promise.all(names.map((n) => readFile(join(dir, 'chunks', n))));
    return BlockReader.fromBuffers({ meta, index, segments }, dir);
  }

  /** The stored chunk at `ref`, checksum verified. */
  chunk(ref: number): ChunkRecord {
    const seg = chunkRefSegment(ref);
    const segment = this.segments[seg];
    if (!segment) throw new CorruptBlockError(`${this.name}: chunk reference ${ref} names missing segment ${seg + 1}`);
    return readChunkRecord(segment, chunkRefOffset(ref), `${this.name}/chunks segment ${seg + 1}`);
  }

  series(ref: number): IndexSeries {
    return this.index.series(ref);
  }

  /** Every series in label order, with its ref. */
  *allSeries(): Generator<IndexSeries & { ref: number }> {
    for (const ref of this.index.allPostings()) yield { ref, ...this.index.series(ref) };
  }

  /** All samples of a series (XOR chunks only), decoded into fresh arrays. */
  samples(ref: number): SeriesSamples {
    const s = this.index.series(ref);
    const records = s.chunks.map((c) => {
      const rec = this.chunk(c.ref);
      if (rec.encoding !== CHUNK_ENCODING_XOR) {
        throw new CorruptBlockError(
          `${this.name}: series ${labelsString(s.labels)} has a chunk with encoding ${rec.encoding}; only XOR float chunks are supported`,
        );
      }
      return rec;
    });
    const total = records.reduce((n, r) => n + xorChunkNumSamples(r.data), 0);
    const timestamps = new Float64Array(total);
    const values = new Float64Array(total);
    let at = 0;
    for (const r of records) at += this.iterator.reset(r.data).readInto(timestamps, values, at);
    return { labels: s.labels, timestamps, values };
  }
}
