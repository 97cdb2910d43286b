import { packedAppend } from './packed-chunks';
import { MemChunk, NO_WINDOW, SeriesPage } from './series-page';

// Builtins read once: a global lookup in a hot loop is slow inside vm contexts (Jest).
const { clz32, floor } = Math;

const TWO_32 = 0x1_0000_0000;
/** Most bytes one sample can add to an XOR chunk (10-byte varint or 68-bit dod + 77-bit value). */
const MAX_SAMPLE_BYTES = 24;
const MIN_BUFFER = 32;

function ctz32(x: number): number {
  return 31 - clz32(x & -x);
}

/**
 * Appends samples to the head chunks held in `SeriesPage`s, encoding Prometheus' XOR chunk
 * (chunkenc/xor.go) exactly as block-formats' `XorChunkEncoder` does, but with the encoder state
 * kept in the page's typed arrays instead of one encoder object per series. One writer serves a
 * whole head. The spec pins the bytes against `XorChunkEncoder`.
 *
 * Timestamps must be integers within ±2^51 ms and, within a chunk, strictly increasing.
 */
export class HeadChunkWriter {
  private buf: Uint8Array = new Uint8Array(0);
  private bit = 0;
  /**
   * Incremented by each head capture. A head chunk buffer allocated in an earlier epoch may be
   * held by a capture, so `cut` replaces it instead of zeroing it for reuse.
   */
  private epoch = 0;

  /** A head capture is being taken: buffers allocated so far must not be reused in place. */
  beginCapture(): void {
    this.epoch = (this.epoch + 1) >>> 0;
  }

  /** Appends one sample (value as its IEEE-754 high and low words) to slot `i`'s head chunk. */
  append(p: SeriesPage, i: number, t: number, hi: number, lo: number): void {
    const n = p.count[i];
    const bitLen = n === 0 ? 16 : p.bits[i];
    let buf = p.buf[i];
    const need = ((bitLen + 7) >>> 3) + MAX_SAMPLE_BYTES;
    if (buf === undefined || buf.length < need) {
      let size = buf === undefined ? MIN_BUFFER : buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      if (buf !== undefined && n > 0) next.set(buf.subarray(0, (bitLen + 7) >>> 3));
      p.buf[i] = buf = next;
      p.bufEpoch[i] = this.epoch;
    }
    this.buf = buf;
    this.bit = bitLen;
    hi >>>= 0;
    lo >>>= 0;
    if (n === 0) {
      // Zig-zag varint of the timestamp, then the value's 64 raw bits.
      this.writeUvarint(t >= 0 ? t * 2 : -t * 2 - 1);
      this.writeBits(hi, 32);
      this.writeBits(lo, 32);
      p.firstT[i] = t;
      p.tDelta[i] = 0;
      p.leading[i] = NO_WINDOW;
      p.trailing[i] = 0;
    } else if (n === 1) {
      const tDelta = t - p.lastT[i];
      this.writeUvarint(tDelta);
      this.writeValue(p, i, hi, lo);
      p.tDelta[i] = tDelta;
    } else {
      const tDelta = t - p.lastT[i];
      const dod = tDelta - p.tDelta[i];
      if (dod === 0) {
        this.bit++;
      } else if (dod >= -8191 && dod <= 8192) {
        this.writeBits(0b10, 2);
        this.writeBits(dod & 0x3fff, 14);
      } else if (dod >= -65535 && dod <= 65536) {
        this.writeBits(0b110, 3);
        this.writeBits(dod & 0x1ffff, 17);
      } else if (dod >= -524287 && dod <= 524288) {
        this.writeBits(0b1110, 4);
        this.writeBits(dod & 0xfffff, 20);
      } else {
        this.writeBits(0b1111, 4);
        const high = floor(dod / TWO_32);
        this.writeBits(high >>> 0, 32);
        this.writeBits(dod - high * TWO_32, 32);
      }
      this.writeValue(p, i, hi, lo);
      p.tDelta[i] = tDelta;
    }
    const count = n + 1;
    buf[0] = count >>> 8;
    buf[1] = count & 0xff;
    p.count[i] = count;
    p.bits[i] = this.bit;
    p.lastT[i] = t;
    p.lastHi[i] = hi;
    p.lastLo[i] = lo;
  }

