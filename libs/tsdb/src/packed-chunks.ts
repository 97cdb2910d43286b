import { MemChunk } from './series-page';

/**
 * A series' completed chunks packed into one exactly-sized byte array, so a series costs one
 * buffer however many chunks it holds (a buffer per chunk would add ~250 bytes of object and
 * ArrayBuffer overhead to each ~200-byte chunk):
 *
 *   n × { minT f64 LE | maxT f64 LE | end u32 LE }   chunk k's bytes are data[end(k-1) .. end(k))
 *   data: the chunks' bytes back to back
 *
 * The array is never modified once built: adding or dropping chunks builds a new one, so chunk
 * views handed to queries stay valid.
 */
const META = 20;

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function readF64(buf: Uint8Array, at: number): number {
  for (let b = 0; b < 8; b++) scratchBytes[LITTLE_ENDIAN ? b : 7 - b] = buf[at + b];
  return scratch[0];
}

function writeF64(buf: Uint8Array, at: number, v: number): void {
  scratch[0] = v;
  for (let b = 0; b < 8; b++) buf[at + b] = scratchBytes[LITTLE_ENDIAN ? b : 7 - b];
}

function readU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = (v >>> 24) & 0xff;
}

function end(buf: Uint8Array, k: number): number {
  return k < 0 ? 0 : readU32(buf, k * META + 16);
}

export function packedMinT(buf: Uint8Array, k: number): number {
  return readF64(buf, k * META);
}

export function packedMaxT(buf: Uint8Array, k: number): number {
  return readF64(buf, k * META + 8);
}

/** Chunk `k` of `n` as a view (valid for as long as anyone holds it). */
export function packedChunk(buf: Uint8Array, n: number, k: number): MemChunk {
  const base = n * META;
  return new MemChunk(buf.subarray(base + end(buf, k - 1), base + end(buf, k)), packedMinT(buf, k), packedMaxT(buf, k));
}

/** A new packed array with `data` appended as chunk n (the old array is left as it was). */
export function packedAppend(buf: Uint8Array | undefined, n: number, data: Uint8Array, minT: number, maxT: number): Uint8Array {
  const oldData = buf === undefined ? 0 : end(buf, n - 1);
  const out = new Uint8Array((n + 1) * META + oldData + data.length);
  if (buf !== undefined) {
    out.set(buf.subarray(0, n * META), 0);
    out.set(buf.subarray(n * META, n * META + oldData), (n + 1) * META);
  }
  writeF64(out, n * META, minT);
  writeF64(out, n * META + 8, maxT);
  writeU32(out, n * META + 16, oldData + data.length);
  out.set(data, (n + 1) * META + oldData);
  return out;
}

/** A new packed array without the first `drop` of `n` chunks; undefined when none remain. */
export function packedDropFirst(buf: Uint8Array, n: number, drop: number): Uint8Array | undefined {
  const keep = n - drop;
  if (keep <= 0) return undefined;
  const from = end(buf, drop - 1);
  const to = end(buf, n - 1);
  const out = new Uint8Array(keep * META + to - from);
  for (let k = 0; k < keep; k++) {
    const src = (drop + k) * META;
    out.set(buf.subarray(src, src + 16), k * META);
    writeU32(out, k * META + 16, end(buf, drop + k) - from);
  }
  out.set(buf.subarray(n * META + from, n * META + to), keep * META);
  return out;
}

/** Whether `buf` is a well-formed packed array of `n` chunks (loading a snapshot). */
export function packedValid(buf: Uint8Array, n: number): boolean {
  if (!(n >= 1) || buf.length < n * META) return false;
  let prev = 0;
  for (let k = 0; k < n; k++) {
    const e = end(buf, k);
    // Every chunk has at least its 2-byte sample count, and a sample.
    if (e < prev + 3 || !(packedMinT(buf, k) <= packedMaxT(buf, k))) return false;
    prev = e;
  }
  return n * META + prev === buf.length;
}
