import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { PanoptesError, UnavailableError, ValidationError, errorMessage } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import {
  ConsumedRecord,
  IngestConsumer,
  IngestLog,
  IngestProducer,
  IngestRecord,
  ProduceResult,
  StartPosition,
  clampOffset,
  validateOffset,
  validatePartitionCount,
  validatePoll,
  validateRecord,
} from './ingest-log';
import { IngestMetrics } from './metrics';
import { syncDir } from '@panoptes/common';
import { OffsetsFile } from './offsets-file';
import { decodeSegment, encodeEntries, parseSegmentFileName, segmentFileName } from './wal-segment';

export interface InProcessIngestLogConfig {
  /** Directory of the log: one sub-directory of segment files per partition, plus `offsets.json`. */
  dir: string;
  /**
   * fsync every produce batch (and every commit) before acknowledging it, so an acknowledged record
   * survives a machine crash. false leaves flushing to the OS: a process crash loses nothing, a
   * machine crash can lose the last acknowledged records.
   */
  fsync: boolean;
  /** Size in bytes at which a partition starts a new segment file (a batch is never split). */
  segmentMaxBytes: number;
  /** Delete segments that lie wholly below the committed offset of every group that committed. */
  deleteConsumedSegments: boolean;
  /** Largest record accepted (value + key + tenant), in bytes. */
  maxRecordBytes: number;
}

export function defaultInProcessIngestLogConfig(): InProcessIngestLogConfig {
  return {
    dir: './data/ingest-log',
    fsync: true,
    segmentMaxBytes: 64 * 1024 * 1024,
    deleteConsumedSegments: true,
    maxRecordBytes: 15 * 1024 * 1024,
  };
}

const OFFSETS_FILE = 'offsets.json';
const PARTITION_DIR = /^\d+$/;

interface Segment {
  base: number;
  file: string;
  bytes: number;
}

/**
 * One partition: its retained records in memory (the log is the consumers' read path, and the
 * all-in-one deployment keeps little: retention trims what every group consumed) and its segment
 * files on disk. Invariant: records[i].offset === startOffset + i, and the segments cover exactly
 * [startOffset, end) in order; the last segment is the one being appended to.
 */
class PartitionLog {
  records: ConsumedRecord[] = [];
  startOffset = 0;
  segments: Segment[] = [];
  active: FileHandle | undefined;
  readonly waiters = new Set<() => void>();
  retaining = false;

  constructor(
    readonly partition: number,
    readonly dir: string,
  ) {}

