import { Counter, Gauge, type Registry } from 'prom-client';
import { Clock, UnavailableError, ValidationError, errorMessage, sleep } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import type { ConsumedRecord, IngestConsumer, IngestProducer, StartPosition } from '@panoptes/ingest';
import {
  DecodedWriteRequest,
  RemoteWriteDecoder,
  RemoteWriteVersion,
  attachedRequest,
  decodeIngestRecordValue,
  encodeIngestRecordValue,
  tenantHashSeed,
} from '@panoptes/proto';
import { HeadConfig, HeadSeries, Matcher } from '@panoptes/tsdb';
import { Service } from '@panoptes/services';
import { CompactionResult, HeadCompactor } from './head-compactor';
import { LocalSeriesLimits, TenantAppendResult, TenantDb } from './tenant-db';
import { LabelStringCache } from './label-string-cache';

export interface IngesterConfig {
  /** The per-tenant TSDB head's settings (block range, out-of-order window, chunk size). */
  head: HeadConfig;
  /** Records taken from the ingest log per poll. */
  consumeBatchRecords: number;
  /** How long a poll waits for records when the partition is idle, in ms. */
  consumeMaxWaitMs: number;
  /** How often blocks are cut from the heads and uploaded, in ms. */
  headCompactionIntervalMs: number;
  /**
   * `ingest-log`: the ingester consumes its partition. `classic`: distributors push over gRPC;
   * every push is applied and then appended to the ingester's own write-ahead log (the same
   * in-process log, in the ingester's data directory), which is replayed at start.
   */
  mode: 'ingest-log' | 'classic';
}

export function defaultIngesterConfig(head: HeadConfig): IngesterConfig {
  return { head, consumeBatchRecords: 256, consumeMaxWaitMs: 250, headCompactionIntervalMs: 60_000, mode: 'ingest-log' };
}

/** Per-tenant series limits as this ingester applies them. */
export type IngesterLimits = (tenant: string) => LocalSeriesLimits;

/** Hooks run by the ingester's loop; block shipping and snapshots plug in here. */
export interface IngesterDurability {
  /** Loads what is on disk; returns the next ingest-log offset to read (undefined: the committed one). */
  load?(ingester: Ingester): Promise<number | undefined>;
  /** Called after each applied batch with the next offset to read; may snapshot and commit. */
  afterBatch?(ingester: Ingester, nextOffset: number): Promise<void>;
  /** Called on a clean shutdown, after the last batch. */
  close?(ingester: Ingester, nextOffset: number): Promise<void>;
}

/**
 * The ingester: holds each tenant's recent data in a TSDB head, fed either from its ingest-log
 * partition (ingest-storage mode: `consumer` given) or by direct pushes (classic mode, `push`).
 *
 * In ingest-storage mode it replays the partition up to the end it saw at start before it turns
 * Running (a restarted ingester is complete before it answers queries), then keeps consuming.
 * Records are applied in offset order; a record that cannot be decoded is counted and skipped
 * (it can never become valid, and must not stop the partition).
 */
export class Ingester extends Service {
  private readonly tenants = new Map<string, TenantDb>();
  /** Strings of new series' labels, shared by the tenants' `TenantDb`s (bounded). */
  readonly labelStrings = new LabelStringCache();
  private readonly decoder = new RemoteWriteDecoder();
  private nextOffset = 0;
  /** Outcomes of the most recently applied records, by offset (see `whenApplied`). */
  private readonly recent = new Map<number, TenantAppendResult | undefined>();
  private readonly applyWaiters = new Map<number, Array<(r: TenantAppendResult | undefined) => void>>();
  private lagCheckedAt = -Infinity;
  private replaying = false;
  private readonly appended: Counter<'tenant'>;
  private readonly rejected: Counter<'tenant' | 'reason'>;
  private readonly badRecords: Counter;
  private readonly lag: Gauge;

