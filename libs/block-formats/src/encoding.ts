import { crc32c } from './crc32c';
import { CorruptBlockError } from './errors';

/**
 * Byte-level encodings shared by the index, chunk and tombstone formats: Go's `encoding/binary`
 * uvarint/varint (LEB128, zig-zag for signed), big-endian fixed-width integers and padding.
 *
 * Integers are JS numbers. They are exact up to 2^53; the 64-bit fields of the formats never need
 * more for real data (timestamps in ms, file offsets), and the rare wider value (a negative delta
 * written as uint64) goes through BigInt.
 */
const TWO_32 = 0x1_0000_0000;

/** Bytes `putUvarint` writes for `x` (0 <= x <= 2^53). */
export function uvarintSize(x: number): number {
  let n = 1;
  while (x >= 0x80) {
    x = Math.floor(x / 0x80);
    n++;
  }
  return n;
}

/** Zig-zag mapping of a signed integer, as Go's `binary.PutVarint` does before writing a uvarint. */
export function zigzag(x: number): number {
  return x >= 0 ? x * 2 : -x * 2 - 1;
}

export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/**
 * A growable byte buffer with the format encoders. `bytes()` is a view of what was written, valid
 * until the next write or `reset()`.
 */
export class ByteWriter {
  private buf: Buffer;
  private n = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  get length(): number {
    return this.n;
  }

