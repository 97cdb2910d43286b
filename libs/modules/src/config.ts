import { bool, ConfigOf, duration, int, list, oneOf, parseDuration, section, str } from '@panoptes/config';
import { CompactionPlannerConfig, defaultCompactionPlannerConfig, validateCompactionPlannerConfig } from '@panoptes/compactor';
import { HaTrackerConfig, validateHaTrackerConfig } from '@panoptes/distributor';
import { defaultRedisCacheConfig } from '@panoptes/bucket';
import { type BucketIndexLoaderConfig, defaultBucketIndexLoaderConfig } from '@panoptes/bucket-index';
import { type BlocksCacheBackendConfig, type BlocksCacheKind, type BlocksCachingConfig } from '@panoptes/querier';
import { TARGETS } from './targets';

/**
 * Per-tenant limits: defaults here, overridable per tenant in the runtime config file.
 * Flags follow Mimir's names where Mimir has the same limit.
 */
export const limitsSpec = section(
  '',
  {
    ingestionRate: int(10_000, 'Per-tenant ingestion rate limit in samples per second.', {
      flag: 'distributor.ingestion-rate-limit',
      min: 0,
      perTenant: true,
    }),
    ingestionBurstSize: int(200_000, 'Per-tenant allowed ingestion burst size, in samples.', {
      flag: 'distributor.ingestion-burst-size',
      min: 0,
      perTenant: true,
    }),
    maxLabelNamesPerSeries: int(30, 'Maximum number of label names per series.', {
      flag: 'validation.max-label-names-per-series',
      min: 0,
      perTenant: true,
    }),
    maxGlobalSeriesPerUser: int(150_000, 'Maximum in-memory series per tenant across the cluster; 0 disables.', {
      yaml: 'max_global_series_per_user',
      flag: 'ingester.max-global-series-per-user',
      min: 0,
      perTenant: true,
    }),
    maxLabelNameLength: int(1024, 'Longest label name accepted, in UTF-8 bytes.', {
      flag: 'validation.max-length-label-name',
      min: 1,
      perTenant: true,
    }),
    maxLabelValueLength: int(2048, 'Longest label value accepted, in UTF-8 bytes.', {
      flag: 'validation.max-length-label-value',
      min: 1,
      perTenant: true,
    }),
    creationGracePeriodMs: duration(600_000, 'Samples further than this ahead of the distributor\'s clock are refused (sample_too_far_in_future).', {
      yaml: 'creation_grace_period',
      flag: 'validation.create-grace-period',
      perTenant: true,
    }),
    pastGracePeriodMs: duration(0, 'Samples further than this behind the distributor\'s clock are refused (sample_too_old); 0 disables the check.', {
      yaml: 'past_grace_period',
      flag: 'validation.past-grace-period',
      perTenant: true,
    }),
    maxGlobalSeriesPerMetric: int(0, 'Maximum in-memory series per metric name across the cluster; 0 disables.', {
      yaml: 'max_global_series_per_metric',
      flag: 'ingester.max-global-series-per-metric',
      min: 0,
      perTenant: true,
    }),
    acceptHaSamples: bool(false, 'Deduplicate samples from HA Prometheus pairs for this tenant (needs -distributor.ha-tracker.enable).', {
      flag: 'distributor.ha-tracker.enable-for-all-users',
      perTenant: true,
    }),
    haMaxClusters: int(100, 'Maximum HA clusters tracked per tenant; 0 disables the limit.', {
      flag: 'distributor.ha-tracker.max-clusters',
      min: 0,
      perTenant: true,
    }),
    compactorBlocksRetentionPeriodMs: duration(0, 'Delete blocks older than this; 0 keeps them forever.', {
      flag: 'compactor.blocks-retention-period',
      perTenant: true,
    }),
    maxQueryLengthMs: duration(0, 'Longest time range (end minus start) a range query may cover, after max_query_lookback cut it; longer ones are refused with 400. 0 disables.', {
      yaml: 'max_query_length',
      flag: 'query-frontend.max-query-length',
      perTenant: true,
    }),
    maxQueryLookbackMs: duration(0, 'How far back from now queries may read: a range reaching further starts later, a query wholly older answers empty. 0 disables.', {
      yaml: 'max_query_lookback',
      flag: 'querier.max-query-lookback',
      perTenant: true,
    }),
    maxFetchedSeriesPerQuery: int(0, 'Most series one query may fetch from ingesters and blocks together (422 above it); 0 = unlimited.', {
      yaml: 'max_fetched_series_per_query',
      flag: 'querier.max-fetched-series-per-query',
      min: 0,
      perTenant: true,
    }),
    rulerMaxRulesPerRuleGroup: int(20, 'Most rules in one rule group a tenant may upload; 0 = unlimited.', {
      yaml: 'ruler_max_rules_per_rule_group',
      flag: 'ruler.max-rules-per-rule-group',
      min: 0,
      perTenant: true,
    }),
    rulerMaxRuleGroupsPerTenant: int(70, 'Most rule groups a tenant may have over all namespaces; 0 = unlimited.', {
      yaml: 'ruler_max_rule_groups_per_tenant',
      flag: 'ruler.max-rule-groups-per-tenant',
      min: 0,
      perTenant: true,
    }),
    alertmanagerMaxConfigSizeBytes: int(0, 'Largest Alertmanager config plus templates a tenant may upload, in bytes; 0 = unlimited.', {
      yaml: 'alertmanager_max_config_size_bytes',
      flag: 'alertmanager.max-config-size-bytes',
      min: 0,
      perTenant: true,
    }),
    alertmanagerMaxTemplatesCount: int(0, 'Most template files a tenant\'s Alertmanager config may have; 0 = unlimited.', {
      yaml: 'alertmanager_max_templates_count',
      flag: 'alertmanager.max-templates-count',
      min: 0,
      perTenant: true,
    }),
  },
  { yaml: 'limits' },
);