  /**
   * Completes slot `i`'s head chunk: its bytes move to the series' packed completed chunks and
   * the head chunk becomes empty, keeping its buffer for the next one (or, when a capture taken
   * since it was allocated may read it, a new buffer of the same size).
   */
  cut(p: SeriesPage, i: number): void {
    const buf = p.buf[i]!;
    const used = (p.bits[i] + 7) >>> 3;
    const n = p.doneCount[i];
    p.done[i] = packedAppend(p.done[i], n, buf.subarray(0, used), p.firstT[i], p.lastT[i]);
    p.doneCount[i] = n + 1;
    if (p.bufEpoch[i] === this.epoch) {
      buf.fill(0, 0, used);
    } else {
      p.buf[i] = new Uint8Array(buf.length);
      p.bufEpoch[i] = this.epoch;
    }
    p.count[i] = 0;
  }

  /** A copy of slot `i`'s head chunk bytes (unaffected by later appends), or undefined when empty. */
  snapshot(p: SeriesPage, i: number): MemChunk | undefined {
    if (p.count[i] === 0) return undefined;
    return new MemChunk(p.buf[i]!.slice(0, (p.bits[i] + 7) >>> 3), p.firstT[i], p.lastT[i]);
  }

  /**
   * Empties slot `i`'s head chunk and frees its buffer (truncation). The series' newest sample is
   * forgotten too: it was behind the truncation point, so no later append can be compared with it.
   */
  drop(p: SeriesPage, i: number): void {
    p.count[i] = 0;
    p.buf[i] = undefined;
    p.lastT[i] = -Infinity;
  }

  private writeValue(p: SeriesPage, i: number, hi: number, lo: number): void {
    const dHi = (hi ^ p.lastHi[i]) >>> 0;
    const dLo = (lo ^ p.lastLo[i]) >>> 0;
    if (dHi === 0 && dLo === 0) {
      this.bit++;
      return;
    }
    this.writeBits(1, 1);
    let lead = dHi !== 0 ? clz32(dHi) : 32 + clz32(dLo);
    const trail = dLo !== 0 ? ctz32(dLo) : 32 + ctz32(dHi);
    // 5 bits hold at most 31 leading zeros.
    if (lead >= 32) lead = 31;
    const leading = p.leading[i];
    const trailing = p.trailing[i];
    if (leading !== NO_WINDOW && lead >= leading && trail >= trailing) {
      this.bit++;
      this.writeShifted(dHi, dLo, trailing, 64 - leading - trailing);
      return;
    }
    p.leading[i] = lead;
    p.trailing[i] = trail;
    this.writeBits(1, 1);
    this.writeBits(lead, 5);
    const sig = 64 - lead - trail;
    // 64 significant bits do not fit in 6 bits; 0 stands for 64.
    this.writeBits(sig & 0x3f, 6);
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
      this.writeBits(sHi, n - 32);
      this.writeBits(sLo, 32);
    } else {
      this.writeBits(sLo, n);
    }
  }

  /** Unsigned varint of a non-negative safe integer. */
  private writeUvarint(x: number): void {
    while (x >= 0x80) {
      this.writeBits((x % 0x80) | 0x80, 8);
      x = floor(x / 0x80);
    }
    this.writeBits(x, 8);
  }

  /** Writes the low `n` bits of `value` (0 < n <= 32), most significant first, into zeroed bytes. */
  private writeBits(value: number, n: number): void {
    const buf = this.buf;
    let bit = this.bit;
    while (n > 0) {
      const free = 8 - (bit & 7);
      const take = n < free ? n : free;
      const bits = (value >>> (n - take)) & ((1 << take) - 1);
      buf[bit >>> 3] |= bits << (free - take);
      bit += take;
      n -= take;
    }
    this.bit = bit;
  }
}
