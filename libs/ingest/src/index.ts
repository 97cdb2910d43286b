// Public surface of ingest: everything else in this folder is internal.
export type {
  ConsumedRecord,
  IngestConsumer,
  IngestLog,
  IngestProducer,
  IngestRecord,
  ProduceResult,
  StartPosition,
} from './ingest-log';
export { TENANT_HEADER } from './ingest-log';
export { InProcessIngestLog, defaultInProcessIngestLogConfig } from './in-process-ingest-log';
export type { InProcessIngestLogConfig } from './in-process-ingest-log';
export { KafkaIngestLog, defaultKafkaIngestLogConfig } from './kafka-ingest-log';
export type { KafkaIngestLogConfig } from './kafka-ingest-log';