  reset(): void {
    this.n = 0;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }

  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + extra) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }

  putByte(b: number): void {
    this.ensure(1);
    this.buf[this.n++] = b;
  }

  putBytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }

  putBE32(x: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(x >>> 0, this.n);
    this.n += 4;
  }

  /** Big-endian 64-bit unsigned; `x` must be a non-negative safe integer. */
  putBE64(x: number): void {
    this.ensure(8);
    this.buf.writeUInt32BE(Math.floor(x / TWO_32), this.n);
    this.buf.writeUInt32BE(x % TWO_32, this.n + 4);
    this.n += 8;
  }

  /** Go's `binary.PutUvarint` for 0 <= x <= 2^53. */
  putUvarint(x: number): void {
    this.ensure(10);
    const buf = this.buf;
    let n = this.n;
    if (x < 0x1_0000_0000) {
      // The common case (refs, lengths, counts): 32-bit integer operations.
      while (x >= 0x80) {
        buf[n++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
    } else {
      while (x >= 0x80) {
        buf[n++] = (x % 0x80) | 0x80;
        x = Math.floor(x / 0x80);
      }
    }
    buf[n++] = x;
    this.n = n;
  }

  /**
   * Inserts `uvarint(x)` at `at`, moving the bytes written after `at` right to make room: a
   * length prefix for bytes whose length is known only once they are written.
   */
  insertUvarint(at: number, x: number): void {
    const size = uvarintSize(x);
    this.ensure(size);
    const buf = this.buf;
    const end = this.n;
    if (end - at <= 64) {
      for (let i = end - 1; i >= at; i--) buf[i + size] = buf[i];
    } else {
      buf.copyWithin(at + size, at, end);
    }
    let p = at;
    while (x >= 0x80) {
      buf[p++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    buf[p] = x;
    this.n = end + size;
  }

  /** Copies `src[start, end)`. */
  putSlice(src: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.ensure(len);
    const buf = this.buf;
    let n = this.n;
    if (len <= 32) {
      for (let i = start; i < end; i++) buf[n++] = src[i];
    } else {
      buf.set(src.subarray(start, end), n);
      n += len;
    }
    this.n = n;
  }

  /** `values[start, end)` as big-endian 32-bit integers, one after the other. */
  putBE32s(values: Uint32Array, start: number, end: number): void {
    this.ensure(4 * (end - start));
    const buf = this.buf;
    let n = this.n;
    for (let i = start; i < end; i++) {
      const x = values[i];
      buf[n] = x >>> 24;
      buf[n + 1] = x >>> 16;
      buf[n + 2] = x >>> 8;
      buf[n + 3] = x;
      n += 4;
    }
    this.n = n;
  }

  /** A uvarint of any 64-bit unsigned value (the slow path for values beyond 2^53). */
  putUvarintBig(x: bigint): void {
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
  }

  /** Go's `binary.PutVarint` (zig-zag). */
  putVarint(x: number): void {
    if (x > -0x10_0000_0000_0000 && x < 0x10_0000_0000_0000) this.putUvarint(zigzag(x));
    else {
      const b = BigInt(x);
      this.putUvarintBig(b >= 0n ? b << 1n : ((-b) << 1n) - 1n);
    }
  }

  /** A uvarint of `x` taken as int64 bits, as Go's `PutUvarint(uint64(x))` writes a signed delta. */
  putUvarintOfInt64(x: number): void {
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) this.putUvarint(x);
    else this.putUvarintBig(BigInt.asUintN(64, BigInt(x)));
  }

  /** Length-prefixed UTF-8 string (`len <uvarint> | bytes`). */
  putUvarintStr(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.putUvarint(len);
    this.ensure(len);
    this.buf.write(s, this.n, len, 'utf8');
    this.n += len;
  }

  /** Big-endian CRC-32C of `bytes()[start, length)`. */
  putCrc32c(start: number): void {
    this.putBE32(crc32c(this.buf, start, this.n));
  }

  /** Overwrites 4 bytes at `at` (filling in a length written as a placeholder). */
  setBE32(at: number, x: number): void {
    this.buf.writeUInt32BE(x >>> 0, at);
  }

  /** Zero bytes until the length is a multiple of `align`, counted from `base`. */
  pad(align: number, base = 0): void {
    const rem = (base + this.n) % align;
    if (rem === 0) return;
    const p = align - rem;
    this.ensure(p);
    this.buf.fill(0, this.n, this.n + p);
    this.n += p;
  }
}

/**
 * A cursor over bytes for decoding. Every read checks bounds and throws `CorruptBlockError` naming
 * `what` (the file or section) when data runs out.
 */
export class Decbuf {
  readonly buf: Buffer;
  pos: number;
  end: number;

  constructor(
    data: Uint8Array,
    readonly what: string,
    start = 0,
    end = data.length,
  ) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) {
      throw new CorruptBlockError(`${this.what}: unexpected end of data at byte ${this.pos} (need ${n} more)`);
    }
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  be32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  be64(): number {
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    if (hi >= 0x20_0000) throw new CorruptBlockError(`${this.what}: 64-bit value too large at byte ${this.pos - 8}`);
    return hi * TWO_32 + lo;
  }

  /** A uvarint up to 2^53 (offsets, lengths, counts, non-negative deltas). */
  uvarint(): number {
    const at = this.pos;
    const u = this.uvarintOrBig();
    if (typeof u === 'number') return u;
    if (u > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CorruptBlockError(`${this.what}: uvarint at byte ${at} exceeds 2^53`);
    }
    return Number(u);
  }

  /** A uvarint of any 64-bit value, taken as int64 (Go's `int64(binary.Uvarint(..))`). */
  uvarintAsInt64(): number {
    const u = this.uvarintOrBig();
    return typeof u === 'number' ? u : Number(BigInt.asIntN(64, u));
  }

  /** A zig-zag varint (Go's `binary.Varint`). */
  varint(): number {
    const u = this.uvarintOrBig();
    if (typeof u === 'number') return unzigzag(u);
    return Number((u & 1n) === 0n ? u >> 1n : -((u + 1n) >> 1n));
  }

  private uvarintOrBig(): number | bigint {
    const start = this.pos;
    let x = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      if (i < 7) {
        x += (b & 0x7f) * mul;
        mul *= 0x80;
      }
      if (b < 0x80) return i < 7 ? x : bigUvarint(this.buf, start, this.pos);
    }
    throw new CorruptBlockError(`${this.what}: varint overflows 64 bits at byte ${start}`);
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  uvarintStr(): string {
    const len = this.uvarint();
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

function bigUvarint(buf: Uint8Array, start: number, end: number): bigint {
  let x = 0n;
  for (let i = end - 1; i >= start; i--) x = (x << 7n) | BigInt(buf[i] & 0x7f);
  return x;
}

/**
 * Checks the big-endian CRC-32C stored at `data[end, end+4)` against the checksum of
 * `data[start, end)`.
 */
export function verifyCrc32c(data: Uint8Array, start: number, end: number, what: string): void {
  if (end + 4 > data.length) throw new CorruptBlockError(`${what}: checksum missing (data ends at byte ${data.length})`);
  const stored = ((data[end] << 24) | (data[end + 1] << 16) | (data[end + 2] << 8) | data[end + 3]) >>> 0;
  const actual = crc32c(data, start, end);
  if (stored !== actual) {
    throw new CorruptBlockError(
      `${what}: checksum mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)})`,
    );
  }
}
