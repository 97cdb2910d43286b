import { XorChunkIterator } from '@panoptes/block-formats';
import { MemChunk } from './series-page';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = LITTLE_ENDIAN ? 0 : 1;

/**
 * The samples of one series in [minT, maxT] (ms, inclusive) across its chunks, in time order,
 * without allocating per sample: call `next()` until it returns false and read `t` and `v` (or
 * `valueHi`/`valueLo` for the exact bits) after each call.
 */
export class ChunkSamplesIterator {
  /** Timestamp (ms) of the current sample. */
  t = 0;
  /** Value of the current sample. */
  v = 0;
  /** High and low 32 bits of the current value's IEEE-754 representation. */
  valueHi = 0;
  valueLo = 0;

  private readonly it = new XorChunkIterator();
  private chunk = -1;
  private open = false;

  constructor(
    private readonly chunks: readonly MemChunk[],
    private readonly minT: number,
    private readonly maxT: number,
  ) {}

  next(): boolean {
    for (;;) {
      if (this.open && this.it.next()) {
        const it = this.it;
        if (it.t < this.minT) continue;
        if (it.t > this.maxT) {
          this.chunk = this.chunks.length;
          this.open = false;
          return false;
        }
        this.t = it.t;
        this.v = it.v;
        this.valueHi = it.valueHi;
        this.valueLo = it.valueLo;
        return true;
      }
      this.open = false;
      if (++this.chunk >= this.chunks.length) return false;
      this.it.reset(this.chunks[this.chunk].data);
      this.open = true;
    }
  }

  /** The remaining samples in new arrays; values keep their exact bits. */
  readAll(): { timestamps: Float64Array; values: Float64Array } {
    let capacity = 0;
    for (const c of this.chunks) capacity += c.numSamples;
    const timestamps = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    const words = new Uint32Array(values.buffer);
    let n = 0;
    while (this.next()) {
      timestamps[n] = this.t;
      words[n * 2 + HI] = this.valueHi;
      words[n * 2 + LO] = this.valueLo;
      n++;
    }
    return { timestamps: timestamps.subarray(0, n), values: values.subarray(0, n) };
  }
}