  constructor(
    private readonly config: IngesterConfig,
    private readonly consumer: IngestConsumer | undefined,
    /** Classic mode: the write-ahead log pushes are appended to (the producer side of `consumer`'s log). */
    private readonly wal: IngestProducer | undefined,
    private readonly limits: IngesterLimits,
    private readonly durability: IngesterDurability,
    private readonly compactor: HeadCompactor | undefined,
    private readonly clock: Clock,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('ingester');
    const tenants = this.tenants;
    new Gauge({
      name: 'panoptes_ingester_memory_series',
      help: 'Series held in the in-memory TSDB heads, per tenant.',
      labelNames: ['tenant'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [tenant, db] of tenants) this.set({ tenant }, db.head.numSeries);
      },
    });
    new Gauge({
      name: 'panoptes_ingester_memory_users',
      help: 'Tenants with a TSDB head on this ingester.',
      registers: [registry],
      collect() {
        this.set(tenants.size);
      },
    });
    this.appended = new Counter({
      name: 'panoptes_ingester_samples_appended_total',
      help: 'Samples stored in the TSDB heads.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'panoptes_ingester_samples_rejected_total',
      help: 'Samples the ingester refused, by reason (sample_out_of_order, sample_too_old, per_user_series_limit, …).',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.badRecords = new Counter({
      name: 'panoptes_ingester_malformed_records_total',
      help: 'Ingest-log records that could not be decoded and were skipped.',
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'panoptes_ingester_ingest_lag_records',
      help: 'Records of the partition not applied yet (at the last poll).',
      registers: [registry],
    });
  }

  /** The next ingest-log offset to apply (every record below it is in the heads). */
  get appliedOffset(): number {
    return this.nextOffset;
  }

  /** The tenant's data, or undefined when this ingester holds none for it. */
  tenant(tenant: string): TenantDb | undefined {
    return this.tenants.get(tenant);
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()].sort();
  }

  /** The tenant's data, created when new. */
  tenantDb(tenant: string): TenantDb {
    let db = this.tenants.get(tenant);
    if (db === undefined) {
      db = TenantDb.create(tenant, this.config.head, this.logger.with({ tenant }), this.labelStrings);
      // A tenant with local blocks but no head (none in the snapshot): refuse what was cut.
      if (!this.replaying) this.compactor?.markCuts([db]);
      this.tenants.set(tenant, db);
    }
    return db;
  }

  /** Replaces a tenant's data (loading a snapshot). */
  setTenantDb(db: TenantDb): void {
    this.tenants.set(db.tenant, db);
  }

  /** Set by `POST /ingester/prepare-shutdown`: the next shutdown flushes every head first. */
  prepareShutdown = false;

  /**
   * Cuts every head into blocks up to its newest sample (the open range too) and uploads them
   * (`POST /ingester/flush`, and shutdown after prepare-shutdown). The heads keep accepting samples
   * newer than what was cut, and keep the flushed data for queries until the retention period
   * has passed (see `HeadCompactor`).
   */
  async flush(): Promise<CompactionResult> {
    if (this.compactor === undefined) return { blocksCut: 0, blocksShipped: 0, shipFailures: 0 };
    return this.compactor.run(this.tenants.values(), true);
  }

  protected override async starting(signal: AbortSignal): Promise<void> {
    const loaded = this.durability.load ? await this.durability.load(this) : undefined;
    if (this.compactor) await this.compactor.init();
    if (this.consumer === undefined) {
      this.compactor?.markCuts(this.tenants.values());
      return;
    }
    const from: StartPosition = loaded ?? 'committed';
    const consumer = this.consumer;
    // A topic just created or grown may not have a partition leader yet (Kafka answers "not the
    // leader"): transient, so wait for it rather than failing the process.
    await this.retryWhileUnavailable('starting the ingest partition consumer', signal, () => consumer.start(from));
    this.nextOffset = this.consumer.position();
    // Catch up with what was in the partition when we started, before serving.
    const end = await this.retryWhileUnavailable('reading the ingest partition end', signal, () => consumer.highWatermark());
    const started = this.clock.now();
    let replayed = 0;
    // Records from before the snapshot's offset may be replayed (classic mode applies a push
    // before its WAL append): their samples are refused as out-of-order or too old, which is not
    // an error, so refusals are not counted while replaying.
    this.replaying = true;
    try {
      while (this.nextOffset < end && !signal.aborted) {
        const n = await this.consumeOnce(signal);
        replayed += n;
      }
    } finally {
      this.replaying = false;
    }
    // After the replay, not before: replayed samples already cut stay queryable from the head.
    this.compactor?.markCuts(this.tenants.values());
    this.logger.info('ingest partition replayed', {
      component: 'ingester',
      partition: this.consumer.partition,
      records: replayed,
      offset: this.nextOffset,
      duration: `${this.clock.now() - started}ms`,
    });
  }

