import { Admin, Kafka, Message, Partitioners, Producer, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { PanoptesError, TooLargeError, UnavailableError, errorMessage, sleep } from '@panoptes/common';
import { Logger } from '@panoptes/log';
import {
  ConsumedRecord,
  IngestConsumer,
  IngestLog,
  IngestProducer,
  IngestRecord,
  ProduceResult,
  StartPosition,
  TENANT_HEADER,
  clampOffset,
  validateOffset,
  validatePartitionCount,
  validatePoll,
  validateRecord,
} from './ingest-log';
import { FetchedMessage, InternalCluster, READ_UNCOMMITTED, createInternalCluster } from './kafka-internals';
import { kafkaLogCreator } from './kafka-logger';
import { IngestMetrics } from './metrics';
import { concurrentPollError, notStartedError } from './in-process-ingest-log';

export interface KafkaIngestLogConfig {
  /** Bootstrap brokers, as host:port. */
  brokers: string[];
  /** Topic holding the ingest log. */
  topic: string;
  /** Client id the brokers see in their logs and quotas. */
  clientId: string;
  /** Replication factor `ensureTopic` gives a new topic; -1 uses the broker's default. */
  replicationFactor: number;
  /** Time to open a TCP connection to a broker, in milliseconds. */
  connectionTimeoutMs: number;
  /** Time to wait for a broker's answer to a request (fetches add their wait), in milliseconds. */
  requestTimeoutMs: number;
  /** Retries of a failing request before giving up with UnavailableError; keeps produce bounded. */
  retries: number;
  /** First backoff between retries, in milliseconds; it doubles up to maxRetryTimeMs. */
  initialRetryTimeMs: number;
  /** Longest backoff between retries, in milliseconds. */
  maxRetryTimeMs: number;
  /** Time the leader may wait for all in-sync replicas to acknowledge a produce (acks=all), in milliseconds. */
  produceAckTimeoutMs: number;
  /** Idempotent producer: the broker drops duplicates that the producer's own retries would create. */
  idempotentProducer: boolean;
  /** Largest record accepted (value + key + tenant), in bytes; `ensureTopic` sets the topic's max.message.bytes above it. */
  maxRecordBytes: number;
  /** Most bytes one fetch returns for the partition, in bytes (a bigger single record still comes whole). */
  fetchMaxBytes: number;
}

export function defaultKafkaIngestLogConfig(): KafkaIngestLogConfig {
  return {
    brokers: ['127.0.0.1:9092'],
    topic: 'panoptes-ingest',
    clientId: 'panoptes',
    replicationFactor: -1,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 30_000,
    retries: 3,
    initialRetryTimeMs: 200,
    maxRetryTimeMs: 2000,
    produceAckTimeoutMs: 10_000,
    idempotentProducer: true,
    maxRecordBytes: 15 * 1024 * 1024,
    fetchMaxBytes: 16 * 1024 * 1024,
  };
}

/** Room on top of maxRecordBytes for Kafka's record and batch framing and headers. */
const FRAMING_BYTES = 64 * 1024;
/** Per-record framing counted when cutting a produce into sends that fit max.message.bytes. */
const RECORD_OVERHEAD_BYTES = 128;

/**
 * The ingest log on Kafka (kafkajs 2.2.4). Producer: acks=all, idempotent, the partition chosen by
 * the record, the tenant in a `tenant` header. Consumer: no consumer-group membership; it fetches
 * its one partition directly and commits offsets to the group with generation -1 ("standalone"
 * commits), like Mimir's ingest-storage reader. See README.md for why and how.
 */
export class KafkaIngestLog implements IngestLog {
  readonly kafka: Kafka;
  private readonly logger: Logger;
  private readonly metrics: IngestMetrics;
  private admin: { client: Admin; ready: Promise<void> } | undefined;
  private partitionCount = 0;
  private readonly producers = new Set<KafkaProducer>();
  private readonly consumers = new Set<KafkaConsumer>();
  private closed = false;

  constructor(
    readonly config: KafkaIngestLogConfig,
    logger: Logger,
    registry: Registry,
  ) {
    this.logger = logger.with({ ingest_log: 'kafka', topic: config.topic });
    this.metrics = new IngestMetrics(registry);
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      connectionTimeout: config.connectionTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      retry: {
        retries: config.retries,
        initialRetryTime: config.initialRetryTimeMs,
        maxRetryTime: config.maxRetryTimeMs,
      },
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
    });
  }

  producer(): IngestProducer {
    const producer = new KafkaProducer(this, this.metrics, this.logger);
    this.producers.add(producer);
    return producer;
  }

  consumer(partition: number, consumerGroup: string): IngestConsumer {
    const consumer = new KafkaConsumer(this, partition, consumerGroup, this.metrics, this.logger);
    this.consumers.add(consumer);
    return consumer;
  }

  async ensureTopic(partitions: number): Promise<void> {
    validatePartitionCount(partitions);
    const { topic } = this.config;
    await this.withAdmin('create or grow', async (admin) => {
      // Look first: CreateTopics on an existing topic works but makes kafkajs log an error.
      let existing: number;
      try {
        existing = await this.fetchPartitionCount(admin);
      } catch {
        // Listed but not yet in the broker's metadata ("does not host this topic-partition"): a
        // peer of a new cluster created it a moment ago. Wait for it to settle.
        existing = await this.settledPartitionCount(admin);
      }
      if (existing === 0) {
        const created = await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic,
              numPartitions: partitions,
              replicationFactor: this.config.replicationFactor,
              configEntries: [{ name: 'max.message.bytes', value: String(this.config.maxRecordBytes + FRAMING_BYTES) }],
            },
          ],
        });
        if (created) {
          this.logger.info('created ingest topic', { partitions });
          return;
        }
        // Created concurrently by another process (every process of a new cluster starts at
        // once): the broker's metadata may not show it for a moment.
        existing = await this.settledPartitionCount(admin);
      }
      if (existing < partitions) {
        try {
          await admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] });
        } catch (err) {
          // Grown concurrently to `partitions` or more: Kafka refuses a count that is not larger.
          if ((await this.settledPartitionCount(admin)) < partitions) throw err;
          return;
        }
        this.logger.info('added partitions to ingest topic', { from: existing, to: partitions });
      }
    });
    this.partitionCount = Math.max(this.partitionCount, partitions);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.producers].map((p) => p.close()));
    await Promise.all([...this.consumers].map((c) => c.close()));
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await admin.client.disconnect().catch(() => undefined);
  }

  // ---- internal API of producers and consumers (not exported from the lib) ----

  isClosed(): boolean {
    return this.closed;
  }

  forget(member: KafkaProducer | KafkaConsumer): void {
    if (member instanceof KafkaProducer) this.producers.delete(member);
    else this.consumers.delete(member);
  }

  /**
   * Fails unless every partition exists. kafkajs silently skips messages for a partition missing
   * from its metadata (and still resolves the send), so this check is what keeps such a produce
   * from being acknowledged.
   */
  async checkPartitions(records: readonly IngestRecord[]): Promise<void> {
    let max = -1;
    for (const r of records) max = Math.max(max, r.partition);
    if (max < this.partitionCount) return;
    this.partitionCount = await this.withAdmin('read the metadata of', (admin) =>
      this.fetchPartitionCount(admin),
    );
    if (max >= this.partitionCount) {
      throw new UnavailableError(
        'unknown_partition',
        `ingest partition ${max} does not exist: Kafka topic "${this.config.topic}" has ${this.partitionCount} partitions; create them with ensureTopic`,
      );
    }
  }

  /** The topic's partition count; 0 when the topic does not exist. */
  private async fetchPartitionCount(admin: Admin): Promise<number> {
    // listTopics first: metadata for a missing topic is an error response kafkajs logs as such.
    if (!(await admin.listTopics()).includes(this.config.topic)) return 0;
    const { topics } = await admin.fetchTopicMetadata({ topics: [this.config.topic] });
    return topics.find((t) => t.name === this.config.topic)?.partitions.length ?? 0;
  }

  /**
   * The partition count of a topic that exists but may be too new for the broker's metadata
   * (kafkajs then answers 0 partitions or "does not host this topic-partition"): asked again every
   * 200 ms for up to `waitMs`.
   */
  private async settledPartitionCount(admin: Admin, waitMs = 10_000): Promise<number> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        const n = await this.fetchPartitionCount(admin);
        if (n > 0 || Date.now() >= deadline) return n;
      } catch (err) {
        if (Date.now() >= deadline) throw err;
      }
      await sleep(200);
    }
  }

  private async withAdmin<T>(what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    if (this.closed) throw closedError('log');
    let admin = this.admin;
    if (!admin) {
      const client = this.kafka.admin();
      admin = this.admin = { client, ready: client.connect() };
      admin.ready.catch(() => undefined);
    }
    try {
      await admin.ready;
    } catch (err) {
      // Never connected: the next call starts over with a new admin client.
      if (this.admin === admin) this.admin = undefined;
      void admin.client.disconnect().catch(() => undefined);
      throw unavailable(this.config, what, err);
    }
    try {
      return await fn(admin.client);
    } catch (err) {
      if (err instanceof PanoptesError) throw err;
      throw unavailable(this.config, what, err);
    }
  }
}

