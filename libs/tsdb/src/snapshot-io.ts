import { FileHandle } from 'node:fs/promises';
import { crc32c, crc32cUpdate } from '@panoptes/block-formats';

/**
 * Byte-level pieces of the head snapshot file (head-snapshot.ts): a buffered writer of checksummed
 * sections and a reader that yields them one at a time, so neither side ever holds the whole file.
 *
 * Section: type u8 | payload length u32 LE | payload | CRC-32C u32 LE of (type, length, payload).
 */
export const SECTION_HEADER_BYTES = 5;
const CRC_BYTES = 4;
/** Buffered bytes written to the file at once. */
const FLUSH_BYTES = 4 << 20;
/** Largest payload a reader accepts: a corrupt length must not make it allocate gigabytes. */
export const MAX_SECTION_BYTES = 256 << 20;

/** Payload bytes past which a section of many records (symbols, series) is closed. */
export const SECTION_TARGET_BYTES = 1 << 20;

/**
 * Appends sections to a file through one reused buffer, flushed every few MiB. Write a section with
 * `begin`, the field writers (after `ensure` for the bytes about to be written) and `end`.
 */
export class SectionWriter {
  private buf = Buffer.allocUnsafe(FLUSH_BYTES + (1 << 16));
  private pos = 0;
  private sectionStart = -1;
  /** Bytes written to the file so far, buffered ones included. */
  private flushed = 0;

  constructor(private readonly fh: FileHandle) {}

  get bytesWritten(): number {
    return this.flushed + this.pos;
  }

  /** Payload bytes of the open section so far. */
  get sectionBytes(): number {
    return this.pos - this.sectionStart - SECTION_HEADER_BYTES;
  }

  /** Raw bytes outside any section (the file's magic). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  begin(type: number): void {
    this.ensure(SECTION_HEADER_BYTES);
    this.sectionStart = this.pos;
    this.buf[this.pos] = type;
    this.pos += SECTION_HEADER_BYTES;
  }

  /** Overwrites a u32 written earlier at payload offset `at` of the open section (a count). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v >>> 0, this.sectionStart + SECTION_HEADER_BYTES + at);
  }

  /** Closes the section; writes the buffer out once it holds a few MiB. */
  async end(): Promise<void> {
    const start = this.sectionStart;
    const length = this.pos - start - SECTION_HEADER_BYTES;
    this.buf.writeUInt32LE(length, start + 1);
    this.ensure(CRC_BYTES);
    this.buf.writeUInt32LE(crc32c(this.buf, start, this.pos), this.pos);
    this.pos += CRC_BYTES;
    this.sectionStart = -1;
    if (this.pos >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    let at = 0;
    while (at < this.pos) {
      const { bytesWritten } = await this.fh.write(this.buf, at, this.pos - at);
      at += bytesWritten;
    }
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** Makes room for `n` more bytes (the open section moves along when the buffer grows). */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // Field writers: little-endian; the caller has ensured the room.
  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.pos = this.buf.writeUInt16LE(v, this.pos);
  }

  u32(v: number): void {
    this.pos = this.buf.writeUInt32LE(v >>> 0, this.pos);
  }

  f64(v: number): void {
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  uvarint(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (v >= 0x80) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v = v >= 0x1_0000_0000 ? Math.floor(v / 0x80) : v >>> 7;
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  /** Lets `write` put `n` bytes at buffer offset `at` (room ensured by the caller). */
  fill(n: number, write: (out: Uint8Array, at: number) => void): void {
    write(this.buf, this.pos);
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A length-prefixed UTF-8 string; ensures its own room. */
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.ensure(n + 5);
    this.uvarint(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
}

/** The file's content is not what the writer wrote; the message says where. */
export class SnapshotFormatError extends Error {}

/** Reads the file's sections in order, checking each one's CRC. */
export class SectionReader {
  private pos: number;
  private readonly header = Buffer.alloc(SECTION_HEADER_BYTES);

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
    start: number,
  ) {
    this.pos = start;
  }

  get position(): number {
    return this.pos;
  }

  /** Bytes of the file after the sections read so far. */
  get remaining(): number {
    return this.size - this.pos;
  }

  /** The next section, or undefined at the end of the file. */
  async next(): Promise<{ type: number; payload: Buffer } | undefined> {
    if (this.pos === this.size) return undefined;
    const at = this.pos;
    if (this.size - at < SECTION_HEADER_BYTES + CRC_BYTES) throw new SnapshotFormatError(`truncated section header at byte ${at}`);
    await this.readFully(this.header, at);
    const type = this.header[0];
    const length = this.header.readUInt32LE(1);
    if (length > MAX_SECTION_BYTES || at + SECTION_HEADER_BYTES + length + CRC_BYTES > this.size) {
      throw new SnapshotFormatError(`section at byte ${at} claims ${length} bytes, past the end of the file (${this.size} bytes)`);
    }
    const body = Buffer.allocUnsafe(length + CRC_BYTES);
    await this.readFully(body, at + SECTION_HEADER_BYTES);
    const want = body.readUInt32LE(length);
    const crc = crc32cUpdate(crc32c(this.header), body, 0, length);
    if (crc !== want) throw new SnapshotFormatError(`checksum mismatch in section at byte ${at} (type ${type}, ${length} bytes)`);
    this.pos = at + SECTION_HEADER_BYTES + length + CRC_BYTES;
    return { type, payload: body.subarray(0, length) };
  }

  async readFully(into: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await this.fh.read(into, done, into.length - done, position + done);
      if (bytesRead === 0) throw new SnapshotFormatError(`unexpected end of file at byte ${position + done}`);
      done += bytesRead;
    }
  }
}

/** Reads the fields of one section's payload; running past its end is a format error. */
export class PayloadCursor {
  pos = 0;
  /** The payload as a plain Uint8Array (`slice` copies, unlike Buffer's). */
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(buf: Uint8Array) {
    this.bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Checks that `n` more bytes are there. */
  need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new SnapshotFormatError(`a field runs past the end of its section (byte ${this.pos} + ${n} of ${this.bytes.length})`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  uvarint(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    let v = 0;
    let scale = 1;
    for (let k = 0; k < 8 && pos < bytes.length; k++) {
      const b = bytes[pos++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      scale *= 0x80;
    }
    throw new SnapshotFormatError(`bad varint at byte ${this.pos} of its section`);
  }

  /** Skips `n` bytes; returns where they start. */
  skip(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  string(): string {
    const n = this.uvarint();
    this.need(n);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }
}
