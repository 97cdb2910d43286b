import { ValidationError } from '@panoptes/common';
import { BitReader, BitWriter } from './bstream';
import { CorruptBlockError } from './errors';

/** Chunk encoding byte of XOR (Gorilla) float chunks in segment files. */
export const CHUNK_ENCODING_XOR = 1;

/** Most samples the 2-byte XOR header can count. */
export const XOR_MAX_SAMPLES = 0xffff;

const TWO_32 = 0x1_0000_0000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// Word indexes of the high and low halves of a float64 seen as two uint32s.
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;
// Marks "no leading/trailing window yet": the first XOR'd value always writes its own window.
const NO_WINDOW = 0xff;

function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * Encodes (timestamp ms, float64) samples exactly as Prometheus' XOR chunk (chunkenc/xor.go), so
 * the bytes are identical for the same input:
 *
 * - 2-byte big-endian sample count, then
 * - sample 0: timestamp as zig-zag varint, value as its 64 raw bits;
 * - sample 1: timestamp delta as uvarint (of its int64 bits), value XOR'd with the previous;
 * - sample n >= 2: delta-of-delta of the timestamp in a prefix-coded bucket
 *   (`0` | `10`+14 bits | `110`+17 bits | `1110`+20 bits | `1111`+64 bits), value XOR'd.
 *
 * A value XOR is `0` when unchanged; otherwise `1`, then `0` + the meaningful bits inside the
 * previous leading/trailing-zero window when they fit, or `1` + 5 bits leading zeros (clamped to
 * 31) + 6 bits significant-bit count (64 written as 0) + the significant bits.
 *
 * Timestamps must be safe integers with deltas-of-deltas below 2^53 (any real millisecond
 * timestamp). Values keep their exact bits, NaN payloads (the staleness marker) included, when
 * given through `appendBits` or a Float64Array.
 */
