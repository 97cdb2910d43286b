import { Counter, type Registry } from 'prom-client';
import type { IngestProducer, IngestRecord } from '@panoptes/ingest';
import { DecodedAttachment, DecodedWriteRequest, WriteRequestSubsetEncoder, compressSnappy, encodeIngestRecordValue } from '@panoptes/proto';
import type { PartitionRing } from '@panoptes/ring';
import { Clock, ValidationError } from '@panoptes/common';

/** Samples the ingesters refused after the write was durable, and the first refusal. */
export interface DownstreamRefusal {
  samples: number;
  error: ValidationError;
}

/**
 * Where the distributor's validated series go. `write` resolves only once they are durable (the
 * client is answered after it), and rejects with `UnavailableError` when they could not be made
 * durable (the client gets a 5xx and retries the whole request).
 */
export interface SeriesSink {
  /**
   * True when `write` keeps no reference to `unchangedBody` once it resolved or rejected (it copies
   * or compresses what it keeps): the distributor then decompresses the next request into the same
   * memory. Absent or false: the body may live on (a record value sharing it, a message still being
   * sent to a replica after the quorum answered), and each request gets memory of its own.
   */
  readonly releasesBody?: boolean;
  /**
   * Writes series `series[0..count)` of `req` (ascending indices) for `tenant`, with their
   * exemplars and the request's metadata. `unchangedBody` is the request's own uncompressed body
   * when every series is written exactly as received (it may then be forwarded as it is), and
   * `unchangedSnappy` that body snappy-compressed as the client sent it, when it came so.
   */
  write(
    tenant: string,
    req: DecodedWriteRequest,
    series: Uint32Array,
    count: number,
    unchangedBody: Buffer | undefined,
    unchangedSnappy?: Buffer,
  ): Promise<DownstreamRefusal | undefined | void>;
}

/**
 * In a single process the distributor can wait for its own ingester to apply what it wrote, and
 * so answer with the ingester's refusals (out-of-order samples, series limits) like classic mode
 * does. Resolves undefined when the outcome is not known in time (the data is durable anyway).
 */
export type AppliedOutcome = (
  partition: number,
  offset: number,
) => Promise<{ rejected: number; error: ValidationError | undefined } | undefined>;

/** How the ingest-log sink writes records. */
export interface IngestLogSinkConfig {
  /**
   * Snappy-compress record bodies (ingest record formats 3 and 4): a request that goes to one
   * partition unchanged is forwarded as the client compressed it, others are compressed here. Less
   * to checksum, copy, send and store for Kafka (about a tenth of the bytes); the ingesters
   * decompress. Off, records hold uncompressed bodies (the in-process log: nothing crosses a wire).
   */
  compressRecords: boolean;
  /**
   * With `compressRecords` off: a request forwarded unchanged still goes as the client compressed
   * it, when it came so. Costs nothing (no compression here) and the log writes and checksums
   * about a quarter of the bytes; only a replay decompresses. For the in-process log, whose
   * ingester takes the decoded request along and never reads the body it wrote.
   */
  keepClientCompression: boolean;
}

export function defaultIngestLogSinkConfig(): IngestLogSinkConfig {
  return { compressRecords: false, keepClientCompression: false };
}

/**
 * Ingest-storage mode (Mimir 3): one record per (tenant, partition) into the ingest log, the
 * partition of a series chosen by its tenant-seeded hash on the partition ring. The request is
 * acknowledged once the log acknowledged every record.
 *
 * The request's metadata goes with the first record. When all series land on one partition and
 * nothing was changed, the request's own body is forwarded (one copy, no re-encoding), compressed
 * as it came when records are compressed.
 */
export class IngestLogSink implements SeriesSink {
  /**
   * With compressed records or the client's compression kept, an unchanged body given with its
   * snappy form is never a record value (those are the snappy bytes, or copies).
   */
  get releasesBody(): boolean {
    return this.config.compressRecords || this.config.keepClientCompression;
  }

