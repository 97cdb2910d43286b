import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname, networkInterfaces } from 'node:os';
import { Registry } from 'prom-client';
import { Clock, SystemClock } from '@panoptes/common';
import { TenantLimits, RuntimeConfigService } from '@panoptes/config';
import type { Logger } from '@panoptes/log';
import { FunctionService, ModuleGraph, Service } from '@panoptes/services';
import { GrpcServer, HttpServer, StatusPage, unaryHandler } from '@panoptes/server';
import { KvCasConfig, KvStore, MemoryKv, RedisKv, defaultKvCasConfig, defaultRedisKvConfig } from '@panoptes/kv';
import {
  Lifecycler,
  Operation,
  PartitionInstanceLifecycler,
  PartitionRingWatcher,
  Ring,
  defaultPartitionInstanceLifecyclerConfig,
  defaultPartitionRingConfig,
  partitionIdFromInstanceId,
  renderPartitionRingHtml,
  renderPartitionRingJson,
  renderRingHtml,
  renderRingJson,
} from '@panoptes/ring';
import { Bucket, Cache, MemoryCache, RedisCache, createBucket, defaultMemoryCacheConfig, defaultRedisCacheConfig, defaultS3BucketConfig } from '@panoptes/bucket';
import { IngestLog, InProcessIngestLog, KafkaIngestLog, defaultInProcessIngestLogConfig, defaultKafkaIngestLogConfig } from '@panoptes/ingest';
import {
  AppliedOutcome,
  ClassicSink,
  SeriesSink,
  defaultClassicSinkConfig,
  Distributor,
  HaTracker,
  IngestLogSink,
  defaultIngestLogSinkConfig,
  pushApiMounts,
  renderHaTrackerHtml,
} from '@panoptes/distributor';
import {
  BlockShipper,
  HeadCompactor,
  INGESTER,
  INGESTER_PARTITION,
  Ingester,
  IngesterController,
  IngesterGrpcApi,
  SnapshotDurability,
  defaultBlockShipperConfig,
  defaultIngesterConfig,
} from '@panoptes/ingester';
import { defaultHeadConfig } from '@panoptes/tsdb';
import {
  ExportMetricsServiceResult,
  decodeExportMetricsRequestProtobuf,
  defaultOtlpTranslationConfig,
  otlpMetricsServiceDefinition,
} from '@panoptes/otlp';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { type IngesterApi, IngesterClientPool, defaultIngesterClientPoolConfig, registerIngesterService } from '@panoptes/ingester-client';
import {
  BlocksQueryable,
  IngestersQueryable,
  MergedQueryable,
  PartitionRingReadTopology,
  Querier,
  type QuerierStorageConfig,
  QuerierWorkers,
  TokenRingReadTopology,
  cachingBlocksBucket,
  createBlocksCaches,
  defaultQuerierStorageConfig,
  defaultQuerierWorkersConfig,
  dnsHostResolver,
} from '@panoptes/querier';
import {
  type Downstream,
  FrontendClient,
  PushScheduler,
  QuerierWorkerPool,
  QueryFrontend,
  type QueryScheduler,
  defaultFrontendClientConfig,
  defaultQueryFrontendConfig,
  httpDownstream,
  registerFrontendService,
  QUERY_STATS_HEADER,
} from '@panoptes/query-frontend';
import { PROM_API_ROUTES, defaultPromApiConfig, defaultPromApiLimits } from '@panoptes/prom-api';
import { defaultEngineConfig } from '@panoptes/promql';
import { BucketIndexLoader, SeriesDeletionStore, defaultSeriesDeletionStoreConfig } from '@panoptes/bucket-index';
import {
  BlocksCleaner,
  COMPACTOR,
  CompactionJobRunner,
  Compactor,
  CompactorController,
  SERIES_DELETION_API,
  SeriesDeletionApi,
  SeriesDeletionController,
  SeriesDeletions,
  defaultSeriesDeletionsConfig,
} from '@panoptes/compactor';
import { tenantHashSeed } from '@panoptes/proto';
import { readFileSync } from 'node:fs';
import { UnavailableError, ValidationError } from '@panoptes/common';
import { PrefixedBucket } from '@panoptes/bucket';
import { Engine, type Queryable } from '@panoptes/promql';
import {
  AlertNotifier,
  type AlertSender,
  RULER_BODY_PATHS,
  RULER_READ_OP,
  RULER_HTTP_API,
  RemoteWriteSampleSink,
  RuleStore,
  RulerController,
  RulerHttpApi,
  RulerManager,
  RulerRingOwnership,
  type WriteRequestSender,
  defaultAlertNotifierConfig,
  defaultRuleGroupEvaluatorConfig,
  httpAlertSender,
  httpRemoteWriteSender,
  postableAlertsJson,
} from '@panoptes/ruler';
import {
  ALERT_ROUTER_BODY_PATHS,
  ALERT_ROUTER_HTTP_API,
  AlertRouter,
  AlertRouterController,
  AlertRouterHttpApi,
  AlertRouterPeers,
  AlertRouterPlacement,
  AlertRouterSharding,
  BucketAlertRouterStateStore,
  DEFAULT_FALLBACK_CONFIG,
  defaultAlertRouterConfig,
  defaultTenantConfig,
} from '@panoptes/alert-router';
import { blocksCacheBackendsOf, blocksCachingConfigOf, bucketIndexLoaderConfigOf, compactionPlannerConfigOf, haTrackerConfigOf, limitsSpec, PanoptesConfig } from './config';
import { COMPONENTS } from './targets';

/** What a process is made of once its modules are built: the services to run, in order. */
export interface ProcessWiring {
  services: Service[];
  http: HttpServer;
  grpc: GrpcServer;
  /** Each built module's value, by module name (for tests and tools). */
  modules: Map<string, unknown>;
}