const serverSpec = section('server', {
  httpListenAddress: str('', 'HTTP server listen address; empty means all interfaces.'),
  httpListenPort: int(8080, 'HTTP server listen port; 0 picks a free port.', { min: 0, max: 65535 }),
  grpcListenAddress: str('', 'gRPC server listen address; empty means all interfaces.'),
  grpcListenPort: int(9095, 'gRPC server listen port; 0 picks a free port.', { min: 0, max: 65535 }),
  httpMaxRequestBodyBytes: int(104_857_600, 'Largest JSON or form request body accepted, in bytes.', { min: 1 }),
  grpcMaxRecvMsgSize: int(104_857_600, 'Largest gRPC message received, in bytes.', { min: 1 }),
  grpcMaxSendMsgSize: int(104_857_600, 'Largest gRPC message sent, in bytes.', { min: 1 }),
  gracefulShutdownTimeoutMs: duration(30_000, 'How long to wait for in-flight requests when shutting down.'),
  logLevel: oneOf(['debug', 'info', 'warn', 'error'] as const, 'info', 'Only log messages at this level or above.'),
  logFormat: oneOf(['logfmt', 'json'] as const, 'logfmt', 'Log line format.'),
});

const redisSpec = (help: string, timeoutMs = 5_000) =>
  section('redis', {
    endpoint: str('127.0.0.1:6379', `Redis host:port for ${help}.`),
    password: str('', 'Redis password.', { secret: true }),
    db: int(0, 'Redis database number.', { min: 0 }),
    keyPrefix: str('panoptes/', 'Prefix added to every key, so several clusters can share one Redis.'),
    timeoutMs: duration(timeoutMs, 'Timeout of each Redis operation.'),
  });

// The querier's caches of what it reads from blocks (Mimir's bucket-store caches). A slow cache
// is a miss, so their Redis timeout is short.
const blocksCacheBackend = (what: string, inmemoryMaxSizeBytes: number, inmemoryHelp: string) => ({
  backend: oneOf(['inmemory', 'redis'] as const, 'inmemory', `Where ${what} are cached: inmemory (this process) or redis (shared by every querier).`),
  inmemory: section('inmemory', {
    maxSizeBytes: int(inmemoryMaxSizeBytes, inmemoryHelp, { min: 1 }),
  }),
  redis: redisSpec(`the cache of ${what}`, 500),
});

