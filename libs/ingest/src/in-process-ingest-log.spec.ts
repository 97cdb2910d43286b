import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { UnavailableError } from '@panoptes/common';
import { createLogger, nopLogger } from '@panoptes/log';
import { crc32, tableCrc32 } from './crc32';
import {
  InProcessIngestLog,
  InProcessIngestLogConfig,
  defaultInProcessIngestLogConfig,
} from './in-process-ingest-log';
import { consume, range, runIngestLogContract } from './ingest-log.contract';
import { IngestLog, IngestRecord } from './ingest-log';
import { writevFully } from './in-process-ingest-log';
import { segmentFileName } from './wal-segment';

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'panoptes-ingest-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function config(dir: string, overrides: Partial<InProcessIngestLogConfig> = {}): InProcessIngestLogConfig {
  return { ...defaultInProcessIngestLogConfig(), dir: path.join(root, dir), ...overrides };
}

runIngestLogContract('InProcessIngestLog', {
  open: async (storage) => new InProcessIngestLog(config(storage), nopLogger, new Registry()),
  unavailable: async () => {
    const log = new InProcessIngestLog(config(`closed-${Date.now()}`), nopLogger, new Registry());
    await log.ensureTopic(1);
    await log.close();
    return log;
  },
});

describe('InProcessIngestLog', () => {
  const logs: IngestLog[] = [];
  let seq = 0;

  afterEach(async () => {
    for (const log of logs.splice(0)) await log.close();
  });

  function open(dir: string, overrides: Partial<InProcessIngestLogConfig> = {}, logLines?: string[]) {
    const logger = logLines ? createLogger({ level: 'debug', sink: { write: (l) => logLines.push(l) } }) : nopLogger;
    const log = new InProcessIngestLog(config(dir, overrides), logger, new Registry());
    logs.push(log);
    return log;
  }

  async function closeLast(): Promise<void> {
    await logs.pop()!.close();
  }

  function rec(i: number, partition = 0): IngestRecord {
    return { partition, tenant: 't1', value: Buffer.from(`v${i}`), timestampMs: i };
  }

  async function values(log: IngestLog, partition = 0, n?: number): Promise<string[]> {
    const consumer = log.consumer(partition, `reader-${seq++}`);
    await consumer.start('earliest');
    const count = n ?? (await consumer.highWatermark()) - consumer.position();
    const got = await consume(consumer, count);
    await consumer.close();
    return got.map((r) => r.value.toString());
  }

  async function tailSegment(dir: string, partition = 0): Promise<string> {
    const partDir = path.join(root, dir, String(partition));
    const names = (await fs.readdir(partDir)).filter((n) => n.endsWith('.seg')).sort();
    return path.join(partDir, names[names.length - 1]);
  }

  it.each<{ name: string; damage: (file: string) => Promise<void>; kept: number }>([
    {
      name: 'garbage appended after the last record',
      damage: (file) => fs.appendFile(file, Buffer.from('not a record at all, just noise')),
      kept: 10,
    },
    { name: 'half an entry header', damage: (file) => fs.appendFile(file, Buffer.from([7, 0, 0])), kept: 10 },
    {
      name: 'the last record cut short',
      damage: async (file) => fs.truncate(file, (await fs.stat(file)).size - 3),
      kept: 9,
    },
    {
      name: 'a flipped byte in the last record (checksum mismatch)',
      damage: async (file) => {
        const bytes = await fs.readFile(file);
        bytes[bytes.length - 1] ^= 0xff;
        await fs.writeFile(file, bytes);
      },
      kept: 9,
    },
  ])('crash safety: $name is dropped on reopen, complete records stay, and offsets continue', async ({ damage, kept }) => {
    const dir = `torn-${seq++}`;
    const first = open(dir);
    await first.ensureTopic(1);
    for (let i = 0; i < 10; i++) await first.producer().produce([rec(i)]);
    await closeLast();
    await damage(await tailSegment(dir));

    const lines: string[] = [];
    const second = open(dir, {}, lines);
    expect(await values(second)).toEqual(range(0, kept).map((i) => `v${i}`));
    expect(lines.join('')).toMatch(/msg="truncated torn tail of ingest WAL segment".*dropped_bytes=\d+/);
    const [next] = await second.producer().produce([rec(100)]);
    expect(next).toEqual({ partition: 0, offset: kept });
    await closeLast();

    // The repaired file replays cleanly, the new record included.
    const third = open(dir, {}, lines.splice(0));
    expect(await values(third)).toEqual([...range(0, kept).map((i) => `v${i}`), 'v100']);
    expect(lines.join('')).not.toMatch(/torn tail/);
  });

  it('refuses to open when a segment other than the last is corrupt, naming the segment', async () => {
    const dir = `corrupt-${seq++}`;
    const log = open(dir, { segmentMaxBytes: 64 });
    await log.ensureTopic(1);
    for (let i = 0; i < 10; i++) await log.producer().produce([rec(i)]);
    await closeLast();
    const first = path.join(root, dir, '0', segmentFileName(0));
    const bytes = await fs.readFile(first);
    bytes[bytes.length - 1] ^= 0xff;
    await fs.writeFile(first, bytes);

    const reopened = open(dir);
    await expect(reopened.ensureTopic(1)).rejects.toThrow(/00000000000000000000\.seg is corrupt .*not the last segment/);
  });

  it('committed offsets survive a reopen, per group and partition', async () => {
    const dir = `offsets-${seq++}`;
    const first = open(dir);
    await first.ensureTopic(2);
    await first.producer().produce([rec(0), rec(1), rec(2, 1)]);
    await first.consumer(0, 'a').commit(2);
    await first.consumer(1, 'a').commit(1);
    await first.consumer(0, 'b').commit(1);
    await closeLast();

    const second = open(dir);
    await second.ensureTopic(2);
    const committed = async (p: number, g: string) => second.consumer(p, g).committedOffset();
    expect([await committed(0, 'a'), await committed(1, 'a'), await committed(0, 'b'), await committed(1, 'b')]).toEqual([
      2,
      1,
      1,
      undefined,
    ]);
    expect((await fs.readdir(path.join(root, dir))).sort()).toEqual(['0', '1', 'offsets.json']);
  });

  it('refuses to open when the offsets file is unreadable, saying how to recover', async () => {
    const dir = `bad-offsets-${seq++}`;
    await fs.mkdir(path.join(root, dir), { recursive: true });
    await fs.writeFile(path.join(root, dir, 'offsets.json'), '{"version":1,"groups":{"a":{"0":');
    await expect(open(dir).ensureTopic(1)).rejects.toThrow(/offsets.json is unreadable.*delete it/);
  });

  it('rolls segments at segmentMaxBytes and replays across them', async () => {
    const dir = `roll-${seq++}`;
    const log = open(dir, { segmentMaxBytes: 200 });
    await log.ensureTopic(1);
    for (let i = 0; i < 40; i++) await log.producer().produce([rec(i), rec(i + 1000)]);
    await closeLast();
    const segments = (await fs.readdir(path.join(root, dir, '0'))).sort();
    expect(segments.length).toBeGreaterThan(5);
    expect(segments[0]).toBe(segmentFileName(0));

    const reopened = open(dir);
    expect(await values(reopened)).toEqual(range(0, 40).flatMap((i) => [`v${i}`, `v${i + 1000}`]));
  });

  it('deletes consumed segments but always keeps the segment being written', async () => {
    const dir = `retention-${seq++}`;
    const log = open(dir, { segmentMaxBytes: 100 });
    await log.ensureTopic(1);
    for (let i = 0; i < 30; i++) await log.producer().produce([rec(i)]);
    const files = async () => (await fs.readdir(path.join(root, dir, '0'))).sort();
    const before = await files();
    expect(before.length).toBeGreaterThan(3);

    await log.consumer(0, 'only-group').commit(30);
    expect(await files()).toEqual(before.slice(-1));
    const [next] = await log.producer().produce([rec(30)]);
    expect(next.offset).toBe(30);
    expect(await values(log)).toEqual(range(Number(before[before.length - 1].slice(0, 20)), 31).map((i) => `v${i}`));
  });

  it('keeps the segments a slower group still needs, and a reader from earliest starts at what is retained', async () => {
    const dir = `retention2-${seq++}`;
    const log = open(dir, { segmentMaxBytes: 100 });
    await log.ensureTopic(1);
    for (let i = 0; i < 30; i++) await log.producer().produce([rec(i)]);
    const files = async () => (await fs.readdir(path.join(root, dir, '0'))).filter((n) => n.endsWith('.seg')).sort();
    const all = await files();
    const bases = all.map((n) => Number(n.slice(0, 20)));

    await log.consumer(0, 'slow').commit(bases[2]);
    await log.consumer(0, 'fast').commit(30);
    // Segments 0 and 1 end at or below "slow"'s offset; the rest are needed by it.
    expect(await files()).toEqual(all.slice(2));
    const reader = log.consumer(0, 'new');
    await reader.start('earliest');
    expect(reader.position()).toBe(bases[2]);
    expect(await values(log)).toEqual(range(bases[2], 30).map((i) => `v${i}`));

    await closeLast();
    const reopened = open(dir, { segmentMaxBytes: 100 });
    expect(await values(reopened)).toEqual(range(bases[2], 30).map((i) => `v${i}`));
  });

  it('never deletes segments when retention is off', async () => {
    const dir = `no-retention-${seq++}`;
    const log = open(dir, { segmentMaxBytes: 100, deleteConsumedSegments: false });
    await log.ensureTopic(1);
    for (let i = 0; i < 30; i++) await log.producer().produce([rec(i)]);
    const before = await fs.readdir(path.join(root, dir, '0'));
    await log.consumer(0, 'g').commit(30);
    expect(await fs.readdir(path.join(root, dir, '0'))).toEqual(before);
  });

  it('concurrent produce calls keep call order within a partition', async () => {
    const log = open(`group-commit-${seq++}`);
    await log.ensureTopic(2);
    const producer = log.producer();
    const results = await Promise.all(range(0, 50).map((i) => producer.produce([rec(i, i % 2), rec(i + 1000, 0)])));
    const offsetsOfP0 = results.flatMap((r) => r.filter((x) => x.partition === 0).map((x) => x.offset));
    expect(offsetsOfP0).toEqual(range(0, offsetsOfP0.length));
    expect(await values(log, 0)).toEqual(
      range(0, 50).flatMap((i) => (i % 2 === 0 ? [`v${i}`, `v${i + 1000}`] : [`v${i + 1000}`])),
    );
  });

  it('hands a record\'s attachment to the consumers of the same log object, never to a reader after a reopen', async () => {
    const dir = `attach-${seq++}`;
    const log = open(dir);
    await log.ensureTopic(1);
    const attachment = { decoded: 'v0 as the producer decoded it' };
    await log.producer().produce([{ ...rec(0), attachment }, rec(1)]);
    const consumer = log.consumer(0, 'g');
    await consumer.start('earliest');
    const [withIt, without] = await consume(consumer, 2);
    expect(withIt.attachment).toBe(attachment);
    expect(without.attachment).toBeUndefined();
    await closeLast();

    const reopened = open(dir);
    const again = reopened.consumer(0, 'g2');
    await again.start('earliest');
    const replayed = await consume(again, 2);
    expect(replayed.map((r) => [r.value.toString(), r.attachment])).toEqual([
      ['v0', undefined],
      ['v1', undefined],
    ]);
  });

  it('works with fsync off', async () => {
    const dir = `no-fsync-${seq++}`;
    const log = open(dir, { fsync: false });
    await log.ensureTopic(1);
    await log.producer().produce([rec(1), rec(2)]);
    await log.consumer(0, 'g').commit(1);
    await closeLast();
    const reopened = open(dir, { fsync: false });
    expect(await values(reopened)).toEqual(['v1', 'v2']);
    expect(await reopened.consumer(0, 'g').committedOffset()).toBe(1);
  });

  it('rejects produce to a partition the topic does not have, without writing anything', async () => {
    const log = open(`unknown-partition-${seq++}`);
    await log.ensureTopic(2);
    await expect(log.producer().produce([rec(1, 0), rec(2, 5)])).rejects.toThrow(/partition 5 does not exist/);
    expect(await log.consumer(0, 'g').highWatermark()).toBe(0);
  });

  it('a poll waiting when the log closes returns an empty batch, later calls reject as unavailable', async () => {
    const log = open(`close-while-polling-${seq++}`);
    await log.ensureTopic(1);
    const consumer = log.consumer(0, 'g');
    await consumer.start('latest');
    const polled = consumer.poll(10, 20_000);
    await log.close();
    expect(await polled).toEqual([]);
    await expect(consumer.poll(10, 10)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('counts produced and consumed records and reports consumer lag', async () => {
    const registry = new Registry();
    const log = new InProcessIngestLog(config(`metrics-${seq++}`), nopLogger, registry);
    logs.push(log);
    await log.ensureTopic(1);
    await log.producer().produce(range(0, 5).map((i) => rec(i)));
    const consumer = log.consumer(0, 'g');
    await consumer.start('earliest');
    await consumer.poll(2, 0);
    const text = await registry.metrics();
    expect(text).toMatch(/^panoptes_ingest_produced_records_total 5$/m);
    expect(text).toMatch(/^panoptes_ingest_consumed_records_total 2$/m);
    expect(text).toMatch(/^panoptes_ingest_consumer_lag_records 3$/m);
    expect(text).toMatch(/^panoptes_ingest_produce_duration_seconds_count 1$/m);
  });
});

describe('crc32', () => {
  it.each([
    { name: 'the standard check value', input: Buffer.from('123456789'), want: 0xcbf43926 },
    { name: 'empty input', input: Buffer.alloc(0), want: 0 },
  ])('computes $name', ({ input, want }) => {
    expect(crc32(input)).toBe(want);
    expect(tableCrc32(input)).toBe(want);
  });

  it('the fallback agrees with the runtime on arbitrary bytes', () => {
    const bytes = Buffer.from(range(0, 4096).map((i) => (i * 31 + 7) & 0xff));
    expect(tableCrc32(bytes)).toBe(crc32(bytes));
  });

  it.each([0, 1, 100, 4095, 4096].map((at) => ({ name: `split at ${at}`, at })))('continues a checksum over a second buffer: $name', ({ at }) => {
    const bytes = Buffer.from(range(0, 4096).map((i) => (i * 31 + 7) & 0xff));
    const whole = crc32(bytes);
    expect(crc32(bytes.subarray(at), crc32(bytes.subarray(0, at)))).toBe(whole);
    expect(tableCrc32(bytes.subarray(at), tableCrc32(bytes.subarray(0, at)))).toBe(whole);
  });
});

describe('writevFully', () => {
  it.each([
    { name: '3 bytes per call, across piece boundaries', perCall: 3 },
    { name: '1 byte per call', perCall: 1 },
    { name: 'everything at once', perCall: 100 },
  ])('keeps writing after short writes until every byte is on disk: $name', async ({ perCall }) => {
    const written: number[] = [];
    const file = {
      writev: async (buffers: Uint8Array[]) => {
        let n = 0;
        for (const b of buffers) for (let i = 0; i < b.length && n < perCall; i++, n++) written.push(b[i]);
        return { bytesWritten: n };
      },
    };
    const pieces = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3, 4, 5, 6, 7), Uint8Array.of(8), Uint8Array.of(9, 10)];
    await writevFully(file, pieces);
    expect(written).toEqual(range(1, 11));
  });

  it('fails instead of spinning when a write makes no progress', async () => {
    const file = { writev: async () => ({ bytesWritten: 0 }) };
    await expect(writevFully(file, [new Uint8Array(4)])).rejects.toThrow('write made no progress at byte 0 of 4');
  });
});