type RingConfigSection = PanoptesConfig['ingester']['ring'];

/** The Prometheus API is served under `/prometheus` (Mimir's prefix) and at the root. */
const PROM_API_PREFIXES = ['/prometheus', ''];
const PROM_API_PATHS = [...new Set(PROM_API_ROUTES.map((r) => r.path))];

function defaultInstanceAddr(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Builds the module graph of a Panoptes process. Module names are what `-target` accepts (the
 * components and `all`) plus the shared pieces they depend on. Every module that owns a resource
 * contributes a Service, so the ServiceManager starts resources before their users and stops them
 * after.
 */
export async function buildModules(
  config: PanoptesConfig,
  logger: Logger,
  registry: Registry,
  clock: Clock = new SystemClock(),
): Promise<ProcessWiring> {
  const services: Service[] = [];
  const graph = new ModuleGraph();
  const tenancy = { multitenancyEnabled: config.auth.multitenancyEnabled, noAuthTenant: config.auth.noAuthTenant };
  const log = (component: string) => logger.with({ component });
  const singleProcess = config.target.includes('all');

  const http = new HttpServer(
    {
      listenAddress: config.server.httpListenAddress || '0.0.0.0',
      listenPort: config.server.httpListenPort,
      maxRequestBodyBytes: config.server.httpMaxRequestBodyBytes,
      gracefulShutdownTimeoutMs: config.server.gracefulShutdownTimeoutMs,
    },
    tenancy,
    log('server'),
    registry,
  );
  const grpc = new GrpcServer(
    {
      listenAddress: config.server.grpcListenAddress || '0.0.0.0',
      listenPort: config.server.grpcListenPort,
      maxRecvMessageBytes: config.server.grpcMaxRecvMsgSize,
      maxSendMessageBytes: config.server.grpcMaxSendMsgSize,
      gracefulShutdownTimeoutMs: config.server.gracefulShutdownTimeoutMs,
    },
    log('server'),
  );

  const value = <T>(modules: Map<string, unknown>, name: string) => modules.get(name) as T;
  const built = new Map<string, unknown>();
  const register = <T>(name: string, deps: string[], init: () => T | Promise<T>, userVisible = false) =>
    graph.register(name, {
      deps,
      userVisible,
      init: async () => {
        const v = await init();
        built.set(name, v);
        return v;
      },
    });

  // The servers start first so /ready can say what is still starting.
  register('server', [], () => {
    services.push(http, grpc);
    return { http, grpc };
  });

  register('runtime-config', [], () => {
    const limits = new TenantLimits(limitsSpec, config.limits);
    if (config.runtimeConfig.file) {
      services.push(
        new RuntimeConfigService(
          { file: config.runtimeConfig.file, reloadPeriodMs: config.runtimeConfig.reloadPeriodMs },
          limits,
          log('runtime-config'),
          registry,
        ),
      );
    }
    return limits;
  });

  register('kv', [], () => {
    const cas: KvCasConfig = { ...defaultKvCasConfig(), casMaxRetries: config.kv.casMaxRetries };
    const kv: KvStore =
      config.kv.store === 'redis'
        ? new RedisKv(
            {
              ...defaultRedisKvConfig(),
              ...cas,
              addr: config.kv.redis.endpoint,
              password: config.kv.redis.password,
              db: config.kv.redis.db,
              prefix: config.kv.redis.keyPrefix,
              requestTimeoutMs: config.kv.redis.timeoutMs,
            },
            log('kv'),
            registry,
          )
        : new MemoryKv(cas, log('kv'), registry);
    services.push(
      new FunctionService('kv', {
        // A Redis KV proves it can reach Redis before anything builds on it.
        starting: async () => void (await kv.list('ring/')),
        stopping: () => kv.close(),
      }),
    );
    return kv;
  });

  register('bucket', [], () => {
    const s = config.common.storage;
    const bucket = createBucket(
      {
        backend: s.backend,
        filesystem: { dir: s.filesystem.dir },
        s3: {
          ...defaultS3BucketConfig(),
          endpoint: s.s3.endpoint,
          region: s.s3.region,
          bucketName: s.s3.bucketName,
          accessKeyId: s.s3.accessKeyId,
          secretAccessKey: s.s3.secretAccessKey,
          forcePathStyle: s.s3.forcePathStyle,
          insecure: s.s3.endpoint.startsWith('http://'),
          requestTimeoutMs: s.s3.requestTimeoutMs,
          maxRetries: s.s3.maxRetries,
        },
      },
      'blocks',
      log('bucket'),
      registry,
    );
    services.push(
      new FunctionService('bucket', {
        // Fails start-up with a clear error when the bucket is unreachable or misconfigured:
        // the filesystem root must be a directory we can create, the S3 bucket must exist.
        starting: async () => {
          if (s.backend === 'filesystem') await mkdir(s.filesystem.dir, { recursive: true });
          for await (const _key of bucket.list('')) break;
        },
        stopping: () => bucket.close(),
      }),
    );
    return bucket;
  });

  register('ingest-log', [], () => {
    const c = config.ingestStorage;
    const ingestLog: IngestLog =
      c.backend === 'kafka'
        ? new KafkaIngestLog(
            {
              ...defaultKafkaIngestLogConfig(),
              brokers: c.kafka.brokers,
              topic: c.topic,
              clientId: c.kafka.clientId,
              requestTimeoutMs: c.kafka.requestTimeoutMs,
            },
            log('ingest-log'),
            registry,
          )
        : new InProcessIngestLog(
            { ...defaultInProcessIngestLogConfig(), dir: c.inProcess.dir, fsync: c.inProcess.fsync },
            log('ingest-log'),
            registry,
          );
    services.push(
      new FunctionService('ingest-log', {
        starting: () => ingestLog.ensureTopic(c.partitions),
        stopping: () => ingestLog.close(),
      }),
    );
    return ingestLog;
  });

  const instanceId = (ring: RingConfigSection) => ring.instanceId || hostname();
  const ringClient = (name: string, ring: RingConfigSection, modules: Map<string, unknown>) => {
    const r = new Ring(
      {
        key: `ring/${name}`,
        name,
        heartbeatTimeoutMs: ring.heartbeatTimeoutMs,
        replicationFactor: ring.replicationFactor,
        zoneAwarenessEnabled: ring.zoneAwarenessEnabled,
      },
      value<KvStore>(modules, 'kv'),
      clock,
      log(`${name}-ring`),
      registry,
    );
    services.push(r);
    http.addStatusPage(tokenRingPage(name, r, ring.heartbeatTimeoutMs, clock));
    return r;
  };
  const instanceAddrOf = (ring: RingConfigSection): string => ring.instanceAddr || `${defaultInstanceAddr()}:${config.server.grpcListenPort}`;
  // The ingester of this process: the shared client pool calls it directly, not over gRPC.
  let localIngesterApi: { address: string; api: IngesterApi } | undefined;
  // Lifecyclers are not pushed here: `component` starts them after the component (the instance
  // turns ACTIVE only once the component runs) and so stops them first (LEAVING before it stops).
  const lifecycler = (name: string, ring: RingConfigSection, modules: Map<string, unknown>) => {
    const l = new Lifecycler(
      {
        ringKey: `ring/${name}`,
        ringName: name,
        id: instanceId(ring),
        addr: instanceAddrOf(ring),
        zone: ring.instanceZone,
        numTokens: ring.numTokens,
        heartbeatPeriodMs: ring.heartbeatPeriodMs,
        minReadyDurationMs: 0,
        unregisterOnShutdown: true,
      },
      value<KvStore>(modules, 'kv'),
      clock,
      log(`${name}-lifecycler`),
      registry,
    );
    return l;
  };

  register('ingester-ring', ['server', 'kv'], () => ringClient('ingester', config.ingester.ring, built));

  register('ingester-partition-ring', ['server', 'kv'], () => {
    const watcher = new PartitionRingWatcher(defaultPartitionRingConfig(), value<KvStore>(built, 'kv'), log('partition-ring'), registry);
    services.push(watcher);
    http.addStatusPage({
      path: '/ingester/partition-ring',
      title: 'Ingester partition ring',
      html: () => renderPartitionRingHtml(watcher.ring().desc, clock.now(), { title: 'Ingester partition ring' }),
      json: () => ({ partitions: renderPartitionRingJson(watcher.ring().desc, clock.now()) }),
    });
    return watcher;
  });

  /** gRPC clients of the ingesters, one per address, shared by the distributor and the querier. */
  register('ingester-clients', ['ingester-ring'], () => {
    const ring = value<Ring>(built, 'ingester-ring');
    const pool = new IngesterClientPool(defaultIngesterClientPoolConfig(), () => Object.values(ring.desc().instances).map((i) => i.addr), log('ingester-client'), registry);
    if (localIngesterApi) pool.setLocal(localIngesterApi.address, localIngesterApi.api);
    services.push(pool);
    return pool;
  });

  /** A user-visible component: its service, then the ring memberships that advertise it. */
  const component = (
    name: (typeof COMPONENTS)[number],
    deps: string[],
    make: () => Service | { before?: Service[]; service: Service; membership: Service[] },
  ) =>
    register(
      name,
      ['server', 'runtime-config', ...deps],
      () => {
        const made = make();
        const { before, service, membership } = made instanceof Service ? { before: [], service: made, membership: [] } : made;
        services.push(...(before ?? []), service, ...membership);
        return service;
      },
      true,
    );

  register('ha-tracker', ['server', 'kv'], () => {
    const c = config.distributor.haTracker;
    if (!c.enableHaTracker) return undefined;
    const tracker = new HaTracker(
      haTrackerConfigOf(c),
      value<KvStore>(built, 'kv'),
      clock,
      log('distributor'),
      registry,
    );
    services.push(tracker);
    http.addStatusPage({
      path: '/distributor/ha_tracker',
      title: 'HA tracker',
      html: () => renderHaTrackerHtml(tracker.rows(), clock.now()),
      json: () => ({ elected: tracker.rows() }),
    });
    return tracker;
  });

  let localIngester: { ingester: Ingester; partition: number } | undefined;
  const tenantLimits = () => value<TenantLimits<typeof limitsSpec>>(built, 'runtime-config');

  // Classic mode writes over gRPC (and each ingester keeps its own WAL): no ingest log to open,
  // so no in-process WAL directory in a distributor or ingester that never uses it.
  const ingestLogDep = config.distributor.ingestMode === 'classic' ? [] : ['ingest-log'];

  component('distributor', ['ingester-ring', 'ingester-partition-ring', 'ingester-clients', ...ingestLogDep, 'ha-tracker'], () => {
    const c = config.distributor;
    const limits = tenantLimits();
    const partitions = value<PartitionRingWatcher>(built, 'ingester-partition-ring');
    // With the ingester in this process, answer with its refusals (out-of-order samples, series
    // limits) as classic mode does: wait for it to apply the records of its own partition.
    const appliedOutcome: AppliedOutcome = async (partition, offset) => {
      if (localIngester === undefined || localIngester.partition !== partition) return undefined;
      const r = await localIngester.ingester.whenApplied(offset);
      return r && { rejected: r.rejected, error: r.error };
    };
    let sink: SeriesSink;
    if (c.ingestMode === 'classic') {
      // Classic mode: push to replication-factor ingesters of the token ring over gRPC, quorum per series.
      const ring = value<Ring>(built, 'ingester-ring');
      sink = new ClassicSink(defaultClassicSinkConfig(), () => ring, value<IngesterClientPool>(built, 'ingester-clients'), log('distributor'), registry);
    } else {
      // Records cross a wire and a broker only with Kafka; the in-process log compresses nothing
      // itself, but keeps a body compressed as the client sent it (less to write to its segments).
      const inProcess = config.ingestStorage.backend !== 'kafka';
      const compressRecords = !inProcess && config.ingestStorage.kafka.recordCompression === 'snappy';
      sink = new IngestLogSink({ ...defaultIngestLogSinkConfig(), compressRecords, keepClientCompression: inProcess }, value<IngestLog>(built, 'ingest-log').producer(), () => partitions.ring(), clock, registry, appliedOutcome);
    }
    const distributor = new Distributor(
      {
        maxRecvMsgSizeBytes: c.maxRecvMsgSize,
        maxErrorsPerRequest: 10,
        otlp: {
          ...defaultOtlpTranslationConfig(),
          promoteResourceAttributes: c.otlp.promoteResourceAttributes,
          keepIdentifyingResourceAttributes: c.otlp.keepIdentifyingResourceAttributes,
        },
      },
      (tenant) => {
        const l = limits.forTenant(tenant);
        return { ...l, maxExemplarLabelsLength: 128 };
      },
      sink,
      value<HaTracker | undefined>(built, 'ha-tracker'),
      { cluster: c.haTracker.haClusterLabel, replica: c.haTracker.haReplicaLabel },
      clock,
      log('distributor'),
      registry,
    );
    // The write endpoints are plain handlers on the HTTP server's router (no Nest/Express per push).
    for (const mount of pushApiMounts(distributor, c.maxRecvMsgSize)) http.addApi(mount);
    grpc.addService(otlpMetricsServiceDefinition as unknown as ServiceDefinition, {
      Export: unaryHandler<Buffer, ExportMetricsServiceResult>(tenancy, log('distributor'), async (bytes, tenant) => {
        const partialSuccess = await distributor.pushOtlp(tenant, decodeExportMetricsRequestProtobuf(bytes));
        return { partialSuccess };
      }),
    });
    return distributor;
  });

  component('ingester', ['kv', ...ingestLogDep, 'bucket', 'ingester-ring', 'ingester-partition-ring'], () => {
    const ring = config.ingester.ring;
    let partitionId: number;
    try {
      partitionId = partitionIdFromInstanceId(instanceId(ring));
    } catch (err) {
      // One process owns the only partition; a cluster must name its ingesters ingester-zone-a-3.
      if (!singleProcess) throw err;
      partitionId = 0;
    }
    const classic = config.distributor.ingestMode === 'classic';
    const ingestLog = value<IngestLog>(built, 'ingest-log');
    const limits = tenantLimits();
    const partitions = value<PartitionRingWatcher>(built, 'ingester-partition-ring');
    const ingesterRing = value<Ring>(built, 'ingester-ring');
    // A tenant's global limit split over the shards that hold its series: partitions in
    // ingest-storage mode, ingesters (each holding RF copies' share) in classic mode.
    const localLimit = (global: number) => {
      if (global === 0) return 0;
      if (classic) {
        const ingesters = Math.max(1, Object.keys(ingesterRing.desc().instances).length);
        return Math.ceil((global * Math.min(ring.replicationFactor, ingesters)) / ingesters);
      }
      return Math.ceil(global / Math.max(1, partitions.ring().activePartitions().length));
    };
    const tsdb = config.blocksStorage.tsdb;
    const headConfig = { ...defaultHeadConfig(), blockRangeMs: tsdb.blockRangesPeriodMs, outOfOrderTimeWindowMs: config.ingester.outOfOrderTimeWindowMs };
    const shipper = new BlockShipper({ ...defaultBlockShipperConfig(), dataDir: tsdb.dir }, value<Bucket>(built, 'bucket'), clock, log('ingester'), registry);
    const compactor = new HeadCompactor(
      { blockRangeMs: tsdb.blockRangesPeriodMs, retentionPeriodMs: tsdb.retentionPeriodMs },
      shipper,
      clock,
      log('ingester'),
    );
    // Classic mode: the ingester's own write-ahead log, an in-process log in its data directory.
    const wal = classic
      ? new InProcessIngestLog({ ...defaultInProcessIngestLogConfig(), dir: join(tsdb.dir, 'wal'), fsync: config.ingestStorage.inProcess.fsync }, log('ingester'), new Registry())
      : undefined;
    const ingester = new Ingester(
      { ...defaultIngesterConfig(headConfig), headCompactionIntervalMs: tsdb.headCompactionIntervalMs, mode: classic ? 'classic' : 'ingest-log' },
      wal ? wal.consumer(0, 'ingester') : ingestLog.consumer(partitionId, instanceId(ring)),
      wal?.producer(),
      (tenant) => {
        const l = limits.forTenant(tenant);
        return { maxSeries: localLimit(l.maxGlobalSeriesPerUser), maxSeriesPerMetric: localLimit(l.maxGlobalSeriesPerMetric) };
      },
      new SnapshotDurability({ dir: join(tsdb.dir, 'snapshots'), intervalMs: tsdb.snapshotIntervalMs }, headConfig, clock, log('ingester')),
      compactor,
      clock,
      log('ingester'),
      registry,
    );
    if (!classic) localIngester = { ingester, partition: partitionId };
    const partitionLifecycler = classic
      ? undefined
      : new PartitionInstanceLifecycler(
          {
            ...defaultPartitionInstanceLifecyclerConfig(),
            instanceId: instanceId(ring),
            partitionId,
            minPendingMs: singleProcess ? 0 : 10_000,
            deleteInactivePartitionAfterMs: config.ingester.partitionRing.deleteInactivePartitionAfterMs,
          },
          value<KvStore>(built, 'kv'),
          clock,
          log('ingester'),
          registry,
        );
    http.addControllers(
      [IngesterController],
      [
        { provide: INGESTER, useValue: ingester },
        ...(partitionLifecycler ? [{ provide: INGESTER_PARTITION, useValue: partitionLifecycler }] : []),
      ],
    );
    const api = new IngesterGrpcApi(ingester, clock);
    registerIngesterService(grpc, api, log('ingester'));
    localIngesterApi = { address: instanceAddrOf(ring), api };
    (built.get('ingester-clients') as IngesterClientPool | undefined)?.setLocal(localIngesterApi.address, api);
    const before: Service[] = wal
      ? [new FunctionService('ingester-wal', { starting: () => wal.ensureTopic(1), stopping: () => wal.close() })]
      : // The partition must exist in the log before the ingester reads it and the ring routes writes to it.
        [new FunctionService('ingest-partition', { starting: () => ingestLog.ensureTopic(partitionId + 1) })];
    const membership: Service[] = [lifecycler('ingester', ring, built)];
    if (partitionLifecycler) membership.push(partitionLifecycler);
    return { before, service: ingester, membership };
  });

  /**
   * What a querier, or a ruler without a querier in its process, reads: ingesters (by the read
   * topology of the ingest mode) and blocks through the bucket-store caches, with pending series
   * deletions applied; and the engine settings of -querier.*. `closeCaches` closes the caches once
   * its component stopped.
   */
  const storageQueryable = (component: string) => {
    const c = config.querier;
    const storage: QuerierStorageConfig = {
      ...defaultQuerierStorageConfig(),
      queryIngestersWithinMs: c.queryIngestersWithinMs,
      queryStoreAfterMs: c.queryStoreAfterMs,
      syncDir: c.syncDir,
      indexCacheBytes: config.blocksStorage.bucketStore.indexCache.inmemory.maxSizeBytes,
      maxFetchedSeriesPerQuery: config.limits.maxFetchedSeriesPerQuery,
      maxFetchedChunksPerQuery: c.maxFetchedChunksPerQuery,
      maxFetchedChunkBytesPerQuery: c.maxFetchedChunkBytesPerQuery,
    };
    const ring = value<Ring>(built, 'ingester-ring');
    const partitions = value<PartitionRingWatcher>(built, 'ingester-partition-ring');
    const pool = value<IngesterClientPool>(built, 'ingester-clients');
    const topology =
      config.distributor.ingestMode === 'classic'
        ? new TokenRingReadTopology(() => ring)
        : new PartitionRingReadTopology(() => partitions.ring(), () => ring.snapshot(), clock);
    const bucket = value<Bucket>(built, 'bucket');
    // Block reads (chunks, indexes, bucket index, meta files) go through the bucket-store caches;
    // the series deletion store and the re-read after a vanished block go to the bucket itself.
    const blocksCaches = createBlocksCaches(blocksCacheBackendsOf(config.blocksStorage.bucketStore), log(component), registry);
    const cachedBucket = cachingBlocksBucket(bucket, blocksCaches.caches, blocksCachingConfigOf(config.blocksStorage.bucketStore), log(component), registry);
    const closeCaches = new FunctionService(`${component}-blocks-caches`, { stopping: () => blocksCaches.close() });
    const loader = new BucketIndexLoader(bucketIndexLoaderConfigOf(config.blocksStorage.bucketStore), cachedBucket, clock, log(component), registry);
    // The ingesters are also where metric metadata lives (`/api/v1/metadata`).
    const ingesters = new IngestersQueryable(storage, topology, pool, clock, log(component), registry);
    const queryable = new MergedQueryable(
      storage,
      ingesters,
      new BlocksQueryable(storage, cachedBucket, loader, clock, log(component), registry, bucket),
      log(component),
      registry,
    );
    // Pending series deletions hide their samples from queries at once; the compactor rewrites
    // the blocks later. The compactor below swaps in its own store when it runs in this process.
    queryable.setSeriesDeletions(new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), bucket, clock, log(component)));
    const engine = { ...defaultEngineConfig(), timeoutMs: c.timeoutMs, maxSamples: c.maxSamples, lookbackDeltaMs: c.lookbackDeltaMs, noStepSubqueryIntervalMs: c.defaultEvaluationIntervalMs };
    return { queryable, engine, closeCaches, metadata: ingesters };
  };

  let localQuerier: Querier | undefined;
  component('querier', ['ingester-ring', 'ingester-partition-ring', 'ingester-clients', 'bucket'], () => {
    const c = config.querier;
    const limits = tenantLimits();
    const { queryable, engine, closeCaches, metadata } = storageQueryable('querier');
    const querier = new Querier(
      {
        engine,
        api: defaultPromApiConfig(),
        limits: { ...defaultPromApiLimits(), cardinalityAnalysisEnabled: c.cardinalityAnalysisEnabled },
      },
      queryable,
      metadata,
      // Per tenant (runtime overrides): the series limit; the chunk limits are the querier's own.
      (tenant) => ({
        maxFetchedSeriesPerQuery: limits.forTenant(tenant).maxFetchedSeriesPerQuery,
        maxFetchedChunksPerQuery: c.maxFetchedChunksPerQuery,
        maxFetchedChunkBytesPerQuery: c.maxFetchedChunkBytesPerQuery,
      }),
      log('querier'),
      registry,
    );
    localQuerier = querier;
    // With a frontend in the same process the frontend owns the public API and calls this querier
    // directly; alone, the querier serves the API itself (for frontends pushing over HTTP) and
    // pulls queries from the frontends of -querier.frontend-address.
    if (!config.target.includes('query-frontend') && !singleProcess) {
      http.addApi({ prefixes: PROM_API_PREFIXES, paths: PROM_API_PATHS, handler: querier });
    }
    if (c.frontendAddress.length === 0 || singleProcess) return { before: [closeCaches], service: querier, membership: [] };
    const workers = new QuerierWorkers(
      {
        ...defaultQuerierWorkersConfig(),
        frontendAddresses: c.frontendAddress,
        maxConcurrent: c.maxConcurrent,
        querierId: c.id || hostname(),
        // Room for the message's other fields: a body this size still fits one gRPC message.
        maxResponseBytes: Math.max(1024, config.server.grpcMaxSendMsgSize - 65_536),
        gracefulShutdownTimeoutMs: config.server.gracefulShutdownTimeoutMs,
      },
      querier,
      (address) => new FrontendClient(address, { ...defaultFrontendClientConfig(), maxSendMessageBytes: config.server.grpcMaxSendMsgSize, maxRecvMessageBytes: config.server.grpcMaxRecvMsgSize }),
      dnsHostResolver,
      log('querier'),
      registry,
    );
    // The workers start once the querier runs and stop (finishing their queries) before it.
    return { before: [closeCaches], service: querier, membership: [workers] };
  });

  let localFrontend: QueryFrontend | undefined;
  // With the results cache on, the frontend reads each tenant's series deletion generation from the bucket.
  component('query-frontend', config.queryFrontend.cacheResults ? ['bucket'] : [], () => {
    const c = config.queryFrontend;
    let cache: Cache | undefined;
    if (c.cacheResults) {
      cache =
        c.resultsCacheBackend === 'redis'
          ? new RedisCache(
              {
                ...defaultRedisCacheConfig(),
                address: c.resultsCacheRedis.endpoint,
                password: c.resultsCacheRedis.password,
                db: c.resultsCacheRedis.db,
                keyPrefix: c.resultsCacheRedis.keyPrefix,
                timeoutMs: c.resultsCacheRedis.timeoutMs,
              },
              'frontend-results',
              log('query-frontend'),
              registry,
            )
          : new MemoryCache(defaultMemoryCacheConfig(), 'frontend-results', registry);
    }
    // Push to the queriers behind downstream_url, or to the querier of this process (built in any
    // order with the frontend; used once both run); otherwise queriers pull work over gRPC.
    let scheduler: QueryScheduler;
    const queue = { maxConcurrent: c.querierConcurrency, maxOutstandingPerTenant: c.maxOutstandingPerTenant, queueTimeoutMs: c.queueTimeoutMs };
    if (c.downstreamUrl !== '') scheduler = new PushScheduler(queue, httpDownstream(c.downstreamUrl));
    else if (singleProcess || config.target.includes('querier')) {
      const local: Downstream = (req) => localQuerier!.handle(req);
      scheduler = new PushScheduler(queue, local);
    } else {
      const pool = new QuerierWorkerPool({ maxOutstandingPerTenant: c.maxOutstandingPerTenant, queueTimeoutMs: c.queueTimeoutMs }, log('query-frontend'), registry);
      registerFrontendService(grpc, pool, log('query-frontend'));
      scheduler = pool;
    }
    const limits = tenantLimits();
    const frontend = new QueryFrontend(
      {
        ...defaultQueryFrontendConfig(),
        splitQueriesByIntervalMs: c.splitQueriesByIntervalMs,
        alignQueriesWithStep: c.alignQueriesWithStep,
        cacheResults: c.cacheResults,
        resultsCacheTtlMs: c.resultsCacheTtlMs,
        maxCacheFreshnessMs: c.maxCacheFreshnessMs,
      },
      scheduler,
      cache,
      (tenant) => {
        const l = limits.forTenant(tenant);
        return { maxQueryLengthMs: l.maxQueryLengthMs, maxQueryLookbackMs: l.maxQueryLookbackMs };
      },
      log('query-frontend'),
      registry,
    );
    // Cached results are keyed on the tenant's series deletion generation, read from the bucket
    // (the compactor below swaps in its own store when it runs in this process).
    if (cache) frontend.handler.setSeriesDeletions(new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), value<Bucket>(built, 'bucket'), clock, log('query-frontend')));
    localFrontend = frontend;
    http.addApi({ prefixes: PROM_API_PREFIXES, paths: PROM_API_PATHS, handler: frontend.handler, requestHeaders: [QUERY_STATS_HEADER] });
    const closeCache = cache ? [new FunctionService('frontend-results-cache', { stopping: () => cache!.close() })] : [];
    return { before: closeCache, service: frontend, membership: [] };
  });

  component('compactor', ['kv', 'bucket', 'runtime-config'], () => {
    const c = config.compactor;
    const ring = ringClient('compactor', c.ring, built);
    const membership = lifecycler('compactor', c.ring, built);
    const limits = tenantLimits();
    const bucket = value<Bucket>(built, 'bucket');
    const cleaner = new BlocksCleaner(
      { deletionDelayMs: c.deletionDelayMs, partialBlockDeletionDelayMs: c.partialBlockDeletionDelayMs },
      bucket,
      (tenant) => limits.forTenant(tenant).compactorBlocksRetentionPeriodMs,
      clock,
      log('compactor'),
      registry,
    );
    // A tenant (its index, retention, deletions) and each job belong to the one ACTIVE compactor
    // owning their hash on the compactor ring.
    const owns = (key: string | number) => {
      try {
        const set = ring.get(typeof key === 'string' ? tenantHashSeed(key) : key >>> 0, Operation.Write, 1);
        return set.instances[0]?.id === membership.id;
      } catch {
        return false; // no ACTIVE compactor yet (this one is still joining)
      }
    };
    // Series deletion (delete_series): requests in the bucket, applied by every job, rewritten into the blocks no job takes.
    const deletionStore = new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), bucket, clock, log('compactor'));
    const deletions = new SeriesDeletions(defaultSeriesDeletionsConfig(), deletionStore, clock, log('compactor'), registry);
    const runner = new CompactionJobRunner({ workDir: c.dataDir }, bucket, clock, log('compactor'), registry, deletionStore);
    const compactor = new Compactor(
      { compactionIntervalMs: c.compactionIntervalMs, planner: compactionPlannerConfigOf(c) },
      bucket,
      cleaner,
      runner,
      owns,
      clock,
      log('compactor'),
      registry,
      () => {
        try {
          return ring.desc().instances[membership.id]?.state === 'ACTIVE';
        } catch {
          return false;
        }
      },
      deletions,
    );
    http.addControllers(
      [CompactorController, SeriesDeletionController],
      [
        { provide: COMPACTOR, useValue: compactor },
        { provide: SERIES_DELETION_API, useValue: new SeriesDeletionApi(deletions, clock, log('compactor')) },
      ],
    );
    // A querier of this process (built before the compactor in the all-in-one target) reads the
    // requests through this store, so a request taken here is applied by its next query.
    if (localQuerier?.queryable instanceof MergedQueryable) localQuerier.queryable.setSeriesDeletions(deletionStore);
    // Likewise the frontend's results cache: a request taken here retires the cached answers at once.
    if (config.queryFrontend.cacheResults) localFrontend?.handler.setSeriesDeletions(deletionStore);
    return { service: compactor, membership: [membership] };
  });

  // The ruler and the alert-router advertise their HTTP address in their rings: rulers gather each
  // other's rule state over HTTP, alert-routers forward a tenant's requests to its owner.
  const runsHere = (name: (typeof COMPONENTS)[number]) => singleProcess || config.target.includes(name);
  const httpRing = (ring: RingConfigSection): RingConfigSection => ({
    ...ring,
    instanceAddr: ring.instanceAddr || `${defaultInstanceAddr()}:${config.server.httpListenPort}`,
  });

  let localAlertRouterApi: AlertRouterHttpApi | undefined;
  component('alert-router', ['kv', 'bucket'], () => {
    const c = config.alertRouter;
    const ring = ringClient('alert-router', c.ring, built);
    const membership = lifecycler('alert-router', httpRing(c.ring), built);
    const limits = tenantLimits();
    const fallbackConfig = c.fallbackConfigFile ? readFileSync(c.fallbackConfigFile, 'utf8') : DEFAULT_FALLBACK_CONFIG;
    // A tenant lives on the replication-factor first instances of its token; the first sends.
    const placement = new AlertRouterPlacement({ instanceId: membership.id, replicationFactor: c.ring.replicationFactor }, ring);
    const peers = new AlertRouterPeers({ instanceId: membership.id, timeoutMs: c.replicationTimeoutMs }, placement, log('alert-router'), registry);
    const router = new AlertRouter(
      log('alert-router'),
      registry,
      {
        ...defaultAlertRouterConfig(),
        fallbackConfig,
        persistIntervalMs: c.persistIntervalMs,
        // A previous sender still alive stops at its next ring check at the latest.
        handoverTimeoutMs: 2 * c.ringCheckPeriodMs,
        tenant: { ...defaultTenantConfig(), externalUrl: c.externalUrl.replace(/\/+$/, '') || `http://${hostname()}:${config.server.httpListenPort}/alertmanager` },
      },
      {
        clock,
        stateStore: new BucketAlertRouterStateStore(new PrefixedBucket(value<Bucket>(built, 'bucket'), '__alertmanager__')),
        limitsFor: (tenant) => {
          const l = limits.forTenant(tenant);
          return { maxConfigSizeBytes: l.alertmanagerMaxConfigSizeBytes, maxTemplatesCount: l.alertmanagerMaxTemplatesCount };
        },
        replication: peers,
      },
    );
    const sharding = new AlertRouterSharding({ instanceId: membership.id, checkPeriodMs: c.ringCheckPeriodMs }, placement, router, clock, log('alert-router'));
    const api = new AlertRouterHttpApi({ instanceId: membership.id, forwardTimeoutMs: 30_000 }, router, placement, log('alert-router'));
    localAlertRouterApi = api;
    http.addRawBodyPaths(ALERT_ROUTER_BODY_PATHS);
    http.addControllers([AlertRouterController], [{ provide: ALERT_ROUTER_HTTP_API, useValue: api }]);
    // The instance joins the ring once its router runs, and the sharding loop keeps the tenants
    // held here in line with the ring; on stop the instance leaves the ring first (its replicas
    // take over), then writes the state of the tenants it was sending.
    return { service: router, membership: [membership, sharding] };
  });

  component(
    'ruler',
    ['kv', 'bucket', 'ingester-ring', 'ingester-partition-ring', 'ingester-clients', ...(['distributor', 'querier', 'alert-router'] as const).filter(runsHere)],
    () => {
      const c = config.ruler;
      const ring = ringClient('ruler', c.ring, built);
      const membership = lifecycler('ruler', httpRing(c.ring), built);
      const limits = tenantLimits();
      const bucket = value<Bucket>(built, 'bucket');
      // Rule groups keep Mimir's ruler-storage layout (rules/<tenant>/…) below a name no tenant can have.
      const store = new RuleStore(new PrefixedBucket(bucket, '__ruler__'), log('ruler'));

      // Rules query storage directly, as Mimir's ruler does by default: the querier of this process
      // when there is one, otherwise a queryable and an engine of the ruler's own.
      let engine: Engine;
      let queryable: Queryable;
      const closeCaches: Service[] = [];
      if (localQuerier) {
        engine = localQuerier.engine;
        queryable = localQuerier.queryable;
      } else {
        const own = storageQueryable('ruler');
        queryable = own.queryable;
        engine = new Engine(own.engine);
        closeCaches.push(own.closeCaches);
      }

      // Rule output goes through the distributor's write path: in process when the distributor runs
      // here, otherwise remote write 1.0 to -ruler.distributor-url.
      let write: WriteRequestSender;
      if (runsHere('distributor')) {
        const distributor = value<Distributor>(built, 'distributor');
        write = async (tenant, body) => {
          const result = await distributor.pushBody(tenant, 1, body, 'ruler');
          if (result.error) throw result.error;
        };
      } else if (c.distributorUrl !== '') {
        write = httpRemoteWriteSender({ url: c.distributorUrl, timeoutMs: c.remoteWriteTimeoutMs });
      } else {
        throw new ValidationError(
          'ruler_no_distributor',
          `-target=${config.target.join(',')} runs the ruler without a distributor: set -ruler.distributor-url to the distributors' base URL (e.g. http://distributor:8080) so recording rules and ALERTS can be written`,
        );
      }

      // Alerts go to -ruler.alertmanager-url when set, else to the alert-router of this process.
      const senders: AlertSender[] = c.alertmanagerUrl.map((u) => httpAlertSender(u));
      if (senders.length === 0 && localAlertRouterApi) {
        const api = localAlertRouterApi;
        senders.push({
          name: 'alert-router (in process)',
          send: async (tenant, alerts) => {
            const res = await api.handle('alertmanager', tenant, { method: 'POST', path: '/api/v2/alerts', query: new URLSearchParams(), body: postableAlertsJson(alerts) });
            if (res.status !== 200) throw new UnavailableError('alertmanager_refused', `the alert-router refused the alerts with ${res.status}: ${res.body.trim()}`, { tenant });
          },
        });
      }
      if (senders.length === 0) log('ruler').warn('no alertmanager to send alerts to: set -ruler.alertmanager-url or run the alert-router in this process');
      const notifier = new AlertNotifier(
        { ...defaultAlertNotifierConfig(), queueCapacity: c.notificationQueueCapacity, timeoutMs: c.notificationTimeoutMs },
        senders,
        log('ruler'),
        registry,
      );

      const manager = new RulerManager(
        {
          pollIntervalMs: c.pollIntervalMs,
          evaluation: {
            ...defaultRuleGroupEvaluatorConfig(),
            defaultEvaluationIntervalMs: c.evaluationIntervalMs,
            resendDelayMs: c.resendDelayMs,
            outageToleranceMs: c.forOutageToleranceMs,
            forGracePeriodMs: c.forGracePeriodMs,
            externalURL: c.externalUrl,
          },
        },
        { store, engine, queryable, sink: new RemoteWriteSampleSink(write), notifier, clock },
        log('ruler'),
        registry,
      );
      const ownership = new RulerRingOwnership({ instanceId: membership.id, checkPeriodMs: c.ringCheckPeriodMs }, ring, () => manager.requestSync(), clock, log('ruler'));
      manager.setOwnedGroups((tenant, namespace, group) => ownership.owns(tenant, namespace, group));

      const api = new RulerHttpApi(
        {
          store,
          local: manager,
          peers: () => {
            const snap = ring.snapshot();
            const now = clock.now();
            return Object.entries(snap.desc.instances)
              .filter(([id]) => id !== membership.id && snap.isHealthy(id, RULER_READ_OP, now))
              .map(([, inst]) => inst.addr);
          },
          limits: (tenant) => {
            const l = limits.forTenant(tenant);
            return { maxRulesPerRuleGroup: l.rulerMaxRulesPerRuleGroup, maxRuleGroupsPerTenant: l.rulerMaxRuleGroupsPerTenant };
          },
          peerTimeoutMs: 30_000,
        },
        log('ruler'),
      );
      // Rule groups are read as sent, whatever the Content-Type (as Mimir does).
      http.addRawBodyPaths([...RULER_BODY_PATHS]);
      http.addControllers([RulerController], [{ provide: RULER_HTTP_API, useValue: api }]);

      // The instance joins the ring once the manager runs; the ownership check then hands it its
      // groups. On stop it leaves the ring first: from then on its evaluators skip every slot (they
      // ask the ring before each evaluation) while another ruler takes the groups over, so no group
      // is evaluated twice. Queued alerts go out after the groups stopped.
      const notifierService = new FunctionService('ruler-notifier', { stopping: () => notifier.stop() });
      return { before: [notifierService, ...closeCaches], service: manager, membership: [membership, ownership] };
    },
  );

  register('all', [...COMPONENTS], () => null, true);

  const modules = await graph.init(config.target);
  return { services, http, grpc, modules };
}

function tokenRingPage(name: string, ring: Ring, heartbeatTimeoutMs: number, clock: Clock): StatusPage {
  const path = `/${name}/ring`;
  const title = `${name[0].toUpperCase()}${name.slice(1)} ring`;
  return {
    path,
    title,
    html: () => renderRingHtml(ring.desc(), clock.now(), heartbeatTimeoutMs, { title, forgetAction: path }),
    json: () => ({ shards: renderRingJson(ring.desc(), clock.now(), heartbeatTimeoutMs) }),
    forget: async (id) => void (await ring.forget(id)),
  };
}

