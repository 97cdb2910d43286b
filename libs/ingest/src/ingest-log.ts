import { TooLargeError, ValidationError } from '@panoptes/common';

/**
 * The ingest log between distributors and ingesters (Mimir 3 / Tempo 3 "ingest storage"): one
 * topic, many partitions. A distributor writes one record per (tenant, partition) and answers its
 * client only after `produce` resolved; an ingester reads one partition from its committed offset
 * and commits once the data is durable on its side.
 *
 * Offsets are JavaScript `number`s. Kafka offsets are int64, but a partition would need 2^53
 * (9·10^15) records before a number loses precision; both implementations reject offsets that are
 * not safe integers instead of rounding them.
 */
export interface IngestRecord {
  /** Partition the record belongs to (0-based). */
  partition: number;
  /** Tenant whose data the record carries; never empty. */
  tenant: string;
  /** Optional opaque key (Kafka record key). */
  key?: Buffer;
  /** The payload. The log keeps a reference to it: do not mutate it after produce. */
  value: Buffer;
  /** Position in the partition; set on records returned by `poll`, ignored by `produce`. */
  offset?: number;
  /** Milliseconds since the Unix epoch, chosen by the producer. */
  timestampMs: number;
  /**
   * In-process only: something the producer already made of `value` (the ingest records of
   * metrics carry the request decoded), handed as it is to the consumers of the same log object.
   * Never written to disk nor sent over a wire: records replayed from disk or read from Kafka have
   * none. A consumer treats it as a hint: it checks that it still describes `value`, and decodes
   * `value` when it does not.
   */
  attachment?: unknown;
}

/** A record as `poll` returns it: it always knows its offset. Treat it as read-only. */
export interface ConsumedRecord extends IngestRecord {
  offset: number;
}

/** Where one produced record landed, in the order of the records given to `produce`. */
export interface ProduceResult {
  partition: number;
  offset: number;
}

/**
 * Where a consumer starts reading:
 * - `committed`: the group's committed offset for the partition, or the earliest retained record
 *   when the group never committed (nothing is skipped on first start);
 * - `earliest`: the oldest retained record; `latest`: only records produced after `start`;
 * - a number: that offset. Offsets outside [earliest, end] are clamped to the nearest bound with
 *   a warning (below earliest: the data was deleted by retention; above end: the log lost data).
 */
export type StartPosition = 'committed' | 'earliest' | 'latest' | number;

export interface IngestProducer {
  /**
   * Appends the records and resolves once every one of them is acknowledged by the log (Kafka:
   * acks=all; in-process: written, and fsynced unless fsync is off). Rejects with
   * `UnavailableError` when the log cannot take them: the caller answers 5xx and the client
   * retries. A rejected call may have stored some of the records (at-least-once).
   */
  produce(records: readonly IngestRecord[]): Promise<ProduceResult[]>;
  close(): Promise<void>;
}

/**
 * Reads one partition for one consumer group, pull style: the ingester asks for the next batch
 * when it is ready, which is its backpressure.
 *
 * Commit convention (Kafka's): `commit(n)` records n as the NEXT offset to read, i.e. every
 * record below n is durable on the consumer's side. After consuming a record at offset o, commit
 * o + 1. A consumer started from 'committed' resumes exactly at n.
 */
export interface IngestConsumer {
  readonly partition: number;
  readonly consumerGroup: string;
  /** Resolves the start position; must be called once before `poll`. */
  start(from: StartPosition): Promise<void>;
  /** The offset of the next record `poll` will return. */
  position(): number;
  /**
   * Up to `maxRecords` records in offset order. Returns as soon as at least one record is there;
   * waits up to `maxWaitMs` otherwise and then returns an empty batch. An aborted `signal` makes it
   * return an empty batch at once. One poll at a time per consumer.
   */
  poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<ConsumedRecord[]>;
  /** Commits `nextOffset` (the next offset to read, see above) for this group and partition. */
  commit(nextOffset: number): Promise<void>;
  /** The group's committed next-offset for this partition, or undefined if it never committed. */
  committedOffset(): Promise<number | undefined>;
  /** The partition's end: the offset the next produced record will get. Lag = end − position. */
  highWatermark(): Promise<number>;
  close(): Promise<void>;
}

export interface IngestLog {
  /** A producer; producers are cheap to share, one per process is enough. */
  producer(): IngestProducer;
  /** A consumer of one partition for one consumer group (e.g. the ingester's instance id). */
  consumer(partition: number, consumerGroup: string): IngestConsumer;
  /** Creates the topic with `partitions` partitions, or grows it to that many. Never shrinks. */
  ensureTopic(partitions: number): Promise<void>;
  /** Closes every producer and consumer made by this log. */
  close(): Promise<void>;
}

/** Longest tenant name a record may carry, in UTF-8 bytes (the WAL stores it with a u16 length). */
export const MAX_TENANT_BYTES = 0xffff;

/** Header carrying the tenant of a Kafka record. */
export const TENANT_HEADER = 'tenant';

/** Checks what both implementations require of a record before anything is written. */
export function validateRecord(record: IngestRecord, maxRecordBytes: number): void {
  if (!Number.isInteger(record.partition) || record.partition < 0) {
    throw new ValidationError(
      'invalid_partition',
      `ingest record partition must be a non-negative integer, got ${String(record.partition)}`,
    );
  }
  if (typeof record.tenant !== 'string' || record.tenant === '') {
    throw new ValidationError('missing_tenant', 'ingest record has no tenant; every record must name its tenant');
  }
  if (Buffer.byteLength(record.tenant) > MAX_TENANT_BYTES) {
    throw new ValidationError('invalid_tenant', `ingest record tenant is longer than ${MAX_TENANT_BYTES} bytes`);
  }
  if (!Buffer.isBuffer(record.value)) {
    throw new ValidationError('invalid_value', 'ingest record value must be a Buffer', { tenant: record.tenant });
  }
  if (!Number.isFinite(record.timestampMs)) {
    throw new ValidationError('invalid_timestamp', 'ingest record timestampMs must be a finite number of milliseconds', {
      tenant: record.tenant,
    });
  }
  const size = record.value.length + (record.key?.length ?? 0) + Buffer.byteLength(record.tenant);
  if (size > maxRecordBytes) {
    throw new TooLargeError(
      'ingest_record_too_large',
      `ingest record of ${size} bytes for tenant "${record.tenant}" exceeds the limit of ${maxRecordBytes} bytes; split the write into smaller requests or raise the ingest max record size`,
      { tenant: record.tenant },
    );
  }
}

/** Checks an offset given by a caller (start position, commit). */
/** `ensureTopic`'s argument: a whole number of partitions, at least one. */
export function validatePartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new ValidationError('invalid_partitions', `ingest topic needs at least one partition, got ${partitions}`);
  }
}

export function validateOffset(offset: number, what: string): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ValidationError('invalid_offset', `${what} must be a non-negative safe integer, got ${String(offset)}`);
  }
}

/** Checks poll arguments. */
export function validatePoll(maxRecords: number, maxWaitMs: number): void {
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new ValidationError('invalid_poll', `poll maxRecords must be a positive integer, got ${String(maxRecords)}`);
  }
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new ValidationError('invalid_poll', `poll maxWaitMs must be a non-negative number, got ${String(maxWaitMs)}`);
  }
}

/** Clamps a requested start offset into [earliest, end]. */
export function clampOffset(offset: number, earliest: number, end: number): number {
  if (offset < earliest) return earliest;
  if (offset > end) return end;
  return offset;
}
