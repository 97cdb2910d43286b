import { Admin, Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { UnavailableError } from '@panoptes/common';
import { Logger, createLogger } from '@panoptes/log';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { consume, runIngestLogContract } from './ingest-log.contract';
import { KafkaIngestLog, KafkaIngestLogConfig, defaultKafkaIngestLogConfig } from './kafka-ingest-log';

describeWithService('kafka', 'KafkaIngestLog', (env) => {
  const topics = new Set<string>();
  const logLines: string[] = [];
  const logger: Logger = createLogger({ level: 'warn', sink: { write: (line) => logLines.push(line) } });
  let admin: Admin;

  beforeAll(async () => {
    admin = new Kafka({ brokers: env.brokers, clientId: 'panoptes-test-admin', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    const existing = new Set(await admin.listTopics());
    const ours = [...topics].filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 10_000 });
    await admin.disconnect();
  });

  afterEach(() => {
    // Nothing asserted: a freshly started broker makes kafkajs log transient coordinator errors.
    logLines.splice(0);
  });

  function config(topic: string, overrides: Partial<KafkaIngestLogConfig> = {}): KafkaIngestLogConfig {
    topics.add(topic);
    return { ...defaultKafkaIngestLogConfig(), brokers: env.brokers, topic, clientId: 'panoptes-test', ...overrides };
  }

  runIngestLogContract('KafkaIngestLog', {
    open: async (storage) => new KafkaIngestLog(config(storage), logger, new Registry()),
    unavailable: async () =>
      // Port 1 on loopback: nothing listens, connections are refused at once.
      new KafkaIngestLog(
        {
          ...config(uniqueName('unreachable')),
          brokers: ['127.0.0.1:1'],
          connectionTimeoutMs: 200,
          retries: 1,
          initialRetryTimeMs: 50,
          maxRetryTimeMs: 100,
        },
        createLogger({ level: 'error', sink: { write: () => undefined } }),
        new Registry(),
      ),
  });

  describe('Kafka specifics', () => {
    const logs: KafkaIngestLog[] = [];
    afterEach(async () => {
      for (const log of logs.splice(0)) await log.close();
    });

    function open(topic = uniqueName('ingest')): KafkaIngestLog {
      const log = new KafkaIngestLog(config(topic), logger, new Registry());
      logs.push(log);
      return log;
    }

    it('commits are the consumer group offsets Kafka tools see, without the group having members', async () => {
      const log = open();
      await log.ensureTopic(2);
      await log.producer().produce([0, 1, 2].map((i) => ({ partition: 1, tenant: 't', value: Buffer.from(`${i}`), timestampMs: i })));
      const group = uniqueName('ingester');
      const consumer = log.consumer(1, group);
      await consumer.start('committed');
      await consume(consumer, 3);
      await consumer.commit(3);

      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [log.config.topic] });
      expect(offsets.partitions.find((p) => p.partition === 1)?.offset).toBe('3');
      const { groups } = await admin.describeGroups([group]);
      expect(groups[0].members).toEqual([]);
    });

    it('ensureTopic creates the topic with the record size limit, grows it, and never shrinks it', async () => {
      const log = open();
      await log.ensureTopic(2);
      await log.ensureTopic(4);
      await log.ensureTopic(3);
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [log.config.topic] });
      expect(meta[0].partitions).toHaveLength(4);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* TOPIC */, name: log.config.topic, configNames: ['max.message.bytes'] }],
      });
      expect(Number(described.resources[0].configEntries[0].configValue)).toBeGreaterThan(log.config.maxRecordBytes);
    });

    it('ensureTopic succeeds in every process when several create, then grow, the same new topic at once', async () => {
      // A new cluster: every process starts at the same time and each ensures the topic.
      const topic = uniqueName('ingest');
      const many = Array.from({ length: 6 }, () => open(topic));
      await Promise.all(many.map((log) => log.ensureTopic(1)));
      await Promise.all(many.map((log, i) => log.ensureTopic(i % 2 === 0 ? 3 : 2)));
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta[0].partitions).toHaveLength(3);
    });

    it('rejects produce to a partition the topic does not have with 503 (a ring/topic mismatch is ours), acknowledging nothing', async () => {
      const topic = uniqueName('ingest');
      const log = open(topic);
      await log.ensureTopic(2);
      // A second log that has not cached the partition count must ask the broker.
      const other = open(topic);
      const records = [0, 5].map((partition) => ({ partition, tenant: 't', value: Buffer.from('x'), timestampMs: 1 }));
      await expect(other.producer().produce(records)).rejects.toBeInstanceOf(UnavailableError);
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => o.high)).toEqual(['0', '0']);
    });

    it('a consumer whose broker is unreachable fails start with UnavailableError', async () => {
      const log = new KafkaIngestLog(
        { ...config(uniqueName('unreachable')), brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, retries: 1, initialRetryTimeMs: 50 },
        createLogger({ level: 'error', sink: { write: () => undefined } }),
        new Registry(),
      );
      logs.push(log);
      await expect(log.consumer(0, 'g').start('committed')).rejects.toBeInstanceOf(UnavailableError);
    });

    it('a produce call bigger than one Kafka batch is split into several sends, every record acknowledged in order', async () => {
      const log = new KafkaIngestLog({ ...config(uniqueName('ingest')), maxRecordBytes: 1024 * 1024 }, logger, new Registry());
      logs.push(log);
      await log.ensureTopic(1);
      // 12 records of 600 KiB: 7 MiB in one call, against a 1 MiB + framing max.message.bytes.
      const records = Array.from({ length: 12 }, (_, i) => ({
        partition: 0,
        tenant: 't',
        value: Buffer.alloc(600 * 1024, i),
        timestampMs: i,
      }));
      const results = await log.producer().produce(records);
      expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      const consumer = log.consumer(0, 'g');
      await consumer.start('earliest');
      const read = await consume(consumer, 12);
      expect(read.map((r) => r.value[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
    });

    it('produce calls issued together are acknowledged with distinct, ordered offsets', async () => {
      const log = open();
      await log.ensureTopic(1);
      const producer = log.producer();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => producer.produce([{ partition: 0, tenant: 't', value: Buffer.from(`${i}`), timestampMs: i }])),
      );
      const offsets = results.map(([r]) => r.offset);
      expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      const consumer = log.consumer(0, 'g');
      await consumer.start('earliest');
      const read = await consume(consumer, 50);
      // Each call's record sits at the offset its call was acknowledged with.
      for (const r of read) expect(offsets[Number(r.value.toString())]).toBe(r.offset);
    });
  });
});
