import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import type { IngestProducer, IngestRecord, ProduceResult } from '@panoptes/ingest';
import { compressSnappy, decodeIngestRecordValue, encodeWriteRequestV1, RemoteWriteDecoder, tenantHashSeed } from '@panoptes/proto';
import { PartitionRing, type PartitionRingDesc } from '@panoptes/ring';
import { IngestLogSink } from './series-sink';

/** Keeps what was produced, as the log would store it. */
class RecordingProducer implements IngestProducer {
  readonly records: IngestRecord[] = [];
  async produce(records: readonly IngestRecord[]): Promise<ProduceResult[]> {
    return records.map((r) => ({ partition: r.partition, offset: this.records.push(r) - 1 }));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function ringOf(partitions: number): PartitionRing {
  const desc: PartitionRingDesc = { partitions: {}, owners: {} };
  for (let p = 0; p < partitions; p++) desc.partitions[p] = { state: 'ACTIVE', stateChangedAtMs: 0 };
  return PartitionRing.fromDesc(desc);
}

const TENANT = 'team-a';
const body = encodeWriteRequestV1({
  timeseries: Array.from({ length: 40 }, (_, i) => ({
    labels: [
      { name: '__name__', value: 'http_requests_total' },
      { name: 'pod', value: `pod-${i}` },
    ],
    samples: [{ timestamp: 1_700_000_000_000 + i, value: i }],
  })),
});
const snappy = compressSnappy(body);

async function write(compressRecords: boolean, partitions: number, unchanged: boolean, keepClientCompression = false): Promise<IngestRecord[]> {
  const producer = new RecordingProducer();
  const sink = new IngestLogSink({ compressRecords, keepClientCompression }, producer, () => ringOf(partitions), new FakeClock(0), new Registry());
  const req = new RemoteWriteDecoder().decode(body, 1, tenantHashSeed(TENANT));
  const all = Uint32Array.from({ length: req.seriesCount }, (_, i) => i);
  await sink.write(TENANT, req, all, all.length, unchanged ? body : undefined, unchanged ? snappy : undefined);
  return producer.records;
}

/** Every series string of the records, decoded the way the ingester decodes them. */
function seriesOf(records: IngestRecord[]): string[] {
  const decoder = new RemoteWriteDecoder();
  return records.flatMap((r) => {
    const { version, body: b } = decodeIngestRecordValue(r.value);
    const req = decoder.decode(b, version);
    return Array.from({ length: req.seriesCount }, (_, s) => `${req.seriesString(s)} ${req.timestamps[req.seriesSampleStart[s]]} ${req.values[req.seriesSampleStart[s]]}`);
  });
}

describe('IngestLogSink record bodies', () => {
  const expected = seriesOf([{ partition: 0, tenant: TENANT, value: Buffer.concat([Buffer.from([1]), body]), timestampMs: 0 }]);

  it('with compressed records, forwards an unchanged request to one partition as the client compressed it (format 3)', async () => {
    const [record, ...rest] = await write(true, 1, true);
    expect(rest).toEqual([]);
    expect(record.value[0]).toBe(3);
    expect(record.value.subarray(1).equals(snappy)).toBe(true);
    expect(seriesOf([record])).toEqual(expected);
  });

  it('with compressed records, compresses the re-encoded subsets of a request spread over partitions', async () => {
    const records = await write(true, 4, true);
    expect(records.length).toBeGreaterThan(1);
    for (const r of records) expect(r.value[0]).toBe(3);
    expect(seriesOf(records).sort()).toEqual([...expected].sort());
  });

  it('with compressed records, compresses a changed request it cannot forward', async () => {
    const records = await write(true, 1, false);
    expect(records.map((r) => r.value[0])).toEqual([3]);
    expect(seriesOf(records)).toEqual(expected);
  });

  it('without compression, forwards the uncompressed body (format 1)', async () => {
    const [record] = await write(false, 1, true);
    expect(record.value[0]).toBe(1);
    expect(record.value.subarray(1).equals(body)).toBe(true);
  });

  it('keeping the client\'s compression, forwards an unchanged request as the client compressed it (format 3), with its decoded form attached', async () => {
    const [record, ...rest] = await write(false, 1, true, true);
    expect(rest).toEqual([]);
    expect(record.value[0]).toBe(3);
    expect(record.value.subarray(1).equals(snappy)).toBe(true);
    expect(record.attachment).toBeDefined();
    expect(seriesOf([record])).toEqual(expected);
  });

  it('keeping the client\'s compression, compresses nothing itself: a changed request or subsets go uncompressed (format 1)', async () => {
    const changed = await write(false, 1, false, true);
    expect(changed.map((r) => r.value[0])).toEqual([1]);
    expect(seriesOf(changed)).toEqual(expected);
    const spread = await write(false, 4, true, true);
    expect(spread.length).toBeGreaterThan(1);
    for (const r of spread) expect(r.value[0]).toBe(1);
    expect(seriesOf(spread).sort()).toEqual([...expected].sort());
  });
});
