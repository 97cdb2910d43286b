/**
 * MurmurHash3_x86_128 (Austin Appleby's public-domain algorithm), written with 32-bit integer math
 * only (`Math.imul`), so it runs at full speed in V8 without BigInt.
 *
 * Why this hash: series hashes decide sharding (ring tokens, Kafka partitions), so they must be
 * identical in every process and every release, fast on short keys, and well known so other tools
 * can reproduce them (Python's `mmh3.hash128(key, seed, x64arch=False)`, Guava, …). xxHash64 would
 * be the usual choice, but needs 64-bit multiplies, i.e. BigInt or 16-bit limb emulation in JS
 * (several times slower). The x86 variant of MurmurHash3 gives 128 well-mixed bits from 32-bit
 * lanes; Panoptes uses its first two output words (h1, h2) as a 64-bit hash.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Hashes `data[start, start + length)` with `seed` (an unsigned 32-bit integer) and writes the four
 * 32-bit output words h1..h4 (unsigned) into `out[0..3]`. Words are in the order the reference
 * implementation stores them, so `out` read as little-endian bytes equals its 16-byte digest.
 */
export function murmur3x86_128(data: Uint8Array, start: number, length: number, seed: number, out: Uint32Array): void {
  void murmur3x86_128View(new DataView(data.buffer, data.byteOffset, data.byteLength), start, length, seed, out);
}

/**
 * `murmur3x86_128` over a DataView: reads whole little-endian words (4× fewer loads than bytes,
 * which is what makes hashing cheap in V8). Hot callers keep one DataView per buffer.
 * Returns the bitwise OR of all bytes hashed, replicated in each byte lane (test `& 0x80808080`
 * for non-ASCII input): the ASCII check comes for free with the hash.
 */
export function murmur3x86_128View(data: DataView, start: number, length: number, seed: number, out: Uint32Array): number {
  let seen = 0;
  let h1 = seed | 0;
  let h2 = h1;
  let h3 = h1;
  let h4 = h1;
  const blocksEnd = start + (length & ~15);
  let i = start;
  for (; i < blocksEnd; i += 16) {
    let k1 = data.getInt32(i, true);
    let k2 = data.getInt32(i + 4, true);
    let k3 = data.getInt32(i + 8, true);
    let k4 = data.getInt32(i + 12, true);
    seen |= k1 | k2 | k3 | k4;

    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;

    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    k2 = Math.imul(k2, C3);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (h2 + h3) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;

    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    k3 = Math.imul(k3, C4);
    h3 ^= k3;
    h3 = (h3 << 15) | (h3 >>> 17);
    h3 = (h3 + h4) | 0;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;

    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    k4 = Math.imul(k4, C1);
    h4 ^= k4;
    h4 = (h4 << 13) | (h4 >>> 19);
    h4 = (h4 + h1) | 0;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }

  // Tail: up to 15 bytes, little-endian into k1..k4 (the reference's fall-through switch).
  const rem = length & 15;
  for (let t = 0; t < rem; t++) seen |= data.getUint8(i + t);
  if (rem > 12) {
    let k4 = 0;
    if (rem >= 15) k4 ^= data.getUint8(i + 14) << 16;
    if (rem >= 14) k4 ^= data.getUint8(i + 13) << 8;
    k4 ^= data.getUint8(i + 12);
    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    k4 = Math.imul(k4, C1);
    h4 ^= k4;
  }
  if (rem > 8) {
    let k3 = 0;
    if (rem >= 12) k3 ^= data.getUint8(i + 11) << 24;
    if (rem >= 11) k3 ^= data.getUint8(i + 10) << 16;
    if (rem >= 10) k3 ^= data.getUint8(i + 9) << 8;
    k3 ^= data.getUint8(i + 8);
    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    k3 = Math.imul(k3, C4);
    h3 ^= k3;
  }
  if (rem > 4) {
    let k2 = 0;
    if (rem >= 8) k2 ^= data.getUint8(i + 7) << 24;
    if (rem >= 7) k2 ^= data.getUint8(i + 6) << 16;
    if (rem >= 6) k2 ^= data.getUint8(i + 5) << 8;
    k2 ^= data.getUint8(i + 4);
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    k2 = Math.imul(k2, C3);
    h2 ^= k2;
  }
  if (rem > 0) {
    let k1 = 0;
    if (rem >= 4) k1 ^= data.getUint8(i + 3) << 24;
    if (rem >= 3) k1 ^= data.getUint8(i + 2) << 16;
    if (rem >= 2) k1 ^= data.getUint8(i + 1) << 8;
    k1 ^= data.getUint8(i);
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
  }

  h1 ^= length;
  h2 ^= length;
  h3 ^= length;
  h4 ^= length;
  h1 = (h1 + h2) | 0;
  h1 = (h1 + h3) | 0;
  h1 = (h1 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2) | 0;
  h1 = (h1 + h3) | 0;
  h1 = (h1 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  out[0] = h1;
  out[1] = h2;
  out[2] = h3;
  out[3] = h4;
  return seen;
}
