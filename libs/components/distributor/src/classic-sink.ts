import { Counter, Histogram, type Registry } from 'prom-client';
import { UnavailableError, errorMessage, httpStatusOf, isPanoptesError, reasonOf } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { DecodedWriteRequest, METADATA_REF_STRIDE, WriteRequestSubsetEncoder, murmur3x86_128 } from '@panoptes/proto';
import { Operation, type ReplicationSet, type RingInstance } from '@panoptes/ring';
import type { SeriesSink } from './series-sink';

export interface ClassicSinkConfig {
  /** Deadline of one push to one ingester, in milliseconds (Mimir's -distributor.remote-timeout). */
  remoteTimeoutMs: number;
}

export function defaultClassicSinkConfig(): ClassicSinkConfig {
  return { remoteTimeoutMs: 2_000 };
}

/** What the sink reads of the ingester ring: the replication set of a key. `Ring` of @panoptes/ring fits. */
export interface ReplicationSource {
  get(key: number, op: Operation): ReplicationSet;
}

/** One ingester's push call. `IngesterClient` of @panoptes/ingester-client fits. */
export interface IngesterPushClient {
  /** Sends an uncompressed remote-write 1.0 body; rejects with the typed error the ingester threw. */
  push(tenant: string, body: Uint8Array, options?: { timeoutMs?: number }): Promise<unknown>;
}

/** Clients by ingester address. `IngesterClientPool` of @panoptes/ingester-client fits. */
export interface IngesterPushClients {
  getClientFor(address: string): IngesterPushClient;
}

/** The items (series, then metadata entries) one ingester gets in one write. */
interface IngesterBatch {
  instance: RingInstance;
  /** Request series indices, ascending. */
  series: number[];
  /** Request metadata indices, ascending. */
  metadata: number[];
  /** Item numbers: k < count is `series[k]` of the write, count + m is metadata entry m. */
  items: number[];
}

type Outcome = 'success' | 'client_error' | 'server_error';

/**
 * Classic mode (Mimir's distributor without ingest storage): every series goes to the
 * `replicationFactor` ingesters the ring gives for its tenant-seeded hash (`seriesHashHi`), pushed
 * over gRPC, one call per ingester holding all the series (and metadata) that ingester owns.
 *
 * Quorum as dskit's `DoBatch`: an item (series or metadata entry) is written when
 * `instances - maxErrors` of its replication set acknowledged it (2 of 3), counting instances, not
 * zones (with zone awareness and at least RF zones each replica sits in its own zone, so the two
 * agree; when RF exceeds the zones the instance count is the stricter rule, as in dskit). The write
 * resolves as soon as every item is written, without waiting for slower replicas; those calls go on
 * in the background (so every replica gets the data) and only update metrics when they end.
 *
 * The write fails at the first item that cannot be written:
 * - more than `maxErrors` replicas refused it with a 4xx (validation, limit): that error, as the
 *   ingester threw it, so the client gets the 400/429 (Mimir's "quorum of client errors"; the
 *   missing replica would have refused it too);
 * - more than `maxErrors` failed otherwise (down, timeout, 5xx), or all answered without quorum
 *   in either family (a 4xx and a 5xx out of 3): `UnavailableError` (503) naming the tenant and
 *   the failed ingesters, so the client retries the whole request.
 *
 * Metadata entries are items of their own, keyed by the tenant-seeded murmur3 hash of their metric
 * family name (as Mimir shards metadata by metric name): each family lands on the same RF ingesters
 * every time, with the same quorum as series, and a metadata-only request needs no series to route.
 *
 * When an ingester gets every series and metadata entry of an unchanged 1.0 request (e.g. three
 * ingesters with RF=3), the request's own body is forwarded without re-encoding.
 */
export class ClassicSink implements SeriesSink {
  private readonly encoder = new WriteRequestSubsetEncoder();
  private readonly hashOut = new Uint32Array(4);
  private readonly logger: Logger;
  private readonly failures: Counter<'ingester' | 'reason'>;
  private readonly duration: Histogram<'outcome'>;

