import { CorruptBlockError } from './errors';

/**
 * Bit streams for the XOR chunk encoding. Bits are packed most-significant first within each byte,
 * as Prometheus' `bstream` does; a partly filled last byte keeps its unused low bits zero.
 * Values are passed as unsigned 32-bit numbers, at most 32 bits per call.
 */
export class BitWriter {
  private buf: Uint8Array;
  private bitLen = 0;

  constructor(initialBytes = 128) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.bitLen;
  }

  /** The written bytes (a view, valid until the next write or reset). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, (this.bitLen + 7) >>> 3);
  }

  /** Direct access for patching fixed headers (e.g. the XOR sample count). */
  get raw(): Uint8Array {
    return this.buf;
  }

  reset(): void {
    this.buf.fill(0, 0, (this.bitLen + 7) >>> 3);
    this.bitLen = 0;
  }

  private ensure(bits: number): void {
    const needBytes = (this.bitLen + bits + 7) >>> 3;
    if (needBytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needBytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, (this.bitLen + 7) >>> 3));
    this.buf = next;
  }

  writeBit(bit: boolean): void {
    this.ensure(1);
    if (bit) this.buf[this.bitLen >>> 3] |= 0x80 >>> (this.bitLen & 7);
    this.bitLen++;
  }

  /** Writes the low `n` bits of `value` (0 <= n <= 32), most significant first. */
  writeBits(value: number, n: number): void {
    this.ensure(n);
    while (n > 0) {
      const free = 8 - (this.bitLen & 7);
      const take = n < free ? n : free;
      const bits = (value >>> (n - take)) & ((1 << take) - 1);
      this.buf[this.bitLen >>> 3] |= bits << (free - take);
      this.bitLen += take;
      n -= take;
    }
  }

  writeByte(b: number): void {
    this.writeBits(b & 0xff, 8);
  }
}

export class BitReader {
  private data: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private endBits = 0;

  reset(data: Uint8Array, startByte = 0): void {
    this.data = data;
    this.pos = startByte * 8;
    this.endBits = data.length * 8;
  }

  readBit(): boolean {
    if (this.pos >= this.endBits) throw new CorruptBlockError('xor chunk: data ends before its last sample');
    const bit = (this.data[this.pos >>> 3] & (0x80 >>> (this.pos & 7))) !== 0;
    this.pos++;
    return bit;
  }

  /** Reads `n` bits (0 <= n <= 32) as an unsigned number. */
  readBits(n: number): number {
    const pos = this.pos;
    if (pos + n > this.endBits) throw new CorruptBlockError('xor chunk: data ends before its last sample');
    const i = pos >>> 3;
    const d = this.data;
    if (n > 0 && i + 4 < d.length) {
      // Away from the end: the 32 bits from `pos` out of the five bytes that hold them, at once.
      const off = pos & 7;
      const window = (((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) << off) | (d[i + 4] >>> (8 - off));
      this.pos = pos + n;
      return (window >>> 0) >>> (32 - n);
    }
    let result = 0;
    while (n > 0) {
      const avail = 8 - (this.pos & 7);
      const take = n < avail ? n : avail;
      const bits = (this.data[this.pos >>> 3] >>> (avail - take)) & ((1 << take) - 1);
      result = ((result << take) | bits) >>> 0;
      this.pos += take;
      n -= take;
    }
    return result;
  }

  readByte(): number {
    return this.readBits(8);
  }
}