interface PendingProduce {
  records: readonly IngestRecord[];
  resolve: (results: ProduceResult[]) => void;
  reject: (err: unknown) => void;
}

/**
 * Produce calls that arrive while a send is in flight are sent together in the next one (kafkajs
 * sends one request per broker at a time for an idempotent producer anyway), cut so that no
 * partition's batch exceeds the topic's max.message.bytes.
 *
 * After a failed send the kafkajs producer is thrown away and the next send uses a new one (a new
 * producer id). A send that failed may still have been appended by the broker; reusing the old
 * producer's sequence numbers for different records would make the broker take those records for
 * duplicates of the failed ones and drop them while acknowledging them.
 */
class KafkaProducer implements IngestProducer {
  private client: { producer: Producer; ready: Promise<void> } | undefined;
  private pending: PendingProduce[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly log: KafkaIngestLog,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
  ) {}

  produce(records: readonly IngestRecord[]): Promise<ProduceResult[]> {
    return this.metrics.observeProduce(records.length, async () => {
      if (this.closed || this.log.isClosed()) throw closedError('producer');
      for (const record of records) validateRecord(record, this.log.config.maxRecordBytes);
      if (records.length === 0) return [];
      await this.log.checkPartitions(records);
      if (this.closed) throw closedError('producer');
      return new Promise<ProduceResult[]>((resolve, reject) => {
        this.pending.push({ records, resolve, reject });
        this.draining ??= this.drain().finally(() => {
          this.draining = undefined;
        });
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.draining;
    this.log.forget(this);
    const client = this.client;
    this.client = undefined;
    if (client) await client.producer.disconnect().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      await this.sendAll(batch);
    }
  }

  private async sendAll(batch: PendingProduce[]): Promise<void> {
    const results = batch.map((req) => new Array<ProduceResult>(req.records.length));
    const errors = new Map<number, unknown>();
    let failure: unknown;
    for (const chunk of chunks(batch, this.log.config.maxRecordBytes)) {
      if (failure === undefined) {
        try {
          const offsets = await this.send(chunk.map((c) => batch[c.req].records[c.index]));
          chunk.forEach((c, i) => {
            results[c.req][c.index] = { partition: batch[c.req].records[c.index].partition, offset: offsets[i] };
          });
          continue;
        } catch (err) {
          failure = err;
        }
      }
      for (const c of chunk) errors.set(c.req, failure);
    }
    batch.forEach((req, i) => (errors.has(i) ? req.reject(errors.get(i)) : req.resolve(results[i])));
  }

  /** Sends records with acks=all; resolves to each record's offset. */
  private async send(records: IngestRecord[]): Promise<number[]> {
    const { config } = this.log;
    const client = this.connect();
    try {
      await client.ready;
      const metadata = await client.producer.send({
        topic: config.topic,
        acks: -1,
        timeout: config.produceAckTimeoutMs,
        messages: records.map(toMessage),
      });
      // kafkajs keeps the order of a partition's messages; they got baseOffset, baseOffset + 1, …
      const next = new Map<number, number>();
      for (const m of metadata) next.set(m.partition, toOffset(m.baseOffset ?? m.offset));
      return records.map((r) => {
        const offset = next.get(r.partition);
        if (offset === undefined) {
          throw new Error(`Kafka acknowledged no offset for partition ${r.partition}`);
        }
        next.set(r.partition, offset + 1);
        return offset;
      });
    } catch (err) {
      this.discard(client);
      const type = (err as { type?: string }).type;
      if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') {
        throw new TooLargeError(
          'ingest_record_too_large',
          `Kafka topic "${config.topic}" refused a batch as too large (${errorMessage(err)}); raise the topic's max.message.bytes above the ingest max record size`,
          { cause: err },
        );
      }
      throw unavailable(config, 'write to', err);
    }
  }

  private connect(): { producer: Producer; ready: Promise<void> } {
    if (!this.client) {
      const { config } = this.log;
      const producer = this.log.kafka.producer({
        idempotent: config.idempotentProducer,
        maxInFlightRequests: config.idempotentProducer ? 1 : undefined,
        allowAutoTopicCreation: false,
        // Every record names its partition, so the partitioner never runs; naming one explicitly
        // silences kafkajs's warning about its v2 default partitioner.
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: {
          retries: Math.max(config.retries, config.idempotentProducer ? 1 : 0),
          initialRetryTime: config.initialRetryTimeMs,
          maxRetryTime: config.maxRetryTimeMs,
        },
      });
      const ready = producer.connect();
      ready.catch(() => undefined);
      this.client = { producer, ready };
    }
    return this.client;
  }

  private discard(client: { producer: Producer }): void {
    if (this.client === client) this.client = undefined;
    void client.producer.disconnect().catch((err: unknown) => {
      this.logger.debug('could not disconnect failed Kafka producer', { err });
    });
  }
}

/**
 * Cuts the records of a batch of produce calls into sends of at most `maxSendBytes`, so that no
 * partition's record batch exceeds the topic's max.message.bytes and no request nears the broker's
 * socket.request.max.bytes. A record alone always fits (validateRecord).
 */
function chunks(batch: PendingProduce[], maxSendBytes: number): { req: number; index: number }[][] {
  const out: { req: number; index: number }[][] = [];
  let current: { req: number; index: number }[] = [];
  let bytes = 0;
  batch.forEach((req, r) =>
    req.records.forEach((record, index) => {
      const size = record.value.length + (record.key?.length ?? 0) + record.tenant.length + RECORD_OVERHEAD_BYTES;
      if (current.length > 0 && bytes + size > maxSendBytes) {
        out.push(current);
        current = [];
        bytes = 0;
      }
      current.push({ req: r, index });
      bytes += size;
    }),
  );
  if (current.length > 0) out.push(current);
  return out;
}

function toMessage(r: IngestRecord): Message {
  return {
    partition: r.partition,
    key: r.key ?? null,
    value: r.value,
    timestamp: String(Math.trunc(r.timestampMs)),
    headers: { [TENANT_HEADER]: r.tenant },
  };
}

function toOffset(value: string | undefined): number {
  const offset = Number(value);
  if (value === undefined || !Number.isSafeInteger(offset)) {
    throw new Error(`Kafka returned offset ${String(value)}, which is not a safe integer`);
  }
  return offset;
}

/** kafkajs's error for a fetch at an offset the partition does not have (any more). */
const OFFSET_OUT_OF_RANGE = 'KafkaJSOffsetOutOfRange';
const FIRST_BACKOFF_MS = 100;
const FETCH_GRACE_MS = 500;
const MAX_BACKOFF_MS = 1000;

interface FetchOutcome {
  records: ConsumedRecord[];
  /** Where the next fetch starts: after the last record seen, control records included. */
  next: number;
  highWatermark: number;
}

/**
 * Reads one partition without joining a consumer group. Each poll is one or more Fetch requests
 * (long-polling on the broker up to the poll's wait) from the consumer's own position; commits are
 * OffsetCommit requests with generation -1 into `consumerGroup`, which nobody joins, so there is no
 * rebalancing and a restarted ingester resumes at once.
 *
 * A fetch still in flight when a poll is aborted is kept and reused by the next poll if the
 * position did not move, so an abort never loses or duplicates records.
 */
class KafkaConsumer implements IngestConsumer {
  private cluster: InternalCluster | undefined;
  private connecting: Promise<InternalCluster> | undefined;
  private next = -1;
  private buffered: ConsumedRecord[] = [];
  private inFlight: { offset: number; outcome: Promise<FetchOutcome> } | undefined;
  private highWater = 0;
  private closed = false;
  private polling = false;
  private readonly stopLag: () => void;

  constructor(
    private readonly log: KafkaIngestLog,
    readonly partition: number,
    readonly consumerGroup: string,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
  ) {
    this.stopLag = metrics.trackLag(() => (this.next < 0 ? 0 : Math.max(0, this.highWater - this.position())));
  }

  async start(from: StartPosition): Promise<void> {
    this.checkOpen();
    if (typeof from === 'number') validateOffset(from, 'start offset');
    await this.call('read the start offset of', async (cluster) => {
      await cluster.refreshMetadata();
      const partitions = cluster.findTopicPartitionMetadata(this.log.config.topic);
      if (!partitions.some((p) => p.partitionId === this.partition)) {
        throw new UnavailableError(
          'unknown_partition',
          `ingest partition ${this.partition} does not exist: Kafka topic "${this.log.config.topic}" has ${partitions.length} partitions; create them with ensureTopic`,
        );
      }
      const [earliest, end] = await Promise.all([this.listOffset(cluster, true), this.listOffset(cluster, false)]);
      this.highWater = end;
      if (from === 'earliest') this.next = earliest;
      else if (from === 'latest') this.next = end;
      else {
        const wanted = from === 'committed' ? await this.fetchCommitted(cluster) : from;
        this.next = wanted === undefined ? earliest : this.clamp(wanted, earliest, end);
      }
    });
    this.buffered = [];
    this.inFlight = undefined;
  }

  position(): number {
    return this.buffered.length > 0 ? this.buffered[0].offset : this.next;
  }

  async poll(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<ConsumedRecord[]> {
    this.checkOpen();
    validatePoll(maxRecords, maxWaitMs);
    if (this.next < 0) throw notStartedError();
    if (this.polling) throw concurrentPollError();
    this.polling = true;
    try {
      return await this.pollLoop(maxRecords, maxWaitMs, signal);
    } finally {
      this.polling = false;
    }
  }

  private async pollLoop(maxRecords: number, maxWaitMs: number, signal?: AbortSignal): Promise<ConsumedRecord[]> {
    const deadline = Date.now() + maxWaitMs;
    let backoff = FIRST_BACKOFF_MS;
    for (;;) {
      if (this.buffered.length > 0) return this.take(maxRecords);
      if (this.closed || signal?.aborted) return [];
      const remaining = Math.max(0, deadline - Date.now());
      try {
        // The grace lets a fetch answer at its own deadline; a fetch reused from an aborted poll
        // may wait longer than this poll wants, and is left in flight for the next one.
        const outcome = await within(this.fetch(remaining), remaining + FETCH_GRACE_MS, signal);
        if (outcome === undefined) return [];
        this.inFlight = undefined;
        this.highWater = outcome.highWatermark;
        this.buffered = outcome.records;
        this.next = outcome.next;
        backoff = FIRST_BACKOFF_MS;
        if (this.buffered.length > 0) return this.take(maxRecords);
        if (Date.now() >= deadline) return [];
      } catch (err) {
        this.inFlight = undefined;
        if (this.closed) return [];
        if ((err as { name?: string }).name === OFFSET_OUT_OF_RANGE) {
          await this.resetOutOfRange().catch((resetErr: unknown) => {
            throw unavailable(this.log.config, 'read the offsets of', resetErr);
          });
          continue;
        }
        if (err instanceof PanoptesError || Date.now() + backoff >= deadline) {
          throw err instanceof PanoptesError ? err : unavailable(this.log.config, 'read from', err);
        }
        this.logger.debug('ingest fetch failed; retrying', { partition: this.partition, err });
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        await this.cluster?.refreshMetadata().catch(() => undefined);
      }
    }
  }

  async commit(nextOffset: number): Promise<void> {
    this.checkOpen();
    validateOffset(nextOffset, 'committed offset');
    const { topic } = this.log.config;
    await this.call('commit an offset to', async (cluster) => {
      const coordinator = await cluster.findGroupCoordinator({ groupId: this.consumerGroup });
      await coordinator.offsetCommit({
        groupId: this.consumerGroup,
        groupGenerationId: -1,
        memberId: '',
        topics: [{ topic, partitions: [{ partition: this.partition, offset: String(nextOffset) }] }],
      });
    });
  }

  async committedOffset(): Promise<number | undefined> {
    this.checkOpen();
    return this.call('read the committed offset from', (cluster) => this.fetchCommitted(cluster));
  }

  async highWatermark(): Promise<number> {
    this.checkOpen();
    const end = await this.call('read the end offset of', (cluster) => this.listOffset(cluster, false));
    this.highWater = end;
    return end;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopLag();
    this.log.forget(this);
    const cluster = this.cluster ?? (await this.connecting?.catch(() => undefined));
    this.cluster = undefined;
    if (cluster) await cluster.disconnect().catch(() => undefined);
  }

  // ---- internals ----

  private take(maxRecords: number): ConsumedRecord[] {
    const batch = this.buffered.length <= maxRecords ? this.buffered : this.buffered.slice(0, maxRecords);
    this.buffered = this.buffered.length <= maxRecords ? [] : this.buffered.slice(maxRecords);
    this.metrics.consumedRecords.inc(batch.length);
    return batch;
  }

  /**
   * The fetch from the current fetch position: the one still in flight from an earlier, aborted
   * poll if it started there, else a new one. `next` is the fetch position: after the buffered
   * records, which `position()` accounts for.
   */
  private fetch(maxWaitMs: number): Promise<FetchOutcome> {
    if (this.inFlight && this.inFlight.offset === this.next) return this.inFlight.outcome;
    const offset = this.next;
    const outcome = this.fetchOnce(offset, maxWaitMs);
    outcome.catch(() => undefined);
    this.inFlight = { offset, outcome };
    return outcome;
  }

  private async fetchOnce(offset: number, maxWaitMs: number): Promise<FetchOutcome> {
    const { topic, fetchMaxBytes } = this.log.config;
    const cluster = await this.connect();
    const leaders = cluster.findLeaderForPartitions(topic, [this.partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) throw Object.assign(new Error('no leader known for the partition'), { retriable: true });
    const broker = await cluster.findBroker({ nodeId });
    const { responses } = await broker.fetch({
      isolationLevel: READ_UNCOMMITTED,
      maxWaitTime: Math.ceil(maxWaitMs),
      minBytes: 1,
      maxBytes: fetchMaxBytes,
      topics: [{ topic, partitions: [{ partition: this.partition, fetchOffset: String(offset), maxBytes: fetchMaxBytes }] }],
    });
    const data = responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === this.partition);
    const highWatermark = data ? toOffset(data.highWatermark) : this.highWater;
    const records: ConsumedRecord[] = [];
    let next = offset;
    for (const message of data?.messages ?? []) {
      const at = toOffset(message.offset);
      // A fetch returns whole record batches, which may start before the offset asked for.
      if (at < next) continue;
      next = at + 1;
      if (message.isControlRecord) continue;
      const record = this.toRecord(message, at);
      if (record) records.push(record);
    }
    return { records, next, highWatermark };
  }

  private toRecord(message: FetchedMessage, offset: number): ConsumedRecord | undefined {
    const header = message.headers[TENANT_HEADER];
    const tenant = (Array.isArray(header) ? header[0] : header)?.toString();
    if (!tenant) {
      this.logger.warn('skipping ingest record without tenant header', { partition: this.partition, offset });
      return undefined;
    }
    return {
      partition: this.partition,
      tenant,
      ...(message.key ? { key: message.key } : {}),
      value: message.value ?? Buffer.alloc(0),
      offset,
      timestampMs: Number(message.timestamp),
    };
  }

  /** After OffsetOutOfRange: the data at our position is gone (retention) or not there (lost). */
  private async resetOutOfRange(): Promise<void> {
    const cluster = await this.connect();
    const [earliest, end] = await Promise.all([this.listOffset(cluster, true), this.listOffset(cluster, false)]);
    const from = this.next;
    this.next = this.clamp(from, earliest, end);
    if (this.next === from) this.next = earliest;
  }

  private clamp(offset: number, earliest: number, end: number): number {
    const clamped = clampOffset(offset, earliest, end);
    if (clamped !== offset) {
      this.logger.warn('ingest consumer offset out of range; clamped', {
        partition: this.partition,
        group: this.consumerGroup,
        requested: offset,
        start: clamped,
        earliest,
        end,
      });
    }
    return clamped;
  }

  private async listOffset(cluster: InternalCluster, earliest: boolean): Promise<number> {
    const [result] = await cluster.fetchTopicsOffset([
      { topic: this.log.config.topic, partitions: [{ partition: this.partition }], fromBeginning: earliest },
    ]);
    return toOffset(result?.partitions.find((p) => p.partition === this.partition)?.offset);
  }

  private async fetchCommitted(cluster: InternalCluster): Promise<number | undefined> {
    const { topic } = this.log.config;
    const coordinator = await cluster.findGroupCoordinator({ groupId: this.consumerGroup });
    const { responses } = await coordinator.offsetFetch({
      groupId: this.consumerGroup,
      topics: [{ topic, partitions: [{ partition: this.partition }] }],
    });
    const offset = responses.find((r) => r.topic === topic)?.partitions.find((p) => p.partition === this.partition)?.offset;
    // -1: the group has no committed offset for this partition.
    return offset === undefined || offset === '-1' ? undefined : toOffset(offset);
  }

  /** Runs a request with one retry after a metadata refresh; failures become UnavailableError. */
  private async call<T>(what: string, fn: (cluster: InternalCluster) => Promise<T>): Promise<T> {
    try {
      const cluster = await this.connect();
      try {
        return await fn(cluster);
      } catch (err) {
        if (err instanceof PanoptesError) throw err;
        await cluster.refreshMetadata().catch(() => undefined);
        return await fn(cluster);
      }
    } catch (err) {
      if (err instanceof PanoptesError) throw err;
      throw unavailable(this.log.config, what, err);
    }
  }

  private connect(): Promise<InternalCluster> {
    if (this.cluster) return Promise.resolve(this.cluster);
    this.connecting ??= (async () => {
      const cluster = createInternalCluster(this.log.kafka);
      try {
        await cluster.connect();
        await cluster.addTargetTopic(this.log.config.topic);
      } catch (err) {
        await cluster.disconnect().catch(() => undefined);
        throw err;
      }
      if (this.closed) {
        await cluster.disconnect().catch(() => undefined);
        throw closedError('consumer');
      }
      this.cluster = cluster;
      return cluster;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private checkOpen(): void {
    if (this.closed || this.log.isClosed()) throw closedError('consumer');
  }
}

/** The promise's outcome, or undefined once `ms` passed or the signal aborted, whichever is first. */
function within<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T | undefined> {
  if (signal?.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => settle(() => resolve(undefined)), ms);
    const onAbort = () => settle(() => resolve(undefined));
    signal?.addEventListener('abort', onAbort, { once: true });
    function settle(action: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      action();
    }
    promise.then(
      (value) => settle(() => resolve(value)),
      (err: unknown) => settle(() => reject(err)),
    );
  });
}


function unavailable(config: KafkaIngestLogConfig, what: string, err: unknown): PanoptesError {
  return new UnavailableError(
    'ingest_log_unavailable',
    `could not ${what} Kafka topic "${config.topic}" at ${config.brokers.join(',')}: ${errorMessage(err)}; nothing was acknowledged, retry later`,
    { cause: err },
  );
}

function closedError(what: 'log' | 'producer' | 'consumer'): PanoptesError {
  return new UnavailableError('ingest_log_closed', `the Kafka ingest ${what} is closed; the write or read was not done`);
}