const bucketStoreSpec = section('bucket-store', {
  // How queriers read each tenant's bucket index (Mimir's bucket-store.bucket-index options).
  bucketIndex: section('bucket-index', {
    updateOnErrorIntervalMs: duration(
      60_000,
      'After a failed read of a tenant\'s bucket index (object storage down), retry no sooner than this; queries of that tenant\'s blocks fail (503) until a read succeeds.',
      { min: 1_000 },
    ),
    idleTimeoutMs: duration(60 * 60_000, 'Drop a tenant\'s bucket index from memory when no query asked for it for this long.', { min: 1_000 }),
    maxStalePeriodMs: duration(
      60 * 60_000,
      'Refuse a bucket index the compactor wrote longer ago than this (queries of blocks then fail until the compactor catches up); 0 disables the check.',
    ),
  }),
  chunksCache: section('chunks-cache', {
    ...blocksCacheBackend('chunks read from blocks', 128 * 1024 * 1024, 'Most bytes of chunk data the in-memory chunks cache holds.'),
    subrangeSize: int(16_000, 'Chunk segment files are read and cached in aligned pieces of this many bytes.', { min: 1 }),
    subrangeTtlMs: duration(24 * 3_600_000, 'How long a cached piece of a chunk segment file is kept.', { min: 1_000 }),
    attributesTtlMs: duration(168 * 3_600_000, 'How long the cached size of a chunk segment file is kept.', { min: 1_000 }),
  }),
  indexCache: section('index-cache', {
    ...blocksCacheBackend(
      'block indexes',
      256 * 1024 * 1024,
      'Most bytes of parsed block indexes each querier keeps in memory, with either backend (postings and series are read from them); least recently used first out.',
    ),
    ttlMs: duration(24 * 3_600_000, 'How long pieces of block index files and tombstones are kept in the redis index cache.', { min: 1_000 }),
  }),
  metadataCache: section('metadata-cache', {
    ...blocksCacheBackend('bucket indexes and block meta files', 16 * 1024 * 1024, 'Most bytes the in-memory metadata cache holds.'),
    bucketIndexContentTtlMs: duration(5 * 60_000, 'How long a cached bucket index is kept: queriers see a new one at most this much (plus the index reload interval) later.', { min: 1_000 }),
    bucketIndexMaxSizeBytes: int(1024 * 1024, 'Largest bucket index (compressed) cached, in bytes.', { min: 1 }),
    metafileContentTtlMs: duration(24 * 3_600_000, 'How long a cached meta.json, deletion-mark.json or no-compact-mark.json is kept.', { min: 1_000 }),
    metafileMaxSizeBytes: int(1024 * 1024, 'Largest meta file cached, in bytes.', { min: 1 }),
    metafileExistsTtlMs: duration(2 * 3_600_000, 'How long "this meta file exists" is cached.', { min: 1_000 }),
    metafileDoesntExistTtlMs: duration(5 * 60_000, 'How long "this meta file does not exist" is cached.', { min: 1_000 }),
    metafileAttributesTtlMs: duration(168 * 3_600_000, 'How long the cached size of a meta file is kept.', { min: 1_000 }),
  }),
}, { yaml: 'bucket_store' });

const kvSpec = section('kv', {
  store: oneOf(['memory', 'redis'] as const, 'memory', 'Where the rings keep their state: memory (one process only) or redis (shared).'),
  redis: redisSpec('the ring key-value store'),
  casMaxRetries: int(10, 'Compare-and-swap attempts before giving up under contention.', { min: 1 }),
});

const storageSpec = section('common.storage', {
  backend: oneOf(['filesystem', 's3'] as const, 'filesystem', 'Object storage backend for blocks, rules and alert-router state.'),
  filesystem: section('filesystem', {
    dir: str('./data/objects', 'Directory holding the objects of the filesystem backend.'),
  }),
  s3: section('s3', {
    endpoint: str('', 'S3 endpoint URL, e.g. http://127.0.0.1:9000 for MinIO; empty for AWS.'),
    region: str('us-east-1', 'S3 region.'),
    bucketName: str('panoptes', 'S3 bucket name.'),
    accessKeyId: str('', 'S3 access key ID.'),
    secretAccessKey: str('', 'S3 secret access key.', { secret: true }),
    forcePathStyle: bool(true, 'Use path-style addressing (MinIO and most S3-compatible servers need it).'),
    requestTimeoutMs: duration(30_000, 'Timeout of each S3 request.'),
    maxRetries: int(3, 'Retries of a failed S3 request.', { min: 0 }),
  }),
});

const ingestSpec = section('ingest-storage', {
  backend: oneOf(['in-process', 'kafka'] as const, 'in-process', 'The ingest log between distributors and ingesters: in-process (single process, local WAL) or kafka.'),
  topic: str('panoptes-ingest', 'Topic (log) name.'),
  partitions: int(1, 'Number of partitions the topic is created with, when it does not exist.', { min: 1 }),
  inProcess: section('in-process', {
    dir: str('./data/ingest', 'Directory of the in-process ingest log WAL.'),
    fsync: bool(false, 'fsync every produced batch before acknowledging it. Off (as in Prometheus\' and Mimir\'s WALs) an acknowledged write is in the OS page cache: a killed process loses nothing, a machine crash may lose the last writes.'),
  }),
  kafka: section('kafka', {
    brokers: list(['127.0.0.1:9092'], 'Kafka bootstrap brokers, comma-separated host:port.'),
    clientId: str('panoptes', 'Kafka client ID.'),
    requestTimeoutMs: duration(10_000, 'Timeout of each Kafka request.'),
    recordCompression: oneOf(
      ['snappy', 'none'] as const,
      'snappy',
      'Compression of the record bodies distributors write: snappy forwards a remote write body as the client compressed it (about a tenth of the bytes to checksum, send and store; ingesters decompress), none writes them uncompressed. Ingesters read both, so upgrade them first.',
    ),
  }),
}, { yaml: 'ingest_storage' });

