import { UnavailableError } from '@panoptes/common';
import { Operation, STATE_CODE } from './operation';
import { InstanceDesc, RingDesc } from './ring-desc';
import { lowerBound, tokenRangeSize } from './tokens';

export interface RingInstance extends InstanceDesc {
  id: string;
}

/**
 * The instances a key (or an operation) goes to, with how many may fail, as dskit's ReplicationSet.
 * A caller succeeds when at most `maxErrors` instances fail, or, with zone awareness, when the
 * failures fall in at most `maxUnavailableZones` zones.
 */
export interface ReplicationSet {
  instances: RingInstance[];
  /** Instances of `instances` that may fail while the operation still reaches quorum (floor(RF/2)+1). */
  maxErrors: number;
  /** Zones that may still fail entirely (0 without zone awareness); already-unavailable zones are deducted. */
  maxUnavailableZones: number;
  /** Zones the lookup met but could not use because none of their instances was healthy for the operation. */
  unavailableZones: string[];
}

export interface RingSnapshotOptions {
  /** An instance whose last heartbeat is older than this is unhealthy, in milliseconds; 0 disables the check. */
  heartbeatTimeoutMs: number;
  /** Place replicas in distinct zones. */
  zoneAwarenessEnabled: boolean;
  /** Ring name, for error messages. */
  name: string;
}

const TOKEN_SPACE = 0x100000000;

/**
 * An immutable, indexed view of a RingDesc. Lookups binary-search a sorted Uint32Array of tokens
 * whose owners sit in a parallel Uint32Array of instance indexes; per-instance facts (state,
 * zone, heartbeat) sit in typed arrays too, so the hot path allocates only its result.
 */
export class RingSnapshot {
  /** Every token of every instance, ascending. Ties (two instances claiming a token) go to the smaller id. */
  private readonly tokens: Uint32Array;
  /** owners[i] is the index in `ids` of the instance owning tokens[i]. */
  private readonly owners: Uint32Array;
  readonly ids: readonly string[];
  private readonly descs: readonly InstanceDesc[];
  private readonly stateOf: Uint8Array;
  private readonly zoneOf: Uint32Array;
  private readonly heartbeatOf: Float64Array;
  readonly zones: readonly string[];
  // Scratch space for lookups: an epoch stamp per instance instead of a fresh "seen" set per call.
  private readonly seen: Uint32Array;
  private readonly zoneCount: Uint32Array;
  private epoch = 0;
  /** Instances holding at least one token: a walk has met them all after this many distinct owners. */
  private readonly withTokens: number;
  private ownershipCache: Map<string, number> | undefined;

  private constructor(
    readonly desc: RingDesc,
    private readonly options: RingSnapshotOptions,
  ) {
    const ids = Object.keys(desc.instances).sort();
    this.ids = ids;
    this.descs = ids.map((id) => desc.instances[id]);
    const zones = [...new Set(this.descs.map((d) => d.zone))].sort();
    this.zones = zones;
    const zoneIndex = new Map(zones.map((z, i) => [z, i]));
    this.stateOf = Uint8Array.from(this.descs, (d) => STATE_CODE[d.state]);
    this.zoneOf = Uint32Array.from(this.descs, (d) => zoneIndex.get(d.zone) ?? 0);
    this.heartbeatOf = Float64Array.from(this.descs, (d) => d.heartbeatMs);
    this.seen = new Uint32Array(ids.length);
    this.zoneCount = new Uint32Array(zones.length);
    this.withTokens = this.descs.filter((d) => d.tokens.length > 0).length;

    let total = 0;
    for (const d of this.descs) total += d.tokens.length;
    // Pack (token, owner) into one float64 so one numeric sort orders both: token * 2^20 + owner.
    // Exact while owner < 2^20 and token < 2^32 (2^52 < 2^53).
    const packed = new Float64Array(total);
    let n = 0;
    this.descs.forEach((d, owner) => {
      for (const t of d.tokens) packed[n++] = t * 0x100000 + owner;
    });
    packed.sort();
    this.tokens = new Uint32Array(total);
    this.owners = new Uint32Array(total);
    for (let i = 0; i < total; i++) {
      const token = Math.floor(packed[i] / 0x100000);
      this.tokens[i] = token;
      this.owners[i] = packed[i] - token * 0x100000;
    }
  }