  private readonly encoder = new WriteRequestSubsetEncoder();
  private partitionOf = new Int32Array(1024);
  private grouped = new Uint32Array(1024);
  private metadataAll = new Uint32Array(16);
  private readonly records: Counter<'tenant'>;

  constructor(
    private readonly config: IngestLogSinkConfig,
    private readonly producer: IngestProducer,
    private readonly ring: () => PartitionRing,
    private readonly clock: Clock,
    registry: Registry,
    private readonly appliedOutcome?: AppliedOutcome,
  ) {
    this.records = new Counter({
      name: 'panoptes_distributor_ingest_records_total',
      help: 'Records written to the ingest log (one per tenant and partition of a request).',
      labelNames: ['tenant'],
      registers: [registry],
    });
  }

  async write(
    tenant: string,
    req: DecodedWriteRequest,
    series: Uint32Array,
    count: number,
    unchangedBody: Buffer | undefined,
    unchangedSnappy?: Buffer,
  ): Promise<DownstreamRefusal | undefined> {
    const ring = this.ring();
    if (this.partitionOf.length < count) {
      this.partitionOf = new Int32Array(Math.max(count, this.partitionOf.length * 2));
      this.grouped = new Uint32Array(this.partitionOf.length);
    }
    const partitionOf = this.partitionOf;
    let first = -1;
    let single = true;
    for (let k = 0; k < count; k++) {
      const p = ring.partitionForKey(req.seriesHashHi[series[k]]);
      partitionOf[k] = p;
      if (first < 0) first = p;
      else if (p !== first) single = false;
    }
    if (first < 0) first = ring.partitionForKey(0); // metadata only
    const timestampMs = this.clock.now();
    const records: IngestRecord[] = [];
    const snappy = this.config.compressRecords;
    if (single && unchangedBody !== undefined) {
      const asSent = snappy || this.config.keepClientCompression ? unchangedSnappy : undefined;
      const body = asSent ?? (snappy ? compressSnappy(unchangedBody) : unchangedBody);
      // The record's body is the request as decoded: an ingester of this process (in-process log)
      // takes the decoded request along instead of decoding and hashing the body again.
      records.push({ partition: first, tenant, value: encodeIngestRecordValue(req.version, body, snappy || asSent !== undefined), timestampMs, attachment: new DecodedAttachment(req) });
    } else {
      // Group series by partition, keeping request order within a partition.
      const partitions = [...new Set(partitionOf.subarray(0, count))].sort((a, b) => a - b);
      if (partitions.length === 0) partitions.push(first);
      const metadata = this.allMetadata(req);
      for (let i = 0; i < partitions.length; i++) {
        const p = partitions[i];
        let n = 0;
        for (let k = 0; k < count; k++) if (partitionOf[k] === p) this.grouped[n++] = series[k];
        const body = this.encoder.encode(req, this.grouped, n, i === 0 ? metadata : null, i === 0 ? req.metadataCount : 0);
        records.push({ partition: p, tenant, value: encodeIngestRecordValue(1, snappy ? compressSnappy(body) : body, snappy), timestampMs });
      }
    }
    const produced = await this.producer.produce(records);
    this.records.inc({ tenant }, records.length);
    if (this.appliedOutcome === undefined) return undefined;
    const outcomes = await Promise.all(produced.map((p) => this.appliedOutcome!(p.partition, p.offset)));
    let samples = 0;
    let error: ValidationError | undefined;
    for (const o of outcomes) {
      if (o === undefined || o.rejected === 0) continue;
      samples += o.rejected;
      error ??= o.error;
    }
    return error === undefined ? undefined : { samples, error };
  }

  private allMetadata(req: DecodedWriteRequest): Uint32Array {
    if (this.metadataAll.length < req.metadataCount) this.metadataAll = new Uint32Array(req.metadataCount * 2);
    for (let m = 0; m < req.metadataCount; m++) this.metadataAll[m] = m;
    return this.metadataAll;
  }
}