const ringSpec = (prefix: string) =>
  section(prefix, {
    heartbeatPeriodMs: duration(15_000, 'How often an instance updates its heartbeat in the ring.', { min: 1_000 }),
    heartbeatTimeoutMs: duration(60_000, 'An instance whose heartbeat is older than this is unhealthy.'),
    numTokens: int(128, 'Tokens each instance owns in the ring.', { min: 1 }),
    replicationFactor: int(3, 'Copies of each series written in classic (non-Kafka) mode.', { min: 1 }),
    zoneAwarenessEnabled: bool(false, 'Place replicas in distinct zones.'),
    instanceId: str('', 'This instance\'s ID in the ring; defaults to the host name.'),
    instanceAddr: str('', 'Address other instances use to reach this one; defaults to the first private IP.'),
    instanceZone: str('', 'This instance\'s availability zone.'),
  });

// The alert-router ring: the same options, the replication factor meaning instances per tenant
// (Mimir's -alertmanager.sharding-ring.replication-factor, default 3 as there).
const alertRouterRingSpec = () => {
  const ring = ringSpec('ring');
  return {
    ...ring,
    fields: {
      ...ring.fields,
      replicationFactor: int(3, 'Alert-routers holding each tenant\'s alerts, silences and notification log; the first of them in ring order sends its notifications, the others take over without resending when it fails. Fewer instances than this: all of them.', { min: 1 }),
    },
  };
};

const haTrackerSpec = section(
  'ha-tracker',
  {
    enableHaTracker: bool(false, 'Run the HA tracker, which keeps one replica of each HA Prometheus pair.', { flag: 'enable' }),
    haClusterLabel: str('cluster', 'Label naming the HA cluster.', { flag: 'cluster' }),
    haReplicaLabel: str('__replica__', 'Label naming the replica within the cluster; dropped from stored series.', { flag: 'replica' }),
    haTrackerUpdateTimeoutMs: duration(15_000, 'How long the elected replica may go without its last-seen time being written to the KV.', {
      yaml: 'ha_tracker_update_timeout',
      flag: 'update-timeout',
    }),
    haTrackerUpdateTimeoutJitterMaxMs: duration(5_000, 'Random extra on the update timeout, spreading KV writes.', {
      yaml: 'ha_tracker_update_timeout_jitter_max',
      flag: 'update-timeout-jitter-max',
    }),
    haTrackerFailoverTimeoutMs: duration(30_000, 'Elect another replica after the elected one has been silent this long.', {
      yaml: 'ha_tracker_failover_timeout',
      flag: 'failover-timeout',
    }),
  },
  {
    yaml: 'ha_tracker',
    validate: (c) => validateHaTrackerConfig(haTrackerConfigOf(c)).map((p) => `distributor.ha_tracker: ${p}`),
  },
);

