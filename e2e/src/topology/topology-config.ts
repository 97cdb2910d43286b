import type { TopologyServices } from './resources';

export type IngestMode = 'kafka' | 'classic';

export interface TopologyConfigInput {
  ingestMode: IngestMode;
  services: TopologyServices;
  /** Redis key prefix, MinIO bucket and Kafka topic of this run. */
  keyPrefix: string;
  bucket: string;
  topic: string;
  /** gRPC `host:port` of the query-frontend the queriers pull from. */
  frontendGrpcAddress: string;
  /** HTTP base URLs the ruler writes to and sends alerts to. */
  distributorUrl: string;
  alertRouterUrl: string;
}

/**
 * The Panoptes config file every process of the topology reads: the config the Helm chart renders
 * for `mode: microservices` (`panoptes.config` in deploy/helm/panoptes/templates/_helpers.tpl),
 * with loopback addresses where the chart names Kubernetes Services, plus the few settings that
 * make a test run fast (marked below). `chart-parity.spec.ts` checks that the chart still
 * renders the same shape. Per-process identity (target, instance IDs, zones, addresses, ports,
 * data dirs) comes as flags, as in the chart's pod args.
 */
export function topologyConfig(input: TopologyConfigInput): Record<string, unknown> {
  const { services } = input;
  const redis = { endpoint: services.redis.addr, key_prefix: input.keyPrefix };
  const cache = { backend: 'redis', redis };
  const kafka = input.ingestMode === 'kafka';
  if (kafka && !services.kafka) throw new Error('a Kafka-mode topology needs the Kafka service (PANOPTES_KAFKA_BROKERS)');
  return {
    auth: { multitenancy_enabled: true },
    server: { http_listen_address: '127.0.0.1', grpc_listen_address: '127.0.0.1', log_level: 'info', log_format: 'logfmt' },
    common: {
      storage: {
        backend: 's3',
        s3: {
          endpoint: services.s3.endpoint,
          region: services.s3.region,
          bucket_name: input.bucket,
          access_key_id: services.s3.accessKeyId,
          secret_access_key: services.s3.secretAccessKey,
          force_path_style: true,
        },
      },
    },
    kv: { store: 'redis', redis },
    ...(kafka ? { ingest_storage: { backend: 'kafka', topic: input.topic, partitions: 1, kafka: { brokers: services.kafka!.brokers } } } : {}),
    distributor: { ingest_mode: kafka ? 'ingest-log' : 'classic' },
    ingester: { ring: { zone_awareness_enabled: true, replication_factor: 3 } },
    querier: {
      frontend_address: [input.frontendGrpcAddress],
      // Test setting: read blocks from MinIO for every query (not only for data older than 12h), so
      // the blocks the ingesters upload and the compactor merges answer queries next to the
      // ingesters' copies, and the querier's deduplication of the two is exercised.
      query_store_after: '0s',
    },
    frontend: { results_cache_backend: 'redis', results_cache_redis: redis },
    ruler: {
      alertmanager_url: [input.alertRouterUrl],
      distributor_url: input.distributorUrl,
      // Test setting: rule groups set their own (short) interval; API writes apply at once.
      evaluation_interval: '1s',
    },
    compactor: {
      // Test settings: compact right after an /ingester/flush instead of an hour later, but give
      // the three ingesters' copies a few seconds to land (with 0s the compactor sometimes merged
      // two copies before the third was uploaded, as seen in CI).
      compaction_interval: '2s',
      first_level_compaction_wait_period: '5s',
    },
    blocks_storage: {
      bucket_store: { chunks_cache: cache, index_cache: cache, metadata_cache: cache },
    },
  };
}
