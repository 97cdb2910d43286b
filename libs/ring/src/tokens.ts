import { seededRandom } from '@panoptes/common';

/** A source of uniform random numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

export interface TokenGenerator {
  /** `count` new tokens (uint32), sorted, unique, none of them in `taken`. */
  generate(count: number, taken: ReadonlySet<number>): number[];
}

/** Picks tokens uniformly at random, as dskit's random token generator does. */
export class RandomTokenGenerator implements TokenGenerator {
  constructor(private readonly random: RandomSource = Math.random) {}

  generate(count: number, taken: ReadonlySet<number>): number[] {
    const picked = new Set<number>();
    // The token space has 2^32 values, so this terminates quickly unless it is nearly full.
    while (picked.size < count) {
      const token = Math.floor(this.random() * 0x100000000) >>> 0;
      if (!taken.has(token)) picked.add(token);
    }
    return [...picked].sort((a, b) => a - b);
  }
}

/** Mixes the bits of a 32-bit integer (murmur3's finalizer): nearby inputs give unrelated outputs. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}


/** Index of the first element >= key in a sorted array (its length when there is none). */
export function lowerBound(sorted: Uint32Array, key: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Fraction of the uint32 space owned by each token of a sorted array: token i owns the range
 * (token[i-1], token[i]], the first one also owns the wrap-around range above the last token.
 */
export function tokenRangeSize(sorted: Uint32Array, i: number): number {
  if (sorted.length === 1) return 0x100000000;
  return i === 0 ? sorted[0] + (0x100000000 - sorted[sorted.length - 1]) : sorted[i] - sorted[i - 1];
}

/** The deterministic random source rings use (re-exported from @panoptes/common). */
export { seededRandom };