export const panoptesConfigSpec = section(
  '',
  {
    target: list(['all'], `Components to run, comma-separated: ${TARGETS.join(', ')}.`),
    auth: section('auth', {
      multitenancyEnabled: bool(true, 'Require X-Scope-OrgID on every request; when false every request belongs to no_auth_tenant.'),
      noAuthTenant: str('anonymous', 'Tenant of every request when multi-tenancy is disabled.'),
    }),
    server: serverSpec,
    kv: kvSpec,
    common: section('', { storage: storageSpec }, { yaml: 'common' }),
    ingestStorage: ingestSpec,
    runtimeConfig: section('runtime-config', {
      file: str('', 'YAML file of per-tenant limit overrides, reloaded periodically.'),
      reloadPeriodMs: duration(10_000, 'How often the runtime config file is re-read.', { yaml: 'period', flag: 'reload-period', min: 100 }),
    }),
    distributor: section('distributor', {
      haTracker: haTrackerSpec,
      maxRecvMsgSize: int(10_485_760, 'Largest write request accepted, compressed and decompressed, in bytes (413 above it). Prometheus sends a few hundred KiB per request.', { min: 1 }),
      ingestMode: oneOf(['ingest-log', 'classic'] as const, 'ingest-log', 'How writes reach ingesters: through the ingest log (Kafka or in-process), or pushed over gRPC to replication-factor ingesters of the ring (classic).', { yaml: 'ingest_mode' }),
      otlp: section('otlp', {
        promoteResourceAttributes: list([], 'OTLP resource attributes copied onto every series of their resource as labels.'),
        keepIdentifyingResourceAttributes: bool(false, 'Also keep service.name, service.namespace and service.instance.id as target_info labels.'),
      }),
    }),
    ingester: section('ingester', {
      ring: ringSpec('ring'),
      partitionRing: section('partition-ring', {
        deleteInactivePartitionAfterMs: duration(13 * 3_600_000, 'How long a partition stays INACTIVE (after /ingester/prepare-partition-downscale) before an ingester deletes it from the partition ring, once no ingester owns it any more; 0 never deletes. Keep it above -querier.query-store-after.', {
          yaml: 'delete_inactive_partition_after',
          flag: 'delete-inactive-partition-after',
        }),
      }, { yaml: 'partition_ring' }),
      outOfOrderTimeWindowMs: duration(0, 'How far behind a series\' newest sample an older sample is still accepted; 0 refuses every out-of-order sample (sample_out_of_order).', {
        yaml: 'out_of_order_time_window',
        flag: 'out-of-order-time-window',
      }),
    }),
    blocksStorage: section('blocks-storage', {
      tsdb: section('tsdb', {
        dir: str('./data/tsdb', 'Directory of the ingesters\' local data: snapshots of the heads, blocks waiting for upload.'),
        blockRangesPeriodMs: duration(7_200_000, 'Length of the blocks the ingesters cut from their heads.', { yaml: 'block_ranges_period', flag: 'block-ranges-period', min: 60_000 }),
        retentionPeriodMs: duration(13 * 3_600_000, 'How long data stays in an ingester\'s head after its block was uploaded. Keep it above -querier.query-store-after (12h): the querier reads blocks only for data older than that, so a shorter retention leaves a gap no query can see.', { yaml: 'retention_period', flag: 'retention-period' }),
        headCompactionIntervalMs: duration(60_000, 'How often the ingesters check whether a block can be cut from a head.', {
          yaml: 'head_compaction_interval',
          flag: 'head-compaction-interval',
          min: 1_000,
        }),
        snapshotIntervalMs: duration(60_000, 'How often an ingester writes a snapshot of its heads and commits its ingest-log offset (a restart replays at most this much).', {
          yaml: 'snapshot_interval',
          flag: 'snapshot-interval',
          min: 1_000,
        }),
      }),
      bucketStore: bucketStoreSpec,
    }, { yaml: 'blocks_storage' }),
    querier: section('querier', {
      timeoutMs: duration(120_000, 'A query running longer fails with a timeout (503).', { yaml: 'timeout', flag: 'timeout', min: 1 }),
      maxSamples: int(50_000_000, 'Most samples a query may hold in memory at once; more fails the query with 422.', { yaml: 'max_samples', flag: 'max-samples', min: 1 }),
      lookbackDeltaMs: duration(300_000, 'How far back an instant selector looks for the latest sample.', { yaml: 'lookback_delta', flag: 'lookback-delta', min: 1 }),
      defaultEvaluationIntervalMs: duration(60_000, 'Step of subqueries written without one (`[1h:]`).', { yaml: 'default_evaluation_interval', flag: 'default-evaluation-interval', min: 1 }),
      queryIngestersWithinMs: duration(13 * 3_600_000, 'Only ask the ingesters for the part of a query newer than this; 0 always asks them.', {
        yaml: 'query_ingesters_within',
        flag: 'query-ingesters-within',
      }),
      queryStoreAfterMs: duration(12 * 3_600_000, 'Only read blocks from object storage for the part of a query older than this; 0 always reads them.', {
        yaml: 'query_store_after',
        flag: 'query-store-after',
      }),
      maxFetchedChunksPerQuery: int(2_000_000, 'Most chunks one query may fetch (422 above it); 0 = unlimited.', { yaml: 'max_fetched_chunks_per_query', flag: 'max-fetched-chunks-per-query', min: 0 }),
      maxFetchedChunkBytesPerQuery: int(0, 'Most chunk bytes one query may fetch (422 above it); 0 = unlimited.', {
        yaml: 'max_fetched_chunk_bytes_per_query',
        flag: 'max-fetched-chunk-bytes-per-query',
        min: 0,
      }),
      syncDir: str('./data/tsdb-sync', 'Local directory where queriers keep the block indexes they read from object storage.', { yaml: 'sync_dir', flag: 'sync-dir' }),
      cardinalityAnalysisEnabled: bool(false, 'Serve the /api/v1/cardinality endpoints.', { yaml: 'cardinality_analysis_enabled', flag: 'cardinality-analysis-enabled' }),
      frontendAddress: list([], 'gRPC addresses (host:port) of the query-frontends to pull queries from when they run in other processes; a DNS name resolving to several addresses (a headless Service) gets workers at each. Empty: this querier only answers requests pushed to it.', {
        yaml: 'frontend_address',
        flag: 'frontend-address',
      }),
      maxConcurrent: int(4, 'Worker streams this querier keeps open to each query-frontend address: how many of its queries it runs at once.', { yaml: 'max_concurrent', flag: 'max-concurrent', min: 1 }),
      id: str('', 'How this querier names itself to the query-frontends; defaults to the host name.'),
    }),
    queryFrontend: section('query-frontend', {
      splitQueriesByIntervalMs: duration(86_400_000, 'Split range queries at multiples of this (UTC days); 0 never splits.', { yaml: 'split_queries_by_interval', flag: 'split-queries-by-interval' }),
      alignQueriesWithStep: bool(false, 'Move range queries\' start and end onto their step grid, making results more cacheable.', { yaml: 'align_queries_with_step', flag: 'align-queries-with-step' }),
      cacheResults: bool(true, 'Cache the results of range-query splits older than max_cache_freshness.', { yaml: 'cache_results', flag: 'cache-results' }),
      resultsCacheBackend: oneOf(['memory', 'redis'] as const, 'memory', 'Where results are cached: memory (per process) or redis (shared by every frontend).', {
        yaml: 'results_cache_backend',
        flag: 'results-cache.backend',
      }),
      resultsCacheRedis: redisSpec('the results cache'),
      resultsCacheTtlMs: duration(7 * 86_400_000, 'How long a cached split is kept.', { yaml: 'results_cache_ttl', flag: 'results-cache.ttl', min: 1_000 }),
      maxCacheFreshnessMs: duration(600_000, 'Splits ending within this much of now are never cached: recent data may still change.', { yaml: 'max_cache_freshness', flag: 'max-cache-freshness' }),
      maxOutstandingPerTenant: int(100, 'Queued queries per tenant; more are refused with 429.', { yaml: 'max_outstanding_per_tenant', flag: 'max-outstanding-requests-per-tenant', min: 1 }),
      queueTimeoutMs: duration(60_000, 'A query waiting longer than this in the queue for a querier fails with 503; 0 waits until the client gives up.', { yaml: 'queue_timeout', flag: 'queue-timeout' }),
      querierConcurrency: int(8, 'Queries the frontend runs at once on the querier of its own process or behind downstream_url, across tenants. With queriers pulling work, the concurrency is the number of their connected workers instead.', {
        yaml: 'querier_concurrency',
        flag: 'querier-concurrency',
        min: 1,
      }),
      downstreamUrl: str('', 'Base URL of the queriers (e.g. a Service in front of them) to push queries to over HTTP. Empty: a frontend without a querier in its process waits for queriers to pull queries over gRPC (-querier.frontend-address).', {
        yaml: 'downstream_url',
        flag: 'downstream-url',
      }),
    }, { yaml: 'frontend' }),
    compactor: section('compactor', {
      ring: ringSpec('ring'),
      compactionIntervalMs: duration(3_600_000, 'How often the compactor processes every tenant it owns.', { yaml: 'compaction_interval', flag: 'compaction-interval', min: 1_000 }),
      deletionDelayMs: duration(12 * 3_600_000, 'How long a block marked for deletion stays readable before it is deleted.', { yaml: 'deletion_delay', flag: 'deletion-delay' }),
      partialBlockDeletionDelayMs: duration(24 * 3_600_000, 'Partial blocks (uploads that never finished) older than this are deleted; 0 never deletes them.', {
        yaml: 'partial_block_deletion_delay',
        flag: 'partial-block-deletion-delay',
      }),
      dataDir: str('./data/compactor', 'Local directory where the compactor downloads and writes blocks while it merges them.', { yaml: 'data_dir', flag: 'data-dir' }),
      blockRanges: list(['2h', '12h', '24h'], 'Block ranges to compact into, each a multiple of the one before; the first is the ingesters\' block range.', {
        yaml: 'block_ranges',
        flag: 'block-ranges',
      }),
      splitAndMergeShards: int(0, 'Shards the split stage writes per block range (Mimir split-and-merge); 0 disables splitting.', {
        yaml: 'split_and_merge_shards',
        flag: 'split-and-merge-shards',
        min: 0,
      }),
      splitGroups: int(1, 'Groups the source blocks of a range are split in, so several compactors split one tenant in parallel.', {
        yaml: 'split_groups',
        flag: 'split-groups',
        min: 1,
      }),
      firstLevelCompactionWaitPeriodMs: duration(25 * 60_000, 'How long after upload ingester blocks wait before their first compaction (more RF copies arrive).', {
        yaml: 'first_level_compaction_wait_period',
        flag: 'first-level-compaction-wait-period',
      }),
    }, {
      validate: (c) => {
        const ranges = c.blockRanges.map((r) => parseDuration(r));
        if (ranges.some((r) => r === undefined || r <= 0)) return [`compactor.block_ranges: every range must be a positive duration, got ${c.blockRanges.join(',')}`];
        return validateCompactionPlannerConfig(compactionPlannerConfigOf(c)).map((p) => `compactor: ${p}`);
      },
    }),
    ruler: section('ruler', {
      ring: ringSpec('ring'),
      evaluationIntervalMs: duration(60_000, 'Evaluation interval of rule groups that set none.', { yaml: 'evaluation_interval', flag: 'evaluation-interval', min: 1_000 }),
      pollIntervalMs: duration(60_000, 'How often every tenant\'s rule groups are re-read from object storage (API writes to this ruler apply at once).', { yaml: 'poll_interval', flag: 'poll-interval', min: 1_000 }),
      ringCheckPeriodMs: duration(5_000, 'How often the ruler checks the ruler ring for changed group ownership; a group changes hands within this plus one evaluation interval.', {
        yaml: 'ring_check_period',
        flag: 'ring-check-period',
        min: 100,
      }),
      resendDelayMs: duration(60_000, 'Least time between two sends of a still-firing alert to the Alertmanagers.', { yaml: 'resend_delay', flag: 'resend-delay', min: 1 }),
      forOutageToleranceMs: duration(3_600_000, 'Longest ruler outage across which the `for` state of alerts is restored from ALERTS_FOR_STATE.', { yaml: 'for_outage_tolerance', flag: 'for-outage-tolerance' }),
      forGracePeriodMs: duration(600_000, 'Least time a restored pending alert still waits before it fires.', { yaml: 'for_grace_period', flag: 'for-grace-period' }),
      externalUrl: str('', 'URL under which users reach the query UI: prefix of alerts\' generator URLs and `$externalURL` in templates.', { yaml: 'external_url', flag: 'external.url' }),
      alertmanagerUrl: list([], 'Alertmanager base URLs (e.g. http://alert-router:8080/alertmanager) alerts are POSTed to at <url>/api/v2/alerts with X-Scope-OrgID; a plain Alertmanager works too. Empty: the alert-router of this process, or nowhere when it does not run here.', {
        yaml: 'alertmanager_url',
        flag: 'alertmanager-url',
      }),
      notificationQueueCapacity: int(10_000, 'Alerts queued per tenant for the Alertmanagers; when full the oldest are dropped.', { yaml: 'notification_queue_capacity', flag: 'notification-queue-capacity', min: 1 }),
      notificationTimeoutMs: duration(10_000, 'Timeout of one POST of alerts to an Alertmanager.', { yaml: 'notification_timeout', flag: 'notification-timeout', min: 1 }),
      distributorUrl: str('', 'Base URL of the distributors (e.g. http://distributor:8080) that recorded series, ALERTS and ALERTS_FOR_STATE are remote-written to when no distributor runs in this process.', {
        yaml: 'distributor_url',
        flag: 'distributor-url',
      }),
      remoteWriteTimeoutMs: duration(30_000, 'Timeout of one remote write of rule results to -ruler.distributor-url.', { yaml: 'remote_write_timeout', flag: 'remote-write-timeout', min: 1 }),
    }),
    alertRouter: section('alert-router', {
      ring: alertRouterRingSpec(),
      fallbackConfigFile: str('', 'Alertmanager config file run by tenants that uploaded none; empty: a config that accepts alerts and sends nothing (Mimir\'s -alertmanager.fallback-config-file).', {
        yaml: 'fallback_config_file',
        flag: 'fallback-config-file',
      }),
      externalUrl: str('', 'URL under which users reach the alert-router (`externalURL` of notifications); empty: http://<host>:<http port>/alertmanager.', { yaml: 'external_url', flag: 'web.external-url' }),
      persistIntervalMs: duration(15 * 60_000, 'How often the instance sending a tenant\'s notifications writes its silences and notification log to object storage (it also writes them after every change; replicas never write).', {
        yaml: 'persist_interval',
        flag: 'persist-interval',
        min: 1_000,
      }),
      ringCheckPeriodMs: duration(5_000, 'How often the alert-router checks its ring: it releases the tenants whose replication set it left, starts or stops sending as the ring names the sender, and hands a tenant\'s state to members new to its set.', {
        yaml: 'ring_check_period',
        flag: 'ring-check-period',
        min: 100,
      }),
      replicationTimeoutMs: duration(5_000, 'Timeout of one push of tenant state to, or pull from, another alert-router of the tenant\'s replication set (a flush waits for its pushes, so a dead replica the ring still lists delays notifications by at most this much).', {
        yaml: 'replication_timeout',
        flag: 'replication-timeout',
        min: 100,
      }),
    }),
    limits: limitsSpec,
  },
  {
    validate: (c) => {
      const problems: string[] = [];
      for (const t of c.target) {
        if (!TARGETS.includes(t)) problems.push(`target: unknown target "${t}" (known: ${TARGETS.join(', ')})`);
      }
      if (c.target.length === 0) problems.push('target: at least one target is required');
      if (c.common.storage.backend === 's3' && c.common.storage.s3.bucketName === '') {
        problems.push('common.storage.s3.bucket_name: required when common.storage.backend is s3');
      }
      return problems;
    },
  },
);

