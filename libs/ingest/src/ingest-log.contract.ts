import { UnavailableError, ValidationError } from '@panoptes/common';
import { uniqueName } from '@panoptes/testing';
import { ConsumedRecord, IngestConsumer, IngestLog, IngestRecord, StartPosition } from './ingest-log';

/**
 * The behaviour every IngestLog implementation must have, run by each implementation's spec
 * (test-only; not exported from the lib).
 */
export interface IngestLogHarness {
  /**
   * Opens a log over the named storage (in-process: a WAL directory; Kafka: a topic). Opening the
   * same name again after the previous log was closed must see the same data and offsets.
   */
  open(storage: string): Promise<IngestLog>;
  /** A log that cannot take writes (closed, or pointed at a broker that is not there). */
  unavailable(): Promise<IngestLog>;
}

const PARTITIONS = 3;
const TEST_TIMEOUT_MS = 30_000;

export function runIngestLogContract(name: string, harness: IngestLogHarness): void {
  describe(`${name} (IngestLog contract)`, () => {
    const opened: IngestLog[] = [];

    afterEach(async () => {
      for (const log of opened.splice(0)) await log.close().catch(() => undefined);
    });

    async function openLog(storage = uniqueName('ingest')): Promise<IngestLog> {
      const log = await harness.open(storage);
      opened.push(log);
      await log.ensureTopic(PARTITIONS);
      return log;
    }

    function record(partition: number, i: number, extra: Partial<IngestRecord> = {}): IngestRecord {
      return { partition, tenant: `tenant-${i % 2}`, value: Buffer.from(`value-${i}`), timestampMs: 1_700_000_000_000 + i, ...extra };
    }

    async function started(log: IngestLog, partition: number, from: StartPosition, group = uniqueName('group')) {
      const consumer = log.consumer(partition, group);
      await consumer.start(from);
      return consumer;
    }

    it(
      'produces to several partitions; each partition is consumed in offset order with its tenant, key, value and timestamp',
      async () => {
        const log = await openLog();
        const producer = log.producer();
        const records = Array.from({ length: 30 }, (_, i) =>
          record(i % PARTITIONS, i, i % 3 === 0 ? { key: Buffer.from(`key-${i}`) } : {}),
        );
        const results = await producer.produce(records);

        // Results follow the input order; each partition numbers its records 0, 1, 2, …
        expect(results).toEqual(records.map((r, i) => ({ partition: r.partition, offset: Math.floor(i / PARTITIONS) })));
        for (let p = 0; p < PARTITIONS; p++) {
          const consumer = await started(log, p, 'earliest');
          const got = await consume(consumer, 10);
          const want = records.filter((r) => r.partition === p);
          expect(got.map(describeRecord)).toEqual(want.map((r, offset) => describeRecord({ ...r, offset })));
          expect(consumer.position()).toBe(10);
        }
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'a consumer only sees the records of its own partition',
      async () => {
        const log = await openLog();
        await log.producer().produce([record(0, 0), record(1, 1), record(2, 2), record(1, 3), record(0, 4)]);
        const consumer = await started(log, 1, 'earliest');
        const got = await consume(consumer, 2);
        expect(got.map((r) => [r.partition, r.offset, r.value.toString()])).toEqual([
          [1, 0, 'value-1'],
          [1, 1, 'value-3'],
        ]);
        expect(await consumer.poll(10, 300)).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it.each<{ name: string; from: StartPosition; first: number }>([
      { name: "'earliest' reads from the first record", from: 'earliest', first: 0 },
      { name: "'latest' reads only records produced after start", from: 'latest', first: 5 },
      { name: 'an offset reads from that offset', from: 3, first: 3 },
      { name: "'committed' reads from the start when the group never committed", from: 'committed', first: 0 },
      { name: 'an offset past the end is clamped to the end', from: 1000, first: 5 },
    ])(
      'start: $name',
      async ({ from, first }) => {
        const log = await openLog();
        const producer = log.producer();
        await producer.produce(Array.from({ length: 5 }, (_, i) => record(0, i)));
        const consumer = await started(log, 0, from);
        expect(consumer.position()).toBe(first);
        await producer.produce([record(0, 5), record(0, 6)]);
        const got = await consume(consumer, 7 - first);
        expect(got.map((r) => r.offset)).toEqual(range(first, 7));
        expect(got.map((r) => r.value.toString())).toEqual(range(first, 7).map((i) => `value-${i}`));
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'poll returns an empty batch after maxWaitMs when nothing arrives',
      async () => {
        const log = await openLog();
        const consumer = await started(log, 0, 'earliest');
        const began = Date.now();
        expect(await consumer.poll(10, 300)).toEqual([]);
        expect(Date.now() - began).toBeGreaterThanOrEqual(250);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'poll returns as soon as a record is produced during its wait, long before maxWaitMs',
      async () => {
        const log = await openLog();
        const consumer = await started(log, 2, 'latest');
        const began = Date.now();
        const polled = consumer.poll(10, 20_000);
        await sleep(200);
        await log.producer().produce([record(2, 42)]);
        const got = await polled;
        expect(got.map((r) => r.value.toString())).toEqual(['value-42']);
        expect(Date.now() - began).toBeLessThan(10_000);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'poll returns an empty batch at once when its signal aborts',
      async () => {
        const log = await openLog();
        const consumer = await started(log, 0, 'latest');
        const abort = new AbortController();
        const began = Date.now();
        const polled = consumer.poll(10, 20_000, abort.signal);
        setTimeout(() => abort.abort(), 100);
        expect(await polled).toEqual([]);
        expect(Date.now() - began).toBeLessThan(10_000);
        // The consumer is still usable after an aborted poll, and loses nothing.
        await log.producer().produce([record(0, 7)]);
        expect((await consume(consumer, 1)).map((r) => r.offset)).toEqual([0]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'commit stores the next offset to read per group and partition; committedOffset returns it',
      async () => {
        const log = await openLog();
        await log.producer().produce(Array.from({ length: 6 }, (_, i) => record(0, i)));
        const group = uniqueName('group');
        const consumer = await started(log, 0, 'committed', group);
        expect(await consumer.committedOffset()).toBeUndefined();
        await consumer.commit(3);
        expect(await consumer.committedOffset()).toBe(3);
        await consumer.commit(6);
        expect(await consumer.committedOffset()).toBe(6);

        const otherGroup = await started(log, 0, 'committed');
        expect(await otherGroup.committedOffset()).toBeUndefined();
        const otherPartition = await started(log, 1, 'committed', group);
        expect(await otherPartition.committedOffset()).toBeUndefined();
        const resumed = await started(log, 0, 'committed', group);
        expect(resumed.position()).toBe(6);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'highWatermark is the offset the next record will get',
      async () => {
        const log = await openLog();
        const consumer = await started(log, 1, 'earliest');
        expect(await consumer.highWatermark()).toBe(0);
        await log.producer().produce([record(1, 0), record(1, 1), record(0, 2)]);
        expect(await consumer.highWatermark()).toBe(2);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'restart: a consumer resumes from the committed offset after the whole log was closed and reopened, nothing lost, nothing skipped',
      async () => {
        const storage = uniqueName('ingest');
        const group = uniqueName('ingester');
        const first = await openLog(storage);
        await produceNumbered(first, 0, 1000);
        const consumer = first.consumer(0, group);
        await consumer.start('committed');
        const read = await consume(consumer, 400);
        expect(read.map((r) => r.offset)).toEqual(range(0, 400));
        await consumer.commit(400);
        await consumer.close();
        await first.close();

        const second = await openLog(storage);
        await produceNumbered(second, 1000, 2000);
        const resumed = second.consumer(0, group);
        await resumed.start('committed');
        expect(resumed.position()).toBe(400);
        const rest = await consume(resumed, 1600);
        expect(rest.map((r) => r.offset)).toEqual(range(400, 2000));
        expect(rest.map((r) => r.value.toString())).toEqual(range(400, 2000).map((i) => `n-${i}`));
        expect(await resumed.poll(100, 200)).toEqual([]);
      },
      TEST_TIMEOUT_MS * 2,
    );

    it(
      'a 1 MB record round-trips unchanged',
      async () => {
        const log = await openLog();
        const value = Buffer.alloc(1024 * 1024);
        for (let i = 0; i < value.length; i += 4) value.writeUInt32LE((i * 2654435761) >>> 0, i);
        const [result] = await log.producer().produce([{ partition: 1, tenant: 'big', value, timestampMs: 1 }]);
        expect(result).toEqual({ partition: 1, offset: 0 });
        const consumer = await started(log, 1, 'earliest');
        const [got] = await consume(consumer, 1);
        expect(got.tenant).toBe('big');
        expect(got.value.equals(value)).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'produce rejects a record without a tenant with ValidationError and stores nothing',
      async () => {
        const log = await openLog();
        const producer = log.producer();
        await expect(producer.produce([record(0, 0), { ...record(0, 1), tenant: '' }])).rejects.toBeInstanceOf(
          ValidationError,
        );
        const consumer = await started(log, 0, 'earliest');
        expect(await consumer.highWatermark()).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'produce rejects with UnavailableError when the log cannot take writes',
      async () => {
        const log = await harness.unavailable();
        opened.push(log);
        await expect(log.producer().produce([record(0, 0)])).rejects.toBeInstanceOf(UnavailableError);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'a closed producer rejects with UnavailableError',
      async () => {
        const log = await openLog();
        const producer = log.producer();
        await producer.produce([record(0, 0)]);
        await producer.close();
        await expect(producer.produce([record(0, 1)])).rejects.toBeInstanceOf(UnavailableError);
      },
      TEST_TIMEOUT_MS,
    );

    async function produceNumbered(log: IngestLog, from: number, to: number): Promise<void> {
      const producer = log.producer();
      for (let start = from; start < to; start += 250) {
        const batch = range(start, Math.min(start + 250, to)).map((i) => record(0, i, { value: Buffer.from(`n-${i}`) }));
        await producer.produce(batch);
      }
    }
  });
}

/** Polls until exactly `n` records arrived (never asking for more), or fails after `timeoutMs`. */
export async function consume(consumer: IngestConsumer, n: number, timeoutMs = 15_000): Promise<ConsumedRecord[]> {
  const got: ConsumedRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < n) {
    if (Date.now() > deadline) {
      throw new Error(`consumed ${got.length} of ${n} records of partition ${consumer.partition} within ${timeoutMs} ms`);
    }
    got.push(...(await consumer.poll(n - got.length, 500)));
  }
  return got;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function describeRecord(r: IngestRecord) {
  return {
    partition: r.partition,
    offset: r.offset,
    tenant: r.tenant,
    key: r.key?.toString(),
    value: r.value.toString(),
    timestampMs: r.timestampMs,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
