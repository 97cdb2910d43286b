import { ValidationError } from '@panoptes/common';
import { Labels } from './labels';

/**
 * Split-and-merge compaction shards (Mimir): a split job writes, for shard `i` of `n`, only the
 * series whose `labels.Hash() % n == i`, and labels the block `__compactor_shard_id__="<i+1>_of_<n>"`
 * (Mimir's `sharding.FormatShardIDLabelValue`). The hash is Prometheus' `labels.Labels.Hash()`:
 * xxHash64 (seed 0) of `name 0xff value 0xff` for every label in order, so a series lands in the
 * same shard as in Mimir, and Mimir's store-gateway can skip shards for sharded queries.
 */
export const COMPACTOR_SHARD_ID_LABEL = '__compactor_shard_id__';

/** Most shards a split can have (keeps `hash % count` exact in double arithmetic). */
export const MAX_SHARDS = 1 << 20;

/** `"<index+1>_of_<count>"`, for a 0-based shard index. */
export function formatShardId(index: number, count: number): string {
  return `${index + 1}_of_${count}`;
}

/** Checks a (shard index, shard count) pair; throws `ValidationError` otherwise. */
export function validateShard(index: number, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new ValidationError(
      'invalid_compactor_shard',
      `split shards must be an integer in [1, ${MAX_SHARDS}] and the shard index an integer in [0, shards); got shard ${index} of ${count}`,
    );
  }
}

// xxHash64 primes as (high, low) 32-bit halves.
const P1H = 0x9e3779b1;
const P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d;
const P2L = 0x27d4eb4f;
const P3H = 0x165667b1;
const P3L = 0x9e3779f9;
const P4H = 0x85ebca77;
const P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f;
const P5L = 0x165667c5;

/**
 * xxHash64 over 64-bit integers held as two uint32 halves: JS has no 64-bit integer arithmetic
 * short of BigInt (several times slower). Results of each step land in `rh`/`rl`.
 */
class XxHash64 {
  private rh = 0;
  private rl = 0;

  /** (ah:al) * (bh:bl) mod 2^64 into rh:rl. */
  private mul(ah: number, al: number, bh: number, bl: number): void {
    const a0 = al & 0xffff;
    const a1 = al >>> 16;
    const b0 = bl & 0xffff;
    const b1 = bl >>> 16;
    const a0b0 = a0 * b0;
    const a1b0 = a1 * b0;
    const a0b1 = a0 * b1;
    const mid = (a0b0 >>> 16) + (a1b0 & 0xffff) + (a0b1 & 0xffff);
    const hi = a1 * b1 + (a1b0 >>> 16) + (a0b1 >>> 16) + (mid >>> 16);
    this.rl = (((mid & 0xffff) << 16) | (a0b0 & 0xffff)) >>> 0;
    this.rh = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
  }

  private add(ah: number, al: number, bh: number, bl: number): void {
    const lo = al + bl;
    this.rl = lo >>> 0;
    this.rh = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
  }

  /** Rotate left by 0 < r < 32. */
  private rotl(h: number, l: number, r: number): void {
    this.rh = ((h << r) | (l >>> (32 - r))) >>> 0;
    this.rl = ((l << r) | (h >>> (32 - r))) >>> 0;
  }

  /** round(acc, input) = rotl(acc + input * P2, 31) * P1. */
  private round(accH: number, accL: number, inH: number, inL: number): void {
    this.mul(inH, inL, P2H, P2L);
    this.add(accH, accL, this.rh, this.rl);
    this.rotl(this.rh, this.rl, 31);
    this.mul(this.rh, this.rl, P1H, P1L);
  }