  static fromDesc(desc: RingDesc, options: RingSnapshotOptions): RingSnapshot {
    return new RingSnapshot(desc, options);
  }

  get instanceCount(): number {
    return this.ids.length;
  }

  instance(id: string): RingInstance | undefined {
    const d = this.desc.instances[id];
    return d && { id, ...d };
  }

  /** Healthy for `op` at `nowMs`: in a state that serves it, and heartbeating within the timeout. */
  isHealthy(id: string, op: Operation, nowMs: number): boolean {
    const idx = this.ids.indexOf(id);
    return idx >= 0 && this.healthyAt(idx, op, nowMs);
  }

  /** Id of the instance owning the first token at or after `key`, clockwise (no health check). */
  primaryOwner(key: number): string | undefined {
    if (this.tokens.length === 0) return undefined;
    let i = lowerBound(this.tokens, key >>> 0);
    if (i === this.tokens.length) i = 0;
    return this.ids[this.owners[i]];
  }

  /**
   * The replication set for `key`: walk clockwise from the key's token collecting distinct
   * instances. Instances unhealthy for `op` are skipped and the walk continues, so the set keeps
   * `replicationFactor` healthy replicas when the ring has them. With zone awareness a zone takes at
   * most ceil(RF / min(zones, RF)) replicas, i.e. one per zone when there are at least RF zones.
   * Throws UnavailableError when fewer than quorum replicas, or too few zones, are healthy.
   */
  get(key: number, op: Operation, replicationFactor: number, nowMs: number): ReplicationSet {
    const n = this.tokens.length;
    if (n === 0) throw this.emptyError();
    const rf = Math.max(1, replicationFactor);
    const zoneAware = this.options.zoneAwarenessEnabled;
    const replicatedZones = Math.min(this.zones.length, rf);
    const perZoneCap = zoneAware ? Math.ceil(rf / replicatedZones) : rf;
    const epoch = this.nextEpoch();
    this.zoneCount.fill(0);

    const picked: number[] = [];
    const unhealthyZoneIdx: number[] = [];
    let visited = 0;
    let i = lowerBound(this.tokens, key >>> 0);
    for (let step = 0; step < n && picked.length < rf && visited < this.withTokens; step++, i++) {
      if (i === n) i = 0;
      const idx = this.owners[i];
      if (this.seen[idx] === epoch) continue;
      this.seen[idx] = epoch;
      visited++;
      const zone = this.zoneOf[idx];
      if (zoneAware && this.zoneCount[zone] >= perZoneCap) continue;
      if (!this.healthyAt(idx, op, nowMs)) {
        if (zoneAware) unhealthyZoneIdx.push(zone);
        continue;
      }
      this.zoneCount[zone]++;
      picked.push(idx);
    }

    const minSuccess = Math.floor(rf / 2) + 1;
    let maxUnavailableZones = 0;
    const unavailableZones: string[] = [];
    if (zoneAware) {
      for (const z of unhealthyZoneIdx) {
        if (this.zoneCount[z] === 0 && !unavailableZones.includes(this.zones[z])) unavailableZones.push(this.zones[z]);
      }
      unavailableZones.sort();
      let usedZones = 0;
      for (let z = 0; z < this.zones.length; z++) if (this.zoneCount[z] > 0) usedZones++;
      const tolerated = Math.floor(replicatedZones / 2);
      const missing = replicatedZones - usedZones;
      if (missing > tolerated) {
        throw new UnavailableError(
          'too_many_unhealthy_zones',
          `${this.options.name} ring: ${op.name} needs replicas in ${replicatedZones - tolerated} of ${replicatedZones} zones, found healthy instances in ${usedZones} (unavailable: ${unavailableZones.join(', ') || 'none'}); check the ring page for unhealthy instances`,
        );
      }
      maxUnavailableZones = tolerated - missing;
    }
    if (picked.length < minSuccess) {
      throw new UnavailableError(
        'too_many_unhealthy_instances',
        `${this.options.name} ring: ${op.name} with replication factor ${rf} needs at least ${minSuccess} healthy instances, found ${picked.length} of ${this.ids.length}; check the ring page for unhealthy instances or lower the replication factor`,
      );
    }
    return {
      instances: picked.map((idx) => ({ id: this.ids[idx], ...this.descs[idx] })),
      maxErrors: picked.length - minSuccess,
      maxUnavailableZones,
      unavailableZones,
    };
  }