export type PanoptesConfig = ConfigOf<typeof panoptesConfigSpec>;
export type LimitsConfig = ConfigOf<typeof limitsSpec>;

/** The HA tracker's settings from the `distributor.ha_tracker` section (Mimir's option names). */
export function haTrackerConfigOf(c: {
  haClusterLabel: string;
  haReplicaLabel: string;
  haTrackerUpdateTimeoutMs: number;
  haTrackerUpdateTimeoutJitterMaxMs: number;
  haTrackerFailoverTimeoutMs: number;
}): HaTrackerConfig {
  return {
    clusterLabel: c.haClusterLabel,
    replicaLabel: c.haReplicaLabel,
    updateTimeoutMs: c.haTrackerUpdateTimeoutMs,
    updateTimeoutJitterMaxMs: c.haTrackerUpdateTimeoutJitterMaxMs,
    failoverTimeoutMs: c.haTrackerFailoverTimeoutMs,
    kvPrefix: 'ha-tracker/',
  };
}

/** The compaction planner's settings from the `compactor` section. */
export function compactionPlannerConfigOf(c: {
  blockRanges: string[];
  splitAndMergeShards: number;
  splitGroups: number;
  firstLevelCompactionWaitPeriodMs: number;
}): CompactionPlannerConfig {
  return {
    ...defaultCompactionPlannerConfig(),
    blockRangesMs: c.blockRanges.map((r) => parseDuration(r) ?? 0),
    splitAndMergeShards: c.splitAndMergeShards,
    splitGroups: c.splitGroups,
    firstLevelCompactionWaitPeriodMs: c.firstLevelCompactionWaitPeriodMs,
  };
}

