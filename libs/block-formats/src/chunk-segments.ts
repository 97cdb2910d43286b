import { join } from 'node:path';
import { ValidationError } from '@panoptes/common';
import { crc32c, crc32cUpdate } from './crc32c';
import { Decbuf, uvarintSize } from './encoding';
import { CorruptBlockError } from './errors';
import { FileSink } from './file-sink';

/**
 * Chunk segment files (`chunks/000001`, `000002`, …):
 *
 *   magic 0x85BD40DD <4b> | version 1 <1b> | padding <3b> |
 *   chunk* = len <uvarint> | encoding <1b> | data <len bytes> | CRC-32C(encoding, data) <4b BE>
 *
 * A chunk reference is `segment index << 32 | offset of the chunk's len field`, the segment index
 * counting from 0 for `000001`. Offsets are 32-bit, so a segment stays below 4 GiB; Prometheus cuts
 * at 512 MiB.
 */
export const CHUNKS_MAGIC = 0x85bd40dd;
export const CHUNKS_FORMAT_V1 = 1;
export const SEGMENT_HEADER_SIZE = 8;
export const DEFAULT_MAX_SEGMENT_BYTES = 512 * 1024 * 1024;

const TWO_32 = 0x1_0000_0000;

export function chunkRef(segment: number, offset: number): number {
  return segment * TWO_32 + offset;
}

export function chunkRefSegment(ref: number): number {
  return Math.floor(ref / TWO_32);
}

export function chunkRefOffset(ref: number): number {
  return ref % TWO_32;
}

/** `000001` for segment index 0. */
export function segmentFileName(index: number): string {
  return String(index + 1).padStart(6, '0');
}

export function segmentHeader(): Uint8Array {
  const h = Buffer.alloc(SEGMENT_HEADER_SIZE);
  h.writeUInt32BE(CHUNKS_MAGIC, 0);
  h[4] = CHUNKS_FORMAT_V1;
  return h;
}

/** Bytes a chunk of `dataLength` takes in a segment (length field, encoding, data, checksum). */
export function chunkRecordSize(dataLength: number): number {
  return uvarintSize(dataLength) + 1 + dataLength + 4;
}

/** The length-prefixed record of a chunk: what `writeChunk` appends to a segment. */
export function encodeChunkRecord(encoding: number, data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(chunkRecordSize(data.length));
  encodeChunkRecordInto(out, encoding, data);
  return out;
}

/** Writes the record of a chunk at the start of `out` (at least `chunkRecordSize` bytes); returns its size. */
function encodeChunkRecordInto(out: Buffer, encoding: number, data: Uint8Array): number {
  let p = 0;
  let x = data.length;
  while (x >= 0x80) {
    out[p++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  out[p++] = x;
  out[p] = encoding;
  out.set(data, p + 1);
  const crc = crc32cUpdate(crc32c(out, p, p + 1), data);
  out.writeUInt32BE(crc, p + 1 + data.length);
  return p + 1 + data.length + 4;
}

/**
 * Streams chunks into segment files under `dir`, cutting a new segment when the next chunk would
 * push the current one past `maxSegmentBytes`. Memory: one write buffer, whatever the block size.
 */
export class ChunkSegmentWriter {
  private sink: FileSink | undefined;
  private segment = -1;
  private readonly files: string[] = [];
  /** Where `tryWriteChunk` encodes a record; grows to the largest one. */
  private scratch = Buffer.allocUnsafe(1024);

  constructor(
    private readonly dir: string,
    private readonly maxSegmentBytes = DEFAULT_MAX_SEGMENT_BYTES,
  ) {
    if (maxSegmentBytes > TWO_32 || maxSegmentBytes < SEGMENT_HEADER_SIZE + 16) {
      throw new ValidationError(
        'invalid_segment_size',
        `chunk segment size must be between 24 bytes and 4 GiB; got ${maxSegmentBytes}`,
      );
    }
  }

  /** Relative names of the segment files written so far (`000001`, …). */
  get segmentFiles(): readonly string[] {
    return this.files;
  }

  /** Appends a chunk; returns its reference. */
  async writeChunk(encoding: number, data: Uint8Array): Promise<number> {
    const record = encodeChunkRecord(encoding, data);
    if (!this.sink || (this.sink.pos > SEGMENT_HEADER_SIZE && this.sink.pos + record.length > this.maxSegmentBytes)) {
      await this.cut();
    }
    const ref = chunkRef(this.segment, this.sink!.pos);
    await this.sink!.write(record);
    return ref;
  }

  /**
   * `writeChunk` without waiting, for the common case: when the chunk fits the current segment and
   * the sink's buffer, appends it and returns its reference; otherwise writes nothing and returns
   * -1 (then call `writeChunk`). Saves a promise per chunk.
   */
  tryWriteChunk(encoding: number, data: Uint8Array): number {
    const sink = this.sink;
    const size = chunkRecordSize(data.length);
    if (!sink || (sink.pos > SEGMENT_HEADER_SIZE && sink.pos + size > this.maxSegmentBytes)) return -1;
    if (this.scratch.length < size) this.scratch = Buffer.allocUnsafe(Math.max(size, 2 * this.scratch.length));
    encodeChunkRecordInto(this.scratch, encoding, data);
    const ref = chunkRef(this.segment, sink.pos);
    return sink.tryWrite(this.scratch, 0, size) ? ref : -1;
  }

  private async cut(): Promise<void> {
    await this.sink?.close();
    this.segment++;
    const name = segmentFileName(this.segment);
    this.files.push(name);
    this.sink = await new FileSink(join(this.dir, name)).open();
    await this.sink.write(segmentHeader());
  }

  async close(): Promise<void> {
    await this.sink?.close();
    this.sink = undefined;
  }

  async discard(): Promise<void> {
    await this.sink?.discard();
    this.sink = undefined;
  }
}

/** A chunk as stored: its encoding byte and data (a view into the segment). */
export interface ChunkRecord {
  encoding: number;
  data: Uint8Array;
}

/** Checks a segment's header; throws `CorruptBlockError` naming `what` otherwise. */
export function checkSegmentHeader(segment: Uint8Array, what: string): void {
  if (segment.length < SEGMENT_HEADER_SIZE) throw new CorruptBlockError(`${what}: shorter than the segment header`);
  const magic = ((segment[0] << 24) | (segment[1] << 16) | (segment[2] << 8) | segment[3]) >>> 0;
  if (magic !== CHUNKS_MAGIC) throw new CorruptBlockError(`${what}: bad magic 0x${magic.toString(16)}`);
  if (segment[4] !== CHUNKS_FORMAT_V1) throw new CorruptBlockError(`${what}: unsupported version ${segment[4]}`);
}

/** Decodes the chunk record at `offset` of a segment, verifying its checksum. */
export function readChunkRecord(segment: Uint8Array, offset: number, what = 'chunk segment'): ChunkRecord {
  const d = new Decbuf(segment, what, offset);
  const len = d.uvarint();
  const start = d.pos;
  if (start + 1 + len + 4 > segment.length) {
    throw new CorruptBlockError(`${what}: chunk at offset ${offset} runs past the end of the segment`);
  }
  const stored = d.buf.readUInt32BE(start + 1 + len);
  const actual = crc32c(segment, start, start + 1 + len);
  if (stored !== actual) {
    throw new CorruptBlockError(`${what}: checksum mismatch for the chunk at offset ${offset}`);
  }
  return { encoding: segment[start], data: segment.subarray(start + 1, start + 1 + len) };
}
