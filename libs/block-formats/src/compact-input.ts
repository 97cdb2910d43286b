import { FileHandle, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BlockReader } from './block-reader';
import { checkSegmentHeader, chunkRefOffset, chunkRefSegment, readChunkRecord, SEGMENT_HEADER_SIZE } from './chunk-segments';
import { Interval, tombstonesBySeries } from './compact-tombstones';
import { Decbuf, verifyCrc32c } from './encoding';
import { CorruptBlockError } from './errors';
import { ChunkMeta, INDEX_MAGIC } from './index-format';
import { compareLabels, Label, Labels, labelsString } from './labels';
import { BlockMeta, parseMeta } from './meta';
import { decodeTombstones, Tombstone } from './tombstones';

/** One series of an input block: its ref in that block's index, labels and chunk metas. */
export interface SourceSeries {
  ref: number;
  labels: Labels;
  chunks: readonly ChunkMeta[];
}

/** Iterates an input block's series in label order (`compareLabels`). */
export interface SeriesCursor {
  /** The next series, or undefined at the end. */
  next(): Promise<SourceSeries | undefined>;
}

/** A stored chunk: encoding byte and data (valid until the source's `recycle()`). */
export interface SourceChunk {
  encoding: number;
  data: Uint8Array;
}

/**
 * An input block of a compaction. Implementations stream from a block directory (bounded memory:
 * symbol table, tombstones and read windows) or wrap a `BlockReader` already in memory.
 */
export interface CompactionSource {
  /** For messages: the block directory or name. */
  readonly name: string;
  readonly meta: BlockMeta;
  /** The index' symbol table, sorted by UTF-8 bytes. */
  readonly symbols: readonly string[];
  /** Deleted intervals by series ref of this block. */
  readonly tombstones: ReadonlyMap<number, readonly Interval[]>;
  /** A new cursor over every series in label order. */
  series(): SeriesCursor;
  /**
   * The chunk at `ref`, checksum verified. Its data stays valid until `recycle()` (the caller
   * holds the chunks of one series at a time).
   */
  chunk(ref: number): Promise<SourceChunk>;
  /** The caller is done with every chunk returned so far: their memory may be reused. */
  recycle(): void;
  close(): Promise<void>;
}

const TOC_SIZE = 6 * 8 + 4;

/**
 * Positional reads through one reusable buffer: `ensure(pos, n)` makes `[pos, pos+n)` readable at
 * `buf[pos - start …]`. A read that continues from the current window (inside it or just past
 * its end) reads a whole window ahead (sequential scans: the series section, chunks stored in series order cost one read
 * per window); a jump elsewhere reads only `RANDOM_READ_BYTES` (chunks stored out of label order
 * cost one small read each instead of a whole window).
 */
export class FileWindow {
  buf: Buffer;
  start = 0;
  end = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly windowBytes: number,
    private readonly what: string,
  ) {
    this.buf = Buffer.allocUnsafe(windowBytes);
  }

  /** Makes `[pos, pos+n)` available, or as much of it as the file has when `partial`. */
  async ensure(pos: number, n: number, partial = false): Promise<void> {
    if (pos >= this.start && pos + n <= this.end) return;
    if (pos + n > this.size) {
      if (!partial) throw new CorruptBlockError(`${this.what}: ${n} bytes at offset ${pos} run past the end (${this.size} bytes)`);
      n = Math.max(0, this.size - pos);
    }
    // Sequential: inside the window or just past it (within one small read).
    const forward = pos >= this.start && pos <= this.end + RANDOM_READ_BYTES;
    let want = Math.max(n, forward ? this.windowBytes : RANDOM_READ_BYTES);
    if (want > this.buf.length) this.buf = Buffer.allocUnsafe(want);
    want = Math.min(want, this.size - pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(this.buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < n) throw new CorruptBlockError(`${this.what}: short read at offset ${pos} (${got} of ${n} bytes)`);
    this.start = pos;
    this.end = pos + got;
  }
}

/** Initial size of a source's chunk arena: the chunks of a typical series, many times over. */
const ARENA_BYTES = 64 * 1024;

/** Bytes read on a jump (random access): a few typical chunks. */
const RANDOM_READ_BYTES = 4096;

export interface DirSourceOptions {
  /** Read window per open file (index, each chunk segment), bytes. */
  readWindowBytes: number;
}

/**
 * An input block read from its directory with positional reads: meta.json and tombstones whole,
 * the index' TOC and symbol table, then the series section and chunk segments through read
 * windows. Memory: symbol table + tombstones + windows, whatever the block size.
 */
export class DirSource implements CompactionSource {
  private readonly segments: Array<{ fh: FileHandle; window: FileWindow } | undefined> = [];
  /**
   * Chunk data handed out since the last `recycle()`, copied out of the read windows (which move
   * on): one reused buffer instead of one small allocation per chunk. When it fills up a larger
   * one replaces it; views into the old one stay valid.
   */
  private arena = Buffer.allocUnsafe(ARENA_BYTES);
  private arenaUsed = 0;