export class XorChunkEncoder {
  private readonly w = new BitWriter(64);
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);
  private count = 0;
  private t = 0;
  private tDelta = 0;
  private vHi = 0;
  private vLo = 0;
  private leading = NO_WINDOW;
  private trailing = 0;
  private firstT = 0;

  constructor() {
    this.w.writeBits(0, 16);
  }

  get numSamples(): number {
    return this.count;
  }

  /** Timestamp of the first sample (undefined meaning when empty). */
  get minTime(): number {
    return this.firstT;
  }

  /** Timestamp of the last sample. */
  get maxTime(): number {
    return this.t;
  }

  /** Starts a new, empty chunk, reusing the buffer. Previously returned `bytes()` views go stale. */
  reset(): void {
    this.w.reset();
    this.w.writeBits(0, 16);
    this.count = 0;
    this.t = 0;
    this.tDelta = 0;
    this.vHi = 0;
    this.vLo = 0;
    this.leading = NO_WINDOW;
    this.trailing = 0;
  }

  /** The encoded chunk: a view valid until the next append or reset. */
  bytes(): Uint8Array {
    return this.w.bytes();
  }

  append(t: number, v: number): void {
    this.f64[0] = v;
    this.appendBits(t, this.u32[HI], this.u32[LO]);
  }

  /** Appends a value given as the high and low 32 bits of its IEEE-754 representation. */
  appendBits(t: number, hi: number, lo: number): void {
    if (this.count >= XOR_MAX_SAMPLES) {
      throw new ValidationError(
        'xor_chunk_full',
        `an XOR chunk holds at most ${XOR_MAX_SAMPLES} samples; cut a new chunk before appending more`,
      );
    }
    const w = this.w;
    if (this.count === 0) {
      this.writeVarint(t);
      w.writeBits(hi >>> 0, 32);
      w.writeBits(lo >>> 0, 32);
      this.firstT = t;
    } else if (this.count === 1) {
      const tDelta = t - this.t;
      this.writeUvarintOfInt64(tDelta);
      this.writeValue(hi >>> 0, lo >>> 0);
      this.tDelta = tDelta;
    } else {
      const tDelta = t - this.t;
      const dod = tDelta - this.tDelta;
      if (dod === 0) {
        w.writeBit(false);
      } else if (dod >= -8191 && dod <= 8192) {
        w.writeBits(0b10, 2);
        w.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -65535 && dod <= 65536) {
        w.writeBits(0b110, 3);
        w.writeBits(dod & 0x1ffff, 17);
      } else if (dod >= -524287 && dod <= 524288) {
        w.writeBits(0b1110, 4);
        w.writeBits(dod & 0xfffff, 20);
      } else {
        w.writeBits(0b1111, 4);
        const high = Math.floor(dod / TWO_32);
        w.writeBits(high >>> 0, 32);
        w.writeBits(dod - high * TWO_32, 32);
      }
      this.writeValue(hi >>> 0, lo >>> 0);
      this.tDelta = tDelta;
    }
    this.t = t;
    this.vHi = hi >>> 0;
    this.vLo = lo >>> 0;
    this.count++;
    const raw = w.raw;
    raw[0] = this.count >>> 8;
    raw[1] = this.count & 0xff;
  }

  private writeValue(hi: number, lo: number): void {
    const w = this.w;
    const dHi = (hi ^ this.vHi) >>> 0;
    const dLo = (lo ^ this.vLo) >>> 0;
    if (dHi === 0 && dLo === 0) {
      w.writeBit(false);
      return;
    }
    w.writeBit(true);
    let lead = dHi !== 0 ? Math.clz32(dHi) : 32 + Math.clz32(dLo);
    const trail = dLo !== 0 ? ctz32(dLo) : 32 + ctz32(dHi);
    // 5 bits hold at most 31 leading zeros.
    if (lead >= 32) lead = 31;
    if (this.leading !== NO_WINDOW && lead >= this.leading && trail >= this.trailing) {
      w.writeBit(false);
      this.writeShifted(dHi, dLo, this.trailing, 64 - this.leading - this.trailing);
      return;
    }
    this.leading = lead;
    this.trailing = trail;
    w.writeBit(true);
    w.writeBits(lead, 5);
    const sig = 64 - lead - trail;
    // 64 significant bits do not fit in 6 bits; 0 stands for 64 (0 itself never occurs).
    w.writeBits(sig & 0x3f, 6);
    this.writeShifted(dHi, dLo, trail, sig);
  }

  /** Writes the low `n` bits of the 64-bit (hi:lo) shifted right by `shift`. */
  private writeShifted(hi: number, lo: number, shift: number, n: number): void {
    let sHi: number;
    let sLo: number;
    if (shift === 0) {
      sHi = hi;
      sLo = lo;
    } else if (shift < 32) {
      sLo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
      sHi = hi >>> shift;
    } else {
      sLo = hi >>> (shift - 32);
      sHi = 0;
    }
    if (n > 32) {
      this.w.writeBits(sHi, n - 32);
      this.w.writeBits(sLo, 32);
    } else {
      this.w.writeBits(sLo, n);
    }
  }

  private writeVarint(x: number): void {
    if (x > -0x10_0000_0000_0000 && x < 0x10_0000_0000_0000) {
      this.writeUvarint(x >= 0 ? x * 2 : -x * 2 - 1);
    } else {
      const b = BigInt(x);
      this.writeUvarintBig(b >= 0n ? b << 1n : (-b << 1n) - 1n);
    }
  }

  private writeUvarintOfInt64(x: number): void {
    if (x >= 0 && x <= Number.MAX_SAFE_INTEGER) this.writeUvarint(x);
    else this.writeUvarintBig(BigInt.asUintN(64, BigInt(x)));
  }

  private writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.w.writeByte((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    this.w.writeByte(x);
  }

  private writeUvarintBig(x: bigint): void {
    while (x >= 0x80n) {
      this.w.writeByte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.w.writeByte(Number(x));
  }
}

/** Sample count stored in an XOR chunk's header. */
export function xorChunkNumSamples(data: Uint8Array): number {
  if (data.length < 2) throw new CorruptBlockError('xor chunk: shorter than its 2-byte header');
  return (data[0] << 8) | data[1];
}

/**
 * Decodes an XOR chunk without allocating per sample: call `next()` until it returns false and
 * read `t` and `v` after each call (or `valueHi`/`valueLo` for the exact bits). `reset()` reuses
 * the iterator for another chunk.
 */
export class XorChunkIterator {
  /** Timestamp (ms) of the current sample. */
  t = 0;
  /** Value of the current sample. */
  v = 0;
  /** High and low 32 bits of the current value's IEEE-754 representation. */
  valueHi = 0;
  valueLo = 0;

  private readonly br = new BitReader();
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);
  private readonly varintBytes = new Uint8Array(10);
  private total = 0;
  private read = 0;
  private tDelta = 0;
  private leading = 0;
  private trailing = 0;

  constructor(data?: Uint8Array) {
    if (data) this.reset(data);
  }

  get numSamples(): number {
    return this.total;
  }

  reset(data: Uint8Array): this {
    this.total = xorChunkNumSamples(data);
    this.br.reset(data, 2);
    this.read = 0;
    this.t = 0;
    this.v = 0;
    this.valueHi = 0;
    this.valueLo = 0;
    this.tDelta = 0;
    this.leading = 0;
    this.trailing = 0;
    return this;
  }

  next(): boolean {
    if (this.read >= this.total) return false;
    const br = this.br;
    if (this.read === 0) {
      this.t = this.readVarint(true);
      this.valueHi = br.readBits(32);
      this.valueLo = br.readBits(32);
    } else if (this.read === 1) {
      this.tDelta = this.readVarint(false);
      this.t += this.tDelta;
      this.readValue();
    } else {
      let ones = 0;
      while (ones < 4 && br.readBit()) ones++;
      let dod = 0;
      if (ones === 4) {
        const hi = br.readBits(32);
        const lo = br.readBits(32);
        dod = (hi | 0) * TWO_32 + lo;
      } else if (ones > 0) {
        const sz = ones === 1 ? 14 : ones === 2 ? 17 : 20;
        let bits = br.readBits(sz);
        // Negative numbers come back as large unsigned ones (Prometheus' convention: the range is
        // -(2^(sz-1)-1) .. 2^(sz-1)).
        if (bits > 1 << (sz - 1)) bits -= 1 << sz;
        dod = bits;
      }
      this.tDelta += dod;
      this.t += this.tDelta;
      this.readValue();
    }
    this.read++;
    this.u32[HI] = this.valueHi;
    this.u32[LO] = this.valueLo;
    this.v = this.f64[0];
    return true;
  }

  /**
   * Decodes the remaining samples into `ts` and `vs` from `offset`; returns how many were written.
   * Values keep their exact bits. The arrays must have room for `numSamples` from `offset`.
   */
  readInto(ts: Float64Array, vs: Float64Array, offset = 0): number {
    const words = new Uint32Array(vs.buffer, vs.byteOffset, vs.length * 2);
    let i = offset;
    while (this.next()) {
      ts[i] = this.t;
      words[i * 2 + HI] = this.valueHi;
      words[i * 2 + LO] = this.valueLo;
      i++;
    }
    return i - offset;
  }

  private readValue(): void {
    const br = this.br;
    if (!br.readBit()) return;
    if (br.readBit()) {
      this.leading = br.readBits(5);
      let sig = br.readBits(6);
      if (sig === 0) sig = 64;
      this.trailing = 64 - this.leading - sig;
      if (this.trailing < 0) throw new CorruptBlockError('xor chunk: invalid leading/significant bit counts');
    }
    const sig = 64 - this.leading - this.trailing;
    let hi = 0;
    let lo: number;
    if (sig > 32) {
      hi = br.readBits(sig - 32);
      lo = br.readBits(32);
    } else {
      lo = br.readBits(sig);
    }
    const s = this.trailing;
    let xHi: number;
    let xLo: number;
    if (s === 0) {
      xHi = hi;
      xLo = lo;
    } else if (s < 32) {
      xHi = ((hi << s) | (lo >>> (32 - s))) >>> 0;
      xLo = (lo << s) >>> 0;
    } else {
      xHi = (lo << (s - 32)) >>> 0;
      xLo = 0;
    }
    this.valueHi = (this.valueHi ^ xHi) >>> 0;
    this.valueLo = (this.valueLo ^ xLo) >>> 0;
  }

  /** A varint (zig-zag when `signed`) or a uvarint taken as int64, read byte-wise from the bits. */
  private readVarint(signed: boolean): number {
    const bytes = this.varintBytes;
    let n = 0;
    for (;;) {
      if (n === 10) throw new CorruptBlockError('xor chunk: varint overflows 64 bits');
      const b = this.br.readByte();
      bytes[n++] = b;
      if (b < 0x80) break;
    }
    if (n <= 7) {
      let u = 0;
      let mul = 1;
      for (let i = 0; i < n; i++) {
        u += (bytes[i] & 0x7f) * mul;
        mul *= 0x80;
      }
      if (!signed) return u;
      return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    let big = 0n;
    for (let i = n - 1; i >= 0; i--) big = (big << 7n) | BigInt(bytes[i] & 0x7f);
    if (!signed) return Number(BigInt.asIntN(64, big));
    return Number((big & 1n) === 0n ? big >> 1n : -((big + 1n) >> 1n));
  }
}