  hash(b: Uint8Array, len: number): { hi: number; lo: number } {
    const dv = new DataView(b.buffer, b.byteOffset, len);
    let p = 0;
    let hH: number;
    let hL: number;
    if (len >= 32) {
      this.add(P1H, P1L, P2H, P2L);
      let v1h = this.rh;
      let v1l = this.rl;
      let v2h = P2H;
      let v2l = P2L;
      let v3h = 0;
      let v3l = 0;
      // seed - P1 = two's complement of P1.
      this.add(~P1H >>> 0, ~P1L >>> 0, 0, 1);
      let v4h = this.rh;
      let v4l = this.rl;
      for (; p + 32 <= len; p += 32) {
        this.round(v1h, v1l, dv.getUint32(p + 4, true), dv.getUint32(p, true));
        v1h = this.rh;
        v1l = this.rl;
        this.round(v2h, v2l, dv.getUint32(p + 12, true), dv.getUint32(p + 8, true));
        v2h = this.rh;
        v2l = this.rl;
        this.round(v3h, v3l, dv.getUint32(p + 20, true), dv.getUint32(p + 16, true));
        v3h = this.rh;
        v3l = this.rl;
        this.round(v4h, v4l, dv.getUint32(p + 28, true), dv.getUint32(p + 24, true));
        v4h = this.rh;
        v4l = this.rl;
      }
      this.rotl(v1h, v1l, 1);
      hH = this.rh;
      hL = this.rl;
      this.rotl(v2h, v2l, 7);
      this.add(hH, hL, this.rh, this.rl);
      hH = this.rh;
      hL = this.rl;
      this.rotl(v3h, v3l, 12);
      this.add(hH, hL, this.rh, this.rl);
      hH = this.rh;
      hL = this.rl;
      this.rotl(v4h, v4l, 18);
      this.add(hH, hL, this.rh, this.rl);
      hH = this.rh;
      hL = this.rl;
      for (let k = 0; k < 4; k++) {
        // mergeRound: (h ^ round(0, v)) * P1 + P4.
        if (k === 0) this.round(0, 0, v1h, v1l);
        else if (k === 1) this.round(0, 0, v2h, v2l);
        else if (k === 2) this.round(0, 0, v3h, v3l);
        else this.round(0, 0, v4h, v4l);
        this.mul((hH ^ this.rh) >>> 0, (hL ^ this.rl) >>> 0, P1H, P1L);
        this.add(this.rh, this.rl, P4H, P4L);
        hH = this.rh;
        hL = this.rl;
      }
    } else {
      hH = P5H;
      hL = P5L;
    }
    this.add(hH, hL, 0, len);
    hH = this.rh;
    hL = this.rl;
    for (; p + 8 <= len; p += 8) {
      this.round(0, 0, dv.getUint32(p + 4, true), dv.getUint32(p, true));
      this.rotl((hH ^ this.rh) >>> 0, (hL ^ this.rl) >>> 0, 27);
      this.mul(this.rh, this.rl, P1H, P1L);
      this.add(this.rh, this.rl, P4H, P4L);
      hH = this.rh;
      hL = this.rl;
    }
    if (p + 4 <= len) {
      this.mul(0, dv.getUint32(p, true), P1H, P1L);
      this.rotl((hH ^ this.rh) >>> 0, (hL ^ this.rl) >>> 0, 23);
      this.mul(this.rh, this.rl, P2H, P2L);
      this.add(this.rh, this.rl, P3H, P3L);
      hH = this.rh;
      hL = this.rl;
      p += 4;
    }
    for (; p < len; p++) {
      this.mul(0, b[p], P5H, P5L);
      this.rotl((hH ^ this.rh) >>> 0, (hL ^ this.rl) >>> 0, 11);
      this.mul(this.rh, this.rl, P1H, P1L);
      hH = this.rh;
      hL = this.rl;
    }
    // Avalanche: h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32.
    hL = (hL ^ (hH >>> 1)) >>> 0;
    this.mul(hH, hL, P2H, P2L);
    hH = (this.rh ^ (this.rh >>> 29)) >>> 0;
    hL = (this.rl ^ ((this.rh << 3) | (this.rl >>> 29))) >>> 0;
    this.mul(hH, hL, P3H, P3L);
    hH = this.rh;
    hL = (this.rl ^ hH) >>> 0;
    return { hi: hH, lo: hL };
  }
}

/** xxHash64 (seed 0) of `data`, as (high, low) uint32 halves. */
export function xxhash64(data: Uint8Array): { hi: number; lo: number } {
  return new XxHash64().hash(data, data.length);
}

/**
 * Computes Prometheus' `labels.Hash()` modulo a shard count, reusing one scratch buffer. One per
 * compaction (not shared: it holds state between calls).
 */
export class LabelsShardHasher {
  private buf = Buffer.alloc(1024);
  private readonly xx = new XxHash64();

  /** xxHash64 of `name 0xff value 0xff …`. */
  hash(labels: Labels): { hi: number; lo: number } {
    let n = 0;
    for (const [name, value] of labels) {
      const need = n + Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
      if (need > this.buf.length) {
        const next = Buffer.alloc(Math.max(need, this.buf.length * 2));
        this.buf.copy(next, 0, 0, n);
        this.buf = next;
      }
      n += this.buf.write(name, n, 'utf8');
      this.buf[n++] = 0xff;
      n += this.buf.write(value, n, 'utf8');
      this.buf[n++] = 0xff;
    }
    return this.xx.hash(this.buf, n);
  }

  /** `labels.Hash() % count`, the 0-based shard of the series. */
  shardOf(labels: Labels, count: number): number {
    if (count === 1) return 0;
    const { hi, lo } = this.hash(labels);
    // (hi * 2^32 + lo) mod count without leaving exact double arithmetic (count < 2^21).
    return (((hi % count) * 0x1_0000_0000) % count + (lo % count)) % count;
  }
}