  private constructor(
    readonly name: string,
    readonly meta: BlockMeta,
    readonly symbols: readonly string[],
    readonly tombstones: ReadonlyMap<number, readonly Interval[]>,
    private readonly indexFh: FileHandle,
    private readonly indexSize: number,
    private readonly seriesStart: number,
    private readonly seriesEnd: number,
    private readonly segmentNames: readonly string[],
    private readonly options: DirSourceOptions,
  ) {}

  static async open(dir: string, options: DirSourceOptions): Promise<DirSource> {
    const meta = parseMeta(await readFile(join(dir, 'meta.json'), 'utf8'), `${dir}/meta.json`);
    let tombstones: Tombstone[] = [];
    try {
      tombstones = decodeTombstones(await readFile(join(dir, 'tombstones')), `${dir}/tombstones`);
    } catch (err) {
      // Prometheus treats a missing tombstones file as "no deletions".
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const segmentNames = (await readdir(join(dir, 'chunks'))).filter((n) => /^\d+$/.test(n)).sort();
    const what = `${dir}/index`;
    const fh = await open(join(dir, 'index'), 'r');
    try {
      const size = (await fh.stat()).size;
      if (size < 5 + TOC_SIZE) throw new CorruptBlockError(`${what}: file too short (${size} bytes)`);
      const head = Buffer.alloc(5);
      await readExactly(fh, head, 0, what);
      if (head.readUInt32BE(0) !== INDEX_MAGIC) throw new CorruptBlockError(`${what}: bad magic 0x${head.readUInt32BE(0).toString(16)}`);
      if (head[4] !== 2) throw new CorruptBlockError(`${what}: index version ${head[4]} is not supported (only version 2)`);
      const tocBuf = Buffer.alloc(TOC_SIZE);
      await readExactly(fh, tocBuf, size - TOC_SIZE, what);
      verifyCrc32c(tocBuf, 0, 48, `${what} TOC`);
      const d = new Decbuf(tocBuf, `${what} TOC`);
      const toc = [d.be64(), d.be64(), d.be64(), d.be64(), d.be64(), d.be64()];
      const [symbolsAt, seriesAt] = toc;
      // The series section ends where the next non-empty section starts.
      const after = toc.slice(2).filter((o) => o > seriesAt);
      const seriesEnd = after.length > 0 ? Math.min(...after) : size - TOC_SIZE;
      const symbols = symbolsAt === 0 ? [] : await readSymbols(fh, symbolsAt, size, what);
      return new DirSource(dir, meta, symbols, tombstonesBySeries(tombstones), fh, size, seriesAt, seriesEnd, segmentNames, options);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  series(): SeriesCursor {
    const window = new FileWindow(this.indexFh, this.indexSize, this.options.readWindowBytes, `${this.name}/index series`);
    const symbols = this.symbols;
    const what = `${this.name}/index series`;
    let pos = this.seriesStart;
    const end = this.seriesEnd;
    let prev: Labels | undefined;
    return {
      next: async () => {
        pos = Math.ceil(pos / 16) * 16;
        if (pos >= end || this.seriesStart === 0) return undefined;
        await window.ensure(pos, 10, true);
        const head = new Decbuf(window.buf, what, pos - window.start, window.end - window.start);
        const len = head.uvarint();
        const lenBytes = head.pos - (pos - window.start);
        await window.ensure(pos, lenBytes + len + 4);
        const start = pos - window.start + lenBytes;
        verifyCrc32c(window.buf, start, start + len, `${what} at offset ${pos}`);
        const s = decodeSeries(new Decbuf(window.buf, what, start, start + len), symbols, pos / 16);
        if (prev && compareLabels(prev, s.labels) >= 0) {
          throw new CorruptBlockError(`${what}: series ${labelsString(s.labels)} is not after ${labelsString(prev)}; the index is not sorted`);
        }
        prev = s.labels;
        pos += lenBytes + len + 4;
        return s;
      },
    };
  }

  async chunk(ref: number): Promise<SourceChunk> {
    const seg = chunkRefSegment(ref);
    const offset = chunkRefOffset(ref);
    const what = `${this.name}/chunks/${this.segmentNames[seg] ?? `segment ${seg + 1}`}`;
    let s = this.segments[seg];
    if (!s) {
      const name = this.segmentNames[seg];
      if (name === undefined) throw new CorruptBlockError(`${this.name}: chunk reference ${ref} names missing segment ${seg + 1}`);
      const fh = await open(join(this.name, 'chunks', name), 'r');
      const window = new FileWindow(fh, (await fh.stat()).size, this.options.readWindowBytes, what);
      this.segments[seg] = s = { fh, window };
      await window.ensure(0, SEGMENT_HEADER_SIZE);
      checkSegmentHeader(window.buf.subarray(0, window.end - window.start), what);
    }
    const w = s.window;
    if (offset < SEGMENT_HEADER_SIZE) throw new CorruptBlockError(`${what}: chunk reference ${ref} points into the segment header`);
    await w.ensure(offset, 10, true);
    const d = new Decbuf(w.buf, what, offset - w.start, w.end - w.start);
    const len = d.uvarint();
    const lenBytes = d.pos - (offset - w.start);
    await w.ensure(offset, lenBytes + 1 + len + 4);
    const rec = readChunkRecord(w.buf.subarray(0, w.end - w.start), offset - w.start, what);
    // Copy out of the window: the next read may overwrite it.
    const n = rec.data.length;
    if (this.arenaUsed + n > this.arena.length) {
      this.arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, 2 * this.arena.length, n));
      this.arenaUsed = 0;
    }
    const data = this.arena.subarray(this.arenaUsed, this.arenaUsed + n);
    data.set(rec.data);
    this.arenaUsed += n;
    return { encoding: rec.encoding, data };
  }

  recycle(): void {
    this.arenaUsed = 0;
  }

  async close(): Promise<void> {
    const handles = [this.indexFh, ...this.segments.filter((s) => s !== undefined).map((s) => s.fh)];
    this.segments.length = 0;
    await Promise.all(handles.map((h) => h.close()));
  }
}

async function readExactly(fh: FileHandle, buf: Buffer, pos: number, what: string): Promise<void> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, pos + got);
    if (bytesRead === 0) throw new CorruptBlockError(`${what}: short read at offset ${pos + got}`);
    got += bytesRead;
  }
}