  /**
   * Every instance healthy for `op` (to read from all of them), as dskit's
   * GetReplicationSetForOperation: without zones up to floor(RF/2) may fail beyond those already
   * unhealthy; with zones, a zone holding any unhealthy instance is dropped entirely and counts
   * against floor(min(zones, RF)/2) failing zones.
   */
  replicationSetForOperation(op: Operation, replicationFactor: number, nowMs: number): ReplicationSet {
    if (this.ids.length === 0) throw this.emptyError();
    const rf = Math.max(1, replicationFactor);
    const healthy: number[] = [];
    const failingZones = new Set<number>();
    let unhealthy = 0;
    for (let idx = 0; idx < this.ids.length; idx++) {
      if (this.healthyAt(idx, op, nowMs)) healthy.push(idx);
      else {
        unhealthy++;
        failingZones.add(this.zoneOf[idx]);
      }
    }
    let maxErrors = 0;
    let maxUnavailableZones = 0;
    let instances = healthy;
    if (this.options.zoneAwarenessEnabled) {
      const tolerated = Math.floor(Math.min(this.zones.length, rf) / 2);
      if (failingZones.size > tolerated) throw this.tooManyZonesError(op, failingZones, tolerated);
      instances = healthy.filter((idx) => !failingZones.has(this.zoneOf[idx]));
      maxUnavailableZones = tolerated - failingZones.size;
    } else {
      // As dskit: every instance but floor(rf/2) must answer, counting at least rf instances, so a
      // ring smaller than the replication factor cannot pass a read that reached too few copies.
      const required = Math.max(this.ids.length, rf) - Math.floor(rf / 2);
      if (healthy.length < required) {
        throw new UnavailableError(
          'too_many_unhealthy_instances',
          `${this.options.name} ring: ${op.name} needs ${required} healthy instances with replication factor ${rf} and ${this.ids.length} instances, found ${healthy.length} (${unhealthy} unhealthy); check the ring page`,
        );
      }
      maxErrors = healthy.length - required;
    }
    return {
      instances: instances.map((idx) => ({ id: this.ids[idx], ...this.descs[idx] })),
      maxErrors,
      maxUnavailableZones,
      unavailableZones: [...failingZones].map((z) => this.zones[z]).sort(),
    };
  }

  /** Fraction of the uint32 key space each instance is the primary owner of (sums to 1 when non-empty). */
  ownership(): ReadonlyMap<string, number> {
    if (!this.ownershipCache) {
      const owned = new Float64Array(this.ids.length);
      for (let i = 0; i < this.tokens.length; i++) owned[this.owners[i]] += tokenRangeSize(this.tokens, i);
      this.ownershipCache = new Map(this.ids.map((id, idx) => [id, owned[idx] / TOKEN_SPACE]));
    }
    return this.ownershipCache;
  }

  private healthyAt(idx: number, op: Operation, nowMs: number): boolean {
    if ((op.stateMask & (1 << this.stateOf[idx])) === 0) return false;
    const timeout = this.options.heartbeatTimeoutMs;
    return timeout <= 0 || nowMs - this.heartbeatOf[idx] <= timeout;
  }

  private nextEpoch(): number {
    this.epoch = (this.epoch + 1) >>> 0;
    if (this.epoch === 0) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }

  private emptyError(): UnavailableError {
    return new UnavailableError(
      'ring_empty',
      `the ${this.options.name} ring has no instances with tokens; start ${this.options.name} instances or check the ring KV`,
    );
  }

  private tooManyZonesError(op: Operation, zones: Set<number>, tolerated: number): UnavailableError {
    const names = [...zones].map((z) => this.zones[z]).sort();
    return new UnavailableError(
      'too_many_unhealthy_zones',
      `${this.options.name} ring: ${op.name} tolerates ${tolerated} zones with unhealthy instances, found ${names.length} (${names.join(', ')}); check the ring page for unhealthy instances`,
    );
  }
}
