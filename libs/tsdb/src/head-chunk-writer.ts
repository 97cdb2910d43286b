import { packedAppend } from './packed-chunks';
import { MemChunk, NO_WINDOW, SeriesPage } from './series-page';

// Builtins read once: a global lookup in a hot loop is slow inside vm contexts (Jest).
const { clz32, floor } = Math;

const TWO_32 = 0x1_0000_0000;
/** Most bytes one sample can add to an XOR chunk (10-byte varint or 68-bit dod + 77-bit value). */
const MAX_SAMPLE_BYTES = 24;
/**
 * First size of a head chunk buffer: the first sample takes up to 18 bytes and the check keeps
 * MAX_SAMPLE_BYTES free, so 32 would be outgrown at the second sample of most series.
 */
const MIN_BUFFER = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Index of a value's high and low word in a Float64Array's bytes seen as a Uint32Array. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

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
  /** One sample as columns, for `append`. */
  private readonly oneT = new Float64Array(1);
  private readonly oneBits = new Uint32Array(2);

  /** A head capture is being taken: buffers allocated so far must not be reused in place. */
  beginCapture(): void {
    this.epoch = (this.epoch + 1) >>> 0;
  }

  /** Appends one sample (value as its IEEE-754 high and low words) to slot `i`'s head chunk. */
  append(p: SeriesPage, i: number, t: number, hi: number, lo: number): void {
    this.oneT[0] = t;
    this.oneBits[HI] = hi;
    this.oneBits[LO] = lo;
    this.appendRun(p, i, this.oneT, this.oneBits, 0, 1);
  }

  /**
   * Appends samples [from, to) of the columns `ts` (ms) and `bits` (value words: `bits[2k + HI]`,
   * `bits[2k + LO]`, a Float64Array's bytes seen as a Uint32Array) to slot `i`'s head chunk, all
   * of which must fit in it. The series' encoder state is read once and written back once.
   */
  appendRun(p: SeriesPage, i: number, ts: Float64Array, bits: Uint32Array, from: number, to: number): void {
    if (from >= to) return;
    let n = p.count[i];
    this.bit = n === 0 ? 16 : p.bits[i];
    this.room(p, i, n);
    let k = from;
    let lastT: number;
    let tDelta: number;
    let lastHi: number;
    let lastLo: number;
    let leading: number;
    let trailing: number;
    if (n === 0) {
      // Zig-zag varint of the timestamp, then the value's 64 raw bits.
      const t = ts[k];
      lastHi = bits[2 * k + HI] >>> 0;
      lastLo = bits[2 * k + LO] >>> 0;
      this.writeUvarint(t >= 0 ? t * 2 : -t * 2 - 1);
      this.writeBits(lastHi, 32);
      this.writeBits(lastLo, 32);
      p.firstT[i] = t;
      lastT = t;
      tDelta = 0;
      leading = NO_WINDOW;
      trailing = 0;
      n = 1;
      k++;
    } else {
      lastT = p.lastT[i];
      tDelta = p.tDelta[i];
      lastHi = p.lastHi[i];
      lastLo = p.lastLo[i];
      leading = p.leading[i];
      trailing = p.trailing[i];
    }
    for (; k < to; k++) {
      if (((this.bit + 7) >>> 3) + MAX_SAMPLE_BYTES > this.buf.length) this.room(p, i, n);
      const t = ts[k];
      const hi = bits[2 * k + HI] >>> 0;
      const lo = bits[2 * k + LO] >>> 0;
      const delta = t - lastT;
      if (n === 1) {
        this.writeUvarint(delta);
      } else {
        const dod = delta - tDelta;
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
      }
      // The value, XORed with the previous one.
      const dHi = (hi ^ lastHi) >>> 0;
      const dLo = (lo ^ lastLo) >>> 0;
      if (dHi === 0 && dLo === 0) {
        this.bit++;
      } else {
        this.writeBits(1, 1);
        let lead = dHi !== 0 ? clz32(dHi) : 32 + clz32(dLo);
        const trail = dLo !== 0 ? ctz32(dLo) : 32 + ctz32(dHi);
        // 5 bits hold at most 31 leading zeros.
        if (lead >= 32) lead = 31;
        if (leading !== NO_WINDOW && lead >= leading && trail >= trailing) {
          this.bit++;
          this.writeShifted(dHi, dLo, trailing, 64 - leading - trailing);
        } else {
          leading = lead;
          trailing = trail;
          this.writeBits(1, 1);
          this.writeBits(lead, 5);
          const sig = 64 - lead - trail;
          // 64 significant bits do not fit in 6 bits; 0 stands for 64.
          this.writeBits(sig & 0x3f, 6);
          this.writeShifted(dHi, dLo, trail, sig);
        }
      }
      tDelta = delta;
      lastT = t;
      lastHi = hi;
      lastLo = lo;
      n++;
    }
    const buf = this.buf;
    buf[0] = n >>> 8;
    buf[1] = n & 0xff;
    p.count[i] = n;
    p.bits[i] = this.bit;
    p.lastT[i] = lastT;
    p.tDelta[i] = tDelta;
    p.lastHi[i] = lastHi;
    p.lastLo[i] = lastLo;
    p.leading[i] = leading;
    p.trailing[i] = trailing;
  }

  /**
   * Makes `this.buf` slot `i`'s head chunk buffer with room for one more sample after `this.bit`
   * (grown by doubling, as little as one sample needs: the buffer is the series' memory).
   */
  private room(p: SeriesPage, i: number, n: number): void {
    let buf = p.buf[i];
    const used = (this.bit + 7) >>> 3;
    const need = used + MAX_SAMPLE_BYTES;
    if (buf === undefined || buf.length < need) {
      let size = buf === undefined ? MIN_BUFFER : buf.length * 2;
      while (size < need) size *= 2;
      const next = new Uint8Array(size);
      if (buf !== undefined && n > 0) {
        // A byte loop: these are a few hundred bytes at most, where subarray + set cost more.
        for (let k = 0; k < used; k++) next[k] = buf[k];
      }
      p.buf[i] = buf = next;
      p.bufEpoch[i] = this.epoch;
    }
    this.buf = buf;
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