async function readSymbols(fh: FileHandle, at: number, size: number, what: string): Promise<string[]> {
  if (at + 4 > size) throw new CorruptBlockError(`${what} symbol table: offset ${at} is past the end`);
  const lenBuf = Buffer.alloc(4);
  await readExactly(fh, lenBuf, at, what);
  const len = lenBuf.readUInt32BE(0);
  if (at + 8 + len > size) throw new CorruptBlockError(`${what} symbol table: runs past the end`);
  const buf = Buffer.allocUnsafe(len + 4);
  await readExactly(fh, buf, at + 4, what);
  verifyCrc32c(buf, 0, len, `${what} symbol table`);
  const d = new Decbuf(buf, `${what} symbol table`, 0, len);
  const n = d.be32();
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = d.uvarintStr();
  return out;
}

/** Decodes one series entry (after its length, before its CRC), as `IndexReader.series` does. */
function decodeSeries(d: Decbuf, symbols: readonly string[], ref: number): SourceSeries {
  const sym = (r: number) => {
    const s = symbols[r];
    if (s === undefined) throw new CorruptBlockError(`${d.what}: symbol reference ${r} out of range`);
    return s;
  };
  const nLabels = d.uvarint();
  const labels = new Array<Label>(nLabels);
  for (let i = 0; i < nLabels; i++) labels[i] = [sym(d.uvarint()), sym(d.uvarint())];
  const nChunks = d.uvarint();
  const chunks = new Array<ChunkMeta>(nChunks);
  let maxt = 0;
  let cref = 0;
  for (let i = 0; i < nChunks; i++) {
    let mint: number;
    if (i === 0) {
      mint = d.varint();
      maxt = mint + d.uvarint();
      cref = d.uvarint();
    } else {
      mint = maxt + d.uvarint();
      maxt = mint + d.uvarint();
      cref += d.varint();
    }
    chunks[i] = { mint, maxt, ref: cref };
  }
  return { ref, labels, chunks };
}

/**
 * A `BlockReader` (block held in memory) as a compaction input. `BlockReader` does not read the
 * tombstones file, so deletions are passed in.
 */
export class ReaderSource implements CompactionSource {
  readonly symbols: readonly string[];
  readonly tombstones: ReadonlyMap<number, readonly Interval[]>;

  constructor(
    private readonly reader: BlockReader,
    tombstones: readonly Tombstone[] = [],
    readonly name = reader.meta.ulid,
  ) {
    this.symbols = reader.index.symbols();
    this.tombstones = tombstonesBySeries(tombstones);
  }

  get meta(): BlockMeta {
    return this.reader.meta;
  }

  series(): SeriesCursor {
    const refs = this.reader.index.allPostings();
    let i = 0;
    return {
      next: async () => {
        if (i >= refs.length) return undefined;
        const ref = refs[i++];
        return { ref, ...this.reader.series(ref) };
      },
    };
  }

  async chunk(ref: number): Promise<SourceChunk> {
    const rec = this.reader.chunk(ref);
    return { encoding: rec.encoding, data: rec.data };
  }

  recycle(): void {
    // Chunks are views of the reader's segments: nothing to reuse.
  }

  async close(): Promise<void> {
    // Nothing to release: the caller owns the reader.
  }
}