type BucketStoreConfig = PanoptesConfig['blocksStorage']['bucketStore'];

/** What the querier caches of blocks, and for how long, from `blocks_storage.bucket_store`. */
export function blocksCachingConfigOf(c: BucketStoreConfig): BlocksCachingConfig {
  const m = c.metadataCache;
  return {
    chunksSubrangeSizeBytes: c.chunksCache.subrangeSize,
    chunksSubrangeTtlMs: c.chunksCache.subrangeTtlMs,
    chunksAttributesTtlMs: c.chunksCache.attributesTtlMs,
    indexTtlMs: c.indexCache.ttlMs,
    metafileContentTtlMs: m.metafileContentTtlMs,
    metafileMaxSizeBytes: m.metafileMaxSizeBytes,
    metafileExistsTtlMs: m.metafileExistsTtlMs,
    metafileDoesntExistTtlMs: m.metafileDoesntExistTtlMs,
    metafileAttributesTtlMs: m.metafileAttributesTtlMs,
    bucketIndexContentTtlMs: m.bucketIndexContentTtlMs,
    bucketIndexMaxSizeBytes: m.bucketIndexMaxSizeBytes,
  };
}

/** How the querier reads bucket indexes, from `blocks_storage.bucket_store.bucket_index`. */
export function bucketIndexLoaderConfigOf(c: BucketStoreConfig): BucketIndexLoaderConfig {
  return { ...defaultBucketIndexLoaderConfig(), ...c.bucketIndex };
}

/** Where each of the querier's block caches keeps its items, from `blocks_storage.bucket_store`. */
export function blocksCacheBackendsOf(c: BucketStoreConfig): Record<BlocksCacheKind, BlocksCacheBackendConfig> {
  const backend = (b: BucketStoreConfig['chunksCache'] | BucketStoreConfig['indexCache'] | BucketStoreConfig['metadataCache']): BlocksCacheBackendConfig => ({
    backend: b.backend,
    inmemoryMaxSizeBytes: b.inmemory.maxSizeBytes,
    redis: {
      ...defaultRedisCacheConfig(),
      address: b.redis.endpoint,
      password: b.redis.password,
      db: b.redis.db,
      keyPrefix: b.redis.keyPrefix,
      timeoutMs: b.redis.timeoutMs,
    },
  });
  return { chunks: backend(c.chunksCache), index: backend(c.indexCache), metadata: backend(c.metadataCache) };
}