  get end(): number {
    return this.startOffset + this.records.length;
  }

  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

interface PendingProduce {
  records: readonly IngestRecord[];
  resolve: (results: ProduceResult[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The embedded ingest log of the all-in-one deployment: partitions as append-only, CRC-checked
 * segment files with the retained records in memory; committed offsets in an atomically replaced
 * file. Produce calls that arrive while a write is in flight are written and fsynced together
 * (group commit), so one fsync acknowledges many calls.
 */
export class InProcessIngestLog implements IngestLog {
  private readonly logger: Logger;
  private readonly metrics: IngestMetrics;
  private readonly partitions = new Map<number, PartitionLog>();
  private offsets!: OffsetsFile;
  private opening: Promise<void> | undefined;
  private pending: PendingProduce[] = [];
  private draining: Promise<void> | undefined;
  private readonly consumers = new Set<InProcessConsumer>();
  private closed = false;
  /** Set when a failed write could not be rolled back: the files no longer match memory. */
  private failure: unknown;

  constructor(
    private readonly config: InProcessIngestLogConfig,
    logger: Logger,
    registry: Registry,
  ) {
    this.logger = logger.with({ ingest_log: 'in-process' });
    this.metrics = new IngestMetrics(registry);
  }

  producer(): IngestProducer {
    let producerClosed = false;
    return {
      produce: (records) =>
        this.metrics.observeProduce(records.length, async () => {
          if (producerClosed) throw closedError('producer');
          return this.append(records);
        }),
      close: async () => {
        producerClosed = true;
      },
    };
  }

  consumer(partition: number, consumerGroup: string): IngestConsumer {
    const consumer = new InProcessConsumer(this, partition, consumerGroup, this.logger, this.metrics);
    this.consumers.add(consumer);
    return consumer;
  }

  async ensureTopic(partitions: number): Promise<void> {
    validatePartitionCount(partitions);
    await this.ready();
    let created = 0;
    for (let p = 0; p < partitions; p++) {
      if (this.partitions.has(p)) continue;
      const dir = path.join(this.config.dir, String(p));
      await fs.mkdir(dir, { recursive: true });
      this.partitions.set(p, new PartitionLog(p, dir));
      created++;
    }
    if (created > 0 && this.config.fsync) await syncDir(this.config.dir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opening?.catch(() => undefined);
    await this.draining;
    for (const consumer of [...this.consumers]) await consumer.close();
    for (const p of this.partitions.values()) {
      await p.active?.close();
      p.active = undefined;
      p.wake();
    }
  }

  /** Opens the log once: replays every partition and loads the committed offsets. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(closedError('log'));
    this.opening ??= this.open();
    return this.opening;
  }

  // ---- internal API of the consumers (not exported from the lib) ----

  partition(partition: number): PartitionLog {
    const p = this.partitions.get(partition);
    if (!p) {
      // The partition comes from the partition ring, never from the client: a mismatch is ours (503, retried).
      throw new UnavailableError(
        'unknown_partition',
        `ingest partition ${partition} does not exist (the log has ${this.partitions.size}); create it with ensureTopic`,
      );
    }
    return p;
  }

  committed(group: string, partition: number): number | undefined {
    return this.offsets.get(group, partition);
  }

  async commit(group: string, partition: PartitionLog, offset: number): Promise<void> {
    if (this.closed) throw closedError('log');
    await this.offsets.set(group, partition.partition, offset);
    if (this.config.deleteConsumedSegments) await this.deleteConsumedSegments(partition);
  }

  forget(consumer: InProcessConsumer): void {
    this.consumers.delete(consumer);
  }

  wake(partition: number): void {
    this.partitions.get(partition)?.wake();
  }

  // ---- open and replay ----

  private async open(): Promise<void> {
    await fs.mkdir(this.config.dir, { recursive: true });
    this.offsets = await OffsetsFile.load(path.join(this.config.dir, OFFSETS_FILE), this.config.fsync);
    const entries = await fs.readdir(this.config.dir, { withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isDirectory() || !PARTITION_DIR.test(entry.name)) continue;
      const partition = new PartitionLog(Number(entry.name), path.join(this.config.dir, entry.name));
      await this.replay(partition);
      this.partitions.set(partition.partition, partition);
    }
  }

  private async replay(p: PartitionLog): Promise<void> {
    const names = (await fs.readdir(p.dir))
      .map((name) => ({ name, base: parseSegmentFileName(name) }))
      .filter((s): s is { name: string; base: number } => s.base !== undefined)
      .sort((a, b) => a.base - b.base);
    for (let i = 0; i < names.length; i++) {
      const { name, base } = names[i];
      const file = path.join(p.dir, name);
      const isTail = i === names.length - 1;
      if (i === 0) p.startOffset = base;
      else if (base !== p.end) {
        throw new Error(
          `ingest WAL partition ${p.partition}: segment ${file} starts at offset ${base} but the previous segments end at ${p.end}; a segment is missing or misplaced. Move aside the segments from ${file} on to open the log without them`,
        );
      }
      const bytes = await fs.readFile(file);
      const decoded = decodeSegment(bytes, base, p.partition);
      if (decoded.problem !== undefined) {
        if (!isTail) {
          throw new Error(
            `ingest WAL partition ${p.partition}: segment ${file} is corrupt at byte ${decoded.validBytes} (${decoded.problem}) and is not the last segment, so this is not a torn write. Move aside this segment and the ones after it to open the log without them`,
          );
        }
        // A torn tail: the process died while appending. Those records were never acknowledged
        // (acknowledgement waits for the write and its fsync), so dropping them loses nothing.
        await fs.truncate(file, decoded.validBytes);
        this.logger.warn('truncated torn tail of ingest WAL segment', {
          partition: p.partition,
          segment: file,
          problem: decoded.problem,
          kept_records: decoded.records.length,
          dropped_bytes: bytes.length - decoded.validBytes,
          next_offset: base + decoded.records.length,
        });
      }
      for (const record of decoded.records) p.records.push(record);
      p.segments.push({ base, file, bytes: decoded.validBytes });
    }
    if (p.segments.length > 0) {
      p.active = await fs.open(p.segments[p.segments.length - 1].file, 'a');
    }
    this.logger.info('replayed ingest WAL partition', {
      partition: p.partition,
      segments: p.segments.length,
      start_offset: p.startOffset,
      end_offset: p.end,
    });
  }

  // ---- produce ----

  private async append(records: readonly IngestRecord[]): Promise<ProduceResult[]> {
    for (const record of records) validateRecord(record, this.config.maxRecordBytes);
    await this.ready();
    if (this.closed) throw closedError('log');
    if (this.failure !== undefined) throw failedError(this.config.dir, this.failure);
    for (const record of records) this.partition(record.partition);
    if (records.length === 0) return [];
    return new Promise<ProduceResult[]>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const results = await this.write(batch);
        batch.forEach((req, i) => req.resolve(results[i]));
      } catch (err) {
        for (const req of batch) req.reject(err);
      }
    }
  }

  /**
   * Appends every request of the batch, each partition's entries in one write, then fsyncs the
   * touched segments once. Memory and waiting consumers see the records only after that, so a
   * consumer never reads a record that a crash could take back.
   */
  private async write(batch: PendingProduce[]): Promise<ProduceResult[][]> {
    if (this.closed) throw closedError('log');
    if (this.failure !== undefined) throw failedError(this.config.dir, this.failure);
    const byPartition = new Map<number, IngestRecord[]>();
    for (const req of batch) {
      for (const record of req.records) {
        let list = byPartition.get(record.partition);
        if (!list) byPartition.set(record.partition, (list = []));
        list.push(record);
      }
    }
    const appended: { p: PartitionLog; records: ConsumedRecord[]; segment: Segment; before: number }[] = [];
    try {
      for (const [partition, records] of byPartition) {
        const p = this.partition(partition);
        const encoded = encodeEntries(records, p.end);
        const segment = await this.segmentFor(p, encoded.length);
        const before = segment.bytes;
        appended.push({ p, records: encoded.records, segment, before });
        await writevFully(p.active!, encoded.pieces);
        segment.bytes += encoded.length;
      }
      if (this.config.fsync) await Promise.all(appended.map(({ p }) => p.active!.sync()));
    } catch (err) {
      await this.rollBack(appended);
      throw new UnavailableError(
        'ingest_write_failed',
        `could not append to the ingest WAL in ${this.config.dir}: ${errorMessage(err)}; the write was not acknowledged, retry it`,
        { cause: err },
      );
    }
    for (const { p, records } of appended) {
      for (const record of records) p.records.push(record);
      p.wake();
    }
    // Results in the order of each request's records: the n-th record of a partition in the
    // batch got offset end-before-the-batch + n.
    const next = new Map<number, number>();
    for (const { p, records } of appended) next.set(p.partition, records[0].offset);
    return batch.map((req) =>
      req.records.map((record) => {
        const offset = next.get(record.partition)!;
        next.set(record.partition, offset + 1);
        return { partition: record.partition, offset };
      }),
    );
  }

  /** The segment the next `bytes` go to; starts a new one when the active one is full. */
  private async segmentFor(p: PartitionLog, bytes: number): Promise<Segment> {
    const last = p.segments[p.segments.length - 1];
    if (last && p.active && (last.bytes === 0 || last.bytes + bytes <= this.config.segmentMaxBytes)) return last;
    const segment: Segment = { base: p.end, file: path.join(p.dir, segmentFileName(p.end)), bytes: 0 };
    const handle = await fs.open(segment.file, 'a');
    if (this.config.fsync) await syncDir(p.dir);
    await p.active?.close();
    p.active = handle;
    p.segments.push(segment);
    return segment;
  }

  /** Cuts the segments back to where they were, so a failed write leaves no garbage behind. */
  private async rollBack(appended: { p: PartitionLog; segment: Segment; before: number }[]): Promise<void> {
    for (const { p, segment, before } of appended) {
      try {
        await p.active!.truncate(before);
        segment.bytes = before;
      } catch (err) {
        this.failure = err;
        this.logger.error('ingest WAL rollback failed; refusing further writes until restart', {
          partition: p.partition,
          segment: segment.file,
          err,
        });
      }
    }
  }

  // ---- retention ----

  /** Deletes, oldest first, the closed segments that every committing group has consumed. */
  private async deleteConsumedSegments(p: PartitionLog): Promise<void> {
    if (p.retaining) return;
    p.retaining = true;
    try {
      const floor = this.offsets.minCommitted(p.partition);
      if (floor === undefined) return;
      while (p.segments.length > 1 && p.segments[1].base <= floor && !this.closed) {
        const [segment] = p.segments.splice(0, 1);
        const newStart = p.segments[0].base;
        p.records.splice(0, newStart - p.startOffset);
        p.startOffset = newStart;
        // One at a time with a directory fsync between: a crash can only leave a prefix deleted,
        // never a hole in the middle of the partition.
        await fs.unlink(segment.file);
        if (this.config.fsync) await syncDir(p.dir);
        this.logger.debug('deleted consumed ingest WAL segment', { partition: p.partition, segment: segment.file });
      }
    } catch (err) {
      this.logger.warn('could not delete consumed ingest WAL segment', { partition: p.partition, err });
    } finally {
      p.retaining = false;
    }
  }
}

/**
 * A consumer of the in-process log. Polls read the partition's records from memory; a poll with
 * nothing to read registers a waiter that the next append wakes (no busy polling).
 */
class InProcessConsumer implements IngestConsumer {
  private next = -1;
  private closed = false;
  private polling = false;
  private readonly stopLag: () => void;
  private lag = 0;

  constructor(
    private readonly log: InProcessIngestLog,
    readonly partition: number,
    readonly consumerGroup: string,
    private readonly logger: Logger,
    private readonly metrics: IngestMetrics,
  ) {
    this.stopLag = metrics.trackLag(() => this.lag);
  }

  async start(from: StartPosition): Promise<void> {
    this.checkOpen();
    await this.log.ready();
    const p = this.log.partition(this.partition);
    if (from === 'earliest') this.next = p.startOffset;
    else if (from === 'latest') this.next = p.end;
    else if (from === 'committed') this.next = this.clamp(p, this.log.committed(this.consumerGroup, this.partition));
    else {
      validateOffset(from, 'start offset');
      this.next = this.clamp(p, from);
    }
    this.lag = p.end - this.next;
  }

  position(): number {
    return this.next;
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<ConsumedRecord[]> {
    this.checkOpen();
    validatePoll(maxRecords, maxWaitMs);
    if (this.next < 0) throw notStartedError();
    if (this.polling) throw concurrentPollError();
    this.polling = true;
    try {
      const p = this.log.partition(this.partition);
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        if (this.closed || signal?.aborted) return [];
        if (this.next < p.startOffset) {
          this.logger.warn('ingest consumer position was deleted by retention; skipping ahead', {
            partition: this.partition,
            group: this.consumerGroup,
            from: this.next,
            to: p.startOffset,
          });
          this.next = p.startOffset;
        }
        if (this.next < p.end) {
          const from = this.next - p.startOffset;
          const batch = p.records.slice(from, from + maxRecords);
          this.next += batch.length;
          this.lag = p.end - this.next;
          this.metrics.consumedRecords.inc(batch.length);
          return batch;
        }
        this.lag = 0;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return [];
        await waitForAppend(p, remaining, signal);
      }
    } finally {
      this.polling = false;
    }
  }

  async commit(nextOffset: number): Promise<void> {
    this.checkOpen();
    validateOffset(nextOffset, 'committed offset');
    await this.log.ready();
    await this.log.commit(this.consumerGroup, this.log.partition(this.partition), nextOffset);
  }

  async committedOffset(): Promise<number | undefined> {
    this.checkOpen();
    await this.log.ready();
    return this.log.committed(this.consumerGroup, this.partition);
  }

  async highWatermark(): Promise<number> {
    this.checkOpen();
    await this.log.ready();
    return this.log.partition(this.partition).end;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopLag();
    this.log.forget(this);
    // A poll waiting on this partition returns its empty batch on the next wake-up.
    this.log.wake(this.partition);
  }

  private clamp(p: PartitionLog, offset: number | undefined): number {
    if (offset === undefined) return p.startOffset;
    const clamped = clampOffset(offset, p.startOffset, p.end);
    if (clamped !== offset) {
      this.logger.warn('ingest consumer start offset out of range; clamped', {
        partition: this.partition,
        group: this.consumerGroup,
        requested: offset,
        start: clamped,
        earliest: p.startOffset,
        end: p.end,
      });
    }
    return clamped;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError('consumer');
  }
}

/** Resolves when the partition gets records, after `ms`, or when the signal aborts. */
function waitForAppend(p: PartitionLog, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      p.waiters.delete(done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    p.waiters.add(done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function closedError(what: 'log' | 'producer' | 'consumer'): PanoptesError {
  return new UnavailableError('ingest_log_closed', `the ingest ${what} is closed; the write or read was not done`);
}

function failedError(dir: string, failure: unknown): PanoptesError {
  return new UnavailableError(
    'ingest_log_failed',
    `the ingest WAL in ${dir} failed a write it could not roll back (${errorMessage(failure)}); restart the process to repair it from disk`,
    { cause: failure },
  );
}

export function notStartedError(): PanoptesError {
  return new ValidationError('consumer_not_started', 'ingest consumer polled before start(); call start() first');
}

export function concurrentPollError(): PanoptesError {
  return new ValidationError('concurrent_poll', 'ingest consumer is already polling; poll one batch at a time');
}

/**
 * Writes every byte of the buffers, in order, gathered by writev(2) (the records' values are
 * written from where they are, without joining them first). A single call may write fewer (a
 * full disk, a signal), and counting everything as written would acknowledge records that replay
 * later drops as a torn tail: it resumes after a short write, and fails when one makes no progress.
 */
export async function writevFully(
  file: { writev(buffers: Uint8Array[]): Promise<{ bytesWritten: number }> },
  pieces: readonly Uint8Array[],
): Promise<void> {
  let rest = pieces.filter((b) => b.length > 0);
  let total = 0;
  for (const b of rest) total += b.length;
  let done = 0;
  while (rest.length > 0) {
    const { bytesWritten } = await file.writev(rest);
    if (bytesWritten <= 0) throw new Error(`write made no progress at byte ${done} of ${total}`);
    done += bytesWritten;
    let skip = bytesWritten;
    let k = 0;
    while (k < rest.length && rest[k].length <= skip) skip -= rest[k++].length;
    rest = rest.slice(k);
    if (skip > 0) rest[0] = rest[0].subarray(skip);
  }
}