  constructor(
    private readonly config: ClassicSinkConfig,
    private readonly ring: () => ReplicationSource,
    private readonly clients: IngesterPushClients,
    logger: Logger,
    registry: Registry,
  ) {
    this.logger = logger.with({ component: 'distributor' });
    this.failures = new Counter({
      name: 'panoptes_distributor_ingester_push_failures_total',
      help: 'Push calls to ingesters that failed, by ingester (ring instance id) and reason.',
      labelNames: ['ingester', 'reason'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'panoptes_distributor_ingester_push_duration_seconds',
      help: 'Duration of one push call to one ingester, by outcome (success, client_error, server_error).',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  async write(tenant: string, req: DecodedWriteRequest, series: Uint32Array, count: number, unchangedBody: Buffer | undefined): Promise<void> {
    const itemCount = count + req.metadataCount;
    if (itemCount === 0) return;

    // Place every item on its replication set; the ring throws when too few ingesters are healthy.
    const ring = this.ring();
    const sets: RingInstance[][] = new Array(itemCount);
    const minSuccess = new Int32Array(itemCount);
    const maxFailures = new Int32Array(itemCount);
    const batches = new Map<string, IngesterBatch>();
    try {
      for (let item = 0; item < itemCount; item++) {
        const key = item < count ? req.seriesHashHi[series[item]] : this.metadataKey(req, item - count);
        const set = ring.get(key, Operation.Write);
        sets[item] = set.instances;
        maxFailures[item] = set.maxErrors;
        minSuccess[item] = set.instances.length - set.maxErrors;
        for (const instance of set.instances) {
          let batch = batches.get(instance.id);
          if (batch === undefined) {
            batch = { instance, series: [], metadata: [], items: [] };
            batches.set(instance.id, batch);
          }
          if (item < count) batch.series.push(series[item]);
          else batch.metadata.push(item - count);
          batch.items.push(item);
        }
      }
    } catch (err) {
      throw this.ringError(tenant, count, req.metadataCount, err);
    }

    // Encode every body before the first call: `req` is only valid until this write settles, and the
    // encoder reuses its output buffer (hence the copy).
    const bodies: Buffer[] = [];
    for (const batch of batches.values()) {
      const whole = batch.series.length === req.seriesCount && batch.metadata.length === req.metadataCount;
      if (whole && unchangedBody !== undefined && req.version === 1) {
        bodies.push(unchangedBody);
      } else {
        const s = Uint32Array.from(batch.series);
        const m = Uint32Array.from(batch.metadata);
        bodies.push(Buffer.from(this.encoder.encode(req, s, s.length, m, m.length)));
      }
    }

    return new Promise<void>((resolve, reject) => {
      const succeeded = new Int32Array(itemCount);
      const failed4xx = new Int32Array(itemCount);
      const failed5xx = new Int32Array(itemCount);
      const remaining = new Int32Array(itemCount);
      const done = new Uint8Array(itemCount);
      for (let item = 0; item < itemCount; item++) remaining[item] = sets[item].length;
      const failedBy = new Map<string, unknown>();
      let pending = itemCount;
      let settled = false;

      const fail = (err: unknown): void => {
        settled = true;
        reject(err);
      };

      const record = (batch: IngesterBatch, err: unknown, isError: boolean): void => {
        if (settled) return;
        const clientError = isError && isClientError(err);
        if (isError) failedBy.set(batch.instance.id, err);
        for (const item of batch.items) {
          if (done[item] === 1) continue;
          remaining[item]--;
          if (!isError) {
            if (++succeeded[item] >= minSuccess[item]) {
              done[item] = 1;
              if (--pending === 0) {
                settled = true;
                resolve();
                return;
              }
            } else if (remaining[item] === 0) {
              return fail(this.quorumError(tenant, req, series, count, item, sets[item], minSuccess[item], failedBy));
            }
            continue;
          }
          // As dskit: a quorum of client errors is the client's fault (it would be refused again);
          // anything else without quorum is ours, and the client should retry.
          if (clientError) {
            if (++failed4xx[item] > maxFailures[item]) return fail(err);
          } else if (++failed5xx[item] > maxFailures[item]) {
            return fail(this.quorumError(tenant, req, series, count, item, sets[item], minSuccess[item], failedBy));
          }
          if (remaining[item] === 0) {
            return fail(this.quorumError(tenant, req, series, count, item, sets[item], minSuccess[item], failedBy));
          }
        }
      };

      let b = 0;
      for (const batch of batches.values()) {
        const body = bodies[b++];
        const started = performance.now();
        let call: Promise<unknown>;
        try {
          call = this.clients.getClientFor(batch.instance.addr).push(tenant, body, { timeoutMs: this.config.remoteTimeoutMs });
        } catch (err) {
          call = Promise.reject(err);
        }
        // Both handlers are attached, so a replica failing after the write settled is no unhandled rejection.
        call.then(
          () => {
            this.duration.observe({ outcome: 'success' }, (performance.now() - started) / 1000);
            record(batch, undefined, false);
          },
          (err: unknown) => {
            this.observeFailure(tenant, batch.instance, err, started);
            record(batch, err, true);
          },
        );
      }
    });
  }

  /** A metadata entry's ring key: murmur3 of its metric family name, seeded like the series hashes. */
  private metadataKey(req: DecodedWriteRequest, m: number): number {
    const r = m * METADATA_REF_STRIDE;
    murmur3x86_128(req.buf, req.metadataRefs[r], req.metadataRefs[r + 1], req.hashSeed, this.hashOut);
    return this.hashOut[0];
  }

  private observeFailure(tenant: string, instance: RingInstance, err: unknown, started: number): void {
    const outcome: Outcome = isClientError(err) ? 'client_error' : 'server_error';
    const reason = reasonOf(err);
    this.duration.observe({ outcome }, (performance.now() - started) / 1000);
    this.failures.inc({ ingester: instance.id, reason });
    if (this.logger.enabled('debug')) {
      this.logger.debug('ingester push failed', { tenant, ingester: instance.id, addr: instance.addr, reason, err: errorMessage(err) });
    }
  }

  private quorumError(
    tenant: string,
    req: DecodedWriteRequest,
    series: Uint32Array,
    count: number,
    item: number,
    set: RingInstance[],
    needed: number,
    failedBy: Map<string, unknown>,
  ): UnavailableError {
    const what = item < count ? `series ${req.seriesString(series[item])}` : `metadata of ${JSON.stringify(req.metadata(item - count).metricFamilyName)}`;
    const failed = set.filter((i) => failedBy.has(i.id));
    const details = failed.map((i) => `${i.id} at ${i.addr}: ${errorMessage(failedBy.get(i.id))}`).join('; ');
    const last = failed.length > 0 ? failedBy.get(failed[failed.length - 1].id) : undefined;
    return new UnavailableError(
      'ingester_quorum_failed',
      `tenant "${tenant}": ${failed.length} of ${set.length} ingesters failed to write ${what}, which needs ${needed} of them (${details}); ` +
        'nothing was acknowledged, retry the request; check the ingester ring page for unhealthy ingesters',
      { tenant, cause: last },
    );
  }

  private ringError(tenant: string, count: number, metadataCount: number, err: unknown): unknown {
    if (!isPanoptesError(err) || err.kind !== 'unavailable') return err;
    const what = metadataCount > 0 ? `${count} series and ${metadataCount} metadata entries` : `${count} series`;
    return new UnavailableError(err.reason, `tenant "${tenant}": cannot write ${what} to ingesters: ${err.message}`, { tenant, cause: err });
  }
}

/** A 4xx from the ingester: the data itself is refused (validation, limits), a retry would be too. */
function isClientError(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status >= 400 && status < 500;
}
