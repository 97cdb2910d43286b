import { UnavailableError } from '@panoptes/common';
import { PartitionRingDesc, PartitionState, partitionIds } from './partition-ring-desc';
import { lowerBound, mix32, seededRandom, tokenRangeSize } from './tokens';

/** Tokens each partition gets on the key ring when none is configured. */
export const DEFAULT_TOKENS_PER_PARTITION = 128;

/**
 * The tokens of partition `id`: a pure function of the id (and count), identical in every process,
 * so partitions need no tokens stored in the KV and adding one moves only the keys it takes over.
 */
export function partitionTokens(id: number, count = DEFAULT_TOKENS_PER_PARTITION): number[] {
  const random = seededRandom(mix32(id ^ 0x5bd1e995));
  const tokens = new Set<number>();
  while (tokens.size < count) tokens.add(Math.floor(random() * 0x100000000) >>> 0);
  return [...tokens].sort((a, b) => a - b);
}

/**
 * An immutable, indexed view of a partition ring. Writes go to ACTIVE partitions only: a key hash
 * maps to the ACTIVE partition owning the first token at or after it (clockwise). Reads must also
 * cover INACTIVE partitions, which hold data written before they were deactivated.
 */
export class PartitionRing {
  private readonly tokens: Uint32Array;
  /** owners[i]: the partition id owning tokens[i]. */
  private readonly owners: Uint32Array;
  private readonly active: readonly number[];

  private constructor(
    readonly desc: PartitionRingDesc,
    readonly tokensPerPartition: number,
  ) {
    this.active = partitionIds(desc, ['ACTIVE']);
    const packed = new Float64Array(this.active.length * tokensPerPartition);
    let n = 0;
    // token * 2^20 + partition sorts by token, then partition id (exact for ids < 2^20).
    for (const id of this.active) for (const t of partitionTokens(id, tokensPerPartition)) packed[n++] = t * 0x100000 + id;
    packed.sort();
    this.tokens = new Uint32Array(n);
    this.owners = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const token = Math.floor(packed[i] / 0x100000);
      this.tokens[i] = token;
      this.owners[i] = packed[i] - token * 0x100000;
    }
  }

  static fromDesc(desc: PartitionRingDesc, tokensPerPartition = DEFAULT_TOKENS_PER_PARTITION): PartitionRing {
    return new PartitionRing(desc, tokensPerPartition);
  }

  /** Partitions receiving writes, ascending. */
  activePartitions(): readonly number[] {
    return this.active;
  }

  /** Partitions a read must cover (ACTIVE and INACTIVE), ascending. */
  readablePartitions(): number[] {
    return partitionIds(this.desc, ['ACTIVE', 'INACTIVE']);
  }

  partitionState(id: number): PartitionState | undefined {
    return this.desc.partitions[id]?.state;
  }

  /** The ACTIVE partition a write with this uint32 key hash goes to. */
  partitionForKey(hash: number): number {
    const n = this.tokens.length;
    if (n === 0) {
      throw new UnavailableError(
        'no_active_partitions',
        'the partition ring has no ACTIVE partition to write to; start ingesters and wait for their partitions to become ACTIVE',
      );
    }
    const i = lowerBound(this.tokens, hash >>> 0);
    return this.owners[i === n ? 0 : i];
  }

  /** Fraction of the key space each ACTIVE partition receives (sums to 1 when there is one). */
  ownership(): Map<number, number> {
    const owned = new Map<number, number>(this.active.map((id) => [id, 0]));
    for (let i = 0; i < this.tokens.length; i++) {
      const id = this.owners[i];
      owned.set(id, (owned.get(id) ?? 0) + tokenRangeSize(this.tokens, i) / 0x100000000);
    }
    return owned;
  }
}