  private async retryWhileUnavailable<T>(what: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const deadline = this.clock.now() + START_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof UnavailableError) || signal.aborted || this.clock.now() >= deadline) throw err;
        this.logger.warn('ingest log not available yet; retrying', { component: 'ingester', what, attempt, err: errorMessage(err) });
        await sleep(Math.min(2_000, 100 * 2 ** attempt), signal);
      }
    }
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    const compaction = this.compactionLoop(signal);
    const snapshots = this.durabilityLoop(signal);
    try {
      await this.consumeLoop(signal);
    } finally {
      await compaction;
      await snapshots;
    }
  }

  /** Gives the durability hook a chance to snapshot when no batch arrives (idle partition, classic mode). */
  private async durabilityLoop(signal: AbortSignal): Promise<void> {
    if (!this.durability.afterBatch) return;
    while (!signal.aborted) {
      await sleep(1000, signal);
      if (!signal.aborted) await this.durability.afterBatch(this, this.nextOffset);
    }
  }

  private async compactionLoop(signal: AbortSignal): Promise<void> {
    if (this.compactor === undefined) return;
    while (!signal.aborted) {
      await sleep(this.config.headCompactionIntervalMs, signal);
      if (signal.aborted) break;
      try {
        await this.compactor.run(this.tenants.values(), false, signal);
      } catch (err) {
        this.logger.error('head compaction pass failed', { component: 'ingester', err: errorMessage(err) });
      }
    }
  }

  private async consumeLoop(signal: AbortSignal): Promise<void> {
    if (this.consumer === undefined || this.config.mode === 'classic') {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return;
    }
    while (!signal.aborted) {
      try {
        await this.consumeOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        // The log is unreachable (Kafka down): keep what we have, retry after a pause.
        this.logger.warn('consuming the ingest partition failed; retrying', { component: 'ingester', err: errorMessage(err) });
        await sleep(1000, signal);
      }
    }
  }

  protected override async stopping(): Promise<void> {
    if (this.prepareShutdown && this.compactor) {
      const r = await this.flush();
      this.logger.info('flushed heads before shutdown', { component: 'ingester', blocks: r.blocksCut, shipped: r.blocksShipped, failures: r.shipFailures });
    }
    if (this.durability.close) await this.durability.close(this, this.nextOffset);
  }

  /** Polls one batch and applies it; returns the number of records. */
  private async consumeOnce(signal: AbortSignal): Promise<number> {
    const consumer = this.consumer!;
    const records = await consumer.poll(this.config.consumeBatchRecords, this.config.consumeMaxWaitMs, signal);
    if (records.length === 0) return 0;
    for (const r of records) this.settle(r.offset, this.applyRecord(r));
    this.nextOffset = records[records.length - 1].offset + 1;
    if (this.durability.afterBatch) await this.durability.afterBatch(this, this.nextOffset);
    if (this.clock.now() - this.lagCheckedAt >= 10_000) {
      this.lagCheckedAt = this.clock.now();
      this.lag.set(Math.max(0, (await consumer.highWatermark()) - this.nextOffset));
    }
    return records.length;
  }

  /**
   * The outcome of applying the record at `offset` of this ingester's partition: resolves once it
   * is applied, or with undefined when it is not known (applied long ago, or not within
   * `timeoutMs`). Lets a distributor in the same process report the ingester's refusals.
   */
  whenApplied(offset: number, timeoutMs = 5_000): Promise<TenantAppendResult | undefined> {
    if (this.recent.has(offset)) return Promise.resolve(this.recent.get(offset));
    if (offset < this.nextOffset) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const list = this.applyWaiters.get(offset) ?? [];
      this.applyWaiters.set(offset, list);
      const t = setTimeout(() => {
        const l = this.applyWaiters.get(offset);
        if (l) l.splice(l.indexOf(done), 1);
        resolve(undefined);
      }, timeoutMs);
      const done = (r: TenantAppendResult | undefined) => {
        clearTimeout(t);
        resolve(r);
      };
      list.push(done);
    });
  }

  private settle(offset: number, result: TenantAppendResult | undefined): void {
    this.recent.set(offset, result);
    if (this.recent.size > RECENT_OUTCOMES) this.recent.delete(this.recent.keys().next().value!);
    const waiting = this.applyWaiters.get(offset);
    if (waiting !== undefined) {
      this.applyWaiters.delete(offset);
      for (const w of waiting) w(result);
    }
  }

  /**
   * Applies one ingest-log record; malformed records are counted and skipped. A record from a
   * distributor of this process may carry its request already decoded (and hashed with the
   * tenant's seed): applied from that, with the same outcome as decoding the value.
   */
  applyRecord(record: ConsumedRecord): TenantAppendResult | undefined {
    if (record.attachment !== undefined) {
      const decoded = attachedRequest(record.attachment, tenantHashSeed(record.tenant));
      if (decoded !== undefined) return this.appendDecoded(record.tenant, decoded);
    }
    let version: RemoteWriteVersion;
    let body: Buffer;
    try {
      ({ version, body } = decodeIngestRecordValue(record.value));
      return this.pushBody(record.tenant, version, body);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      this.badRecords.inc();
      this.logger.warn('skipping malformed ingest record', {
        component: 'ingester',
        tenant: record.tenant,
        offset: record.offset,
        err: errorMessage(err),
      });
      return undefined;
    }
  }

  /**
   * Classic mode: a distributor's push (an uncompressed remote write 1.0 body). Applied at once
   * (so the reply carries refusals), then appended to the write-ahead log; resolves once the log
   * has it durably. A crash before that loses nothing acknowledged: the distributor got no reply.
   */
  async push(tenant: string, body: Buffer): Promise<TenantAppendResult> {
    const result = this.pushBody(tenant, 1, body);
    if (this.wal !== undefined && result.appended > 0) {
      const [written] = await this.wal.produce([
        { partition: 0, tenant, value: encodeIngestRecordValue(1, body), timestampMs: this.clock.now() },
      ]);
      if (written.offset + 1 > this.nextOffset) this.nextOffset = written.offset + 1;
    }
    return result;
  }

  /** Records that every log record below `nextOffset` is safe on this side (snapshot written). */
  async commitOffset(nextOffset: number): Promise<void> {
    if (this.consumer !== undefined) await this.consumer.commit(nextOffset);
  }

  /** Appends an uncompressed remote write body for a tenant (classic-mode push and replay). */
  pushBody(tenant: string, version: RemoteWriteVersion, body: Buffer): TenantAppendResult {
    return this.appendDecoded(tenant, this.decoder.decode(body, version, tenantHashSeed(tenant)));
  }

  /** Appends a decoded remote write request (hashed with `tenantHashSeed(tenant)`) for a tenant. */
  private appendDecoded(tenant: string, req: DecodedWriteRequest): TenantAppendResult {
    const db = this.tenantDb(tenant);
    const result = db.append(req, this.limits(tenant));
    if (result.appended > 0) {
      this.appended.inc({ tenant }, result.appended);
      db.appendedTotal += result.appended;
    }
    if (!this.replaying) {
      for (const [reason, n] of Object.entries(result.rejectedByReason)) {
        if (n) this.rejected.inc({ tenant, reason }, n);
      }
    }
    return result;
  }

  // ---- reads ------------------------------------------------------------------------------------

  /** Series of a tenant matching every matcher with samples in [minT, maxT] (ms, inclusive). */
  *select(tenant: string, matchers: Matcher[], minT: number, maxT: number): Generator<HeadSeries> {
    const db = this.tenants.get(tenant);
    if (db === undefined) return;
    yield* db.head.select(matchers, minT, maxT);
  }

  labelNames(tenant: string, matchers: Matcher[] = []): string[] {
    return this.tenants.get(tenant)?.head.labelNames(matchers) ?? [];
  }

  labelValues(tenant: string, name: string, matchers: Matcher[] = []): string[] {
    return this.tenants.get(tenant)?.head.labelValues(name, matchers) ?? [];
  }

  /** Fails reads and pushes while the ingester is not Running. */
  checkRunning(): void {
    if (this.state !== 'Running') {
      throw new UnavailableError('ingester_not_running', `ingester is ${this.state}, not Running; retry on another replica`);
    }
  }
}

/** How long start-up waits for the ingest log to become available before failing, ms. */
const START_RETRY_MS = 60_000;

/** Outcomes kept for `whenApplied` callers that ask after the record was applied. */
const RECENT_OUTCOMES = 4096;
