import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { BlockReader } from '@panoptes/block-formats';
import { type Bucket, FilesystemBucket, S3Bucket, ScratchS3Bucket, defaultFilesystemBucketConfig, listAll } from '@panoptes/bucket';
import { BucketIndexLoader, defaultBucketIndexLoaderConfig, downloadBlock, readBucketIndex } from '@panoptes/bucket-index';
import { SystemClock, seededRandom } from '@panoptes/common';
import { BlocksCleaner, CompactionJobRunner, Compactor, defaultCompactionPlannerConfig } from '@panoptes/compactor';
import { BlockShipper, tenantExternalLabels } from '@panoptes/ingester';
import { nopLogger } from '@panoptes/log';
import { Engine, defaultEngineConfig, formatGoFloat, type QueryResult } from '@panoptes/promql';
import { seriesHash53OfLabels } from '@panoptes/proto';
import { BlocksQueryable, defaultQuerierStorageConfig, type QuerierStorageConfig } from '@panoptes/querier';
import { ManagedProcess, describeWithService, describeWithTool, freePort, promtool, stopAllPeers, uniqueName } from '@panoptes/testing';
import { Head, defaultHeadConfig } from '@panoptes/tsdb';

// Issue 6, the compactor's "must show" proofs:
// 1. Three ingesters with RF=3 write the same data; after compaction there is one block per range
//    holding exactly the samples of one copy (Prometheus's own `promtool tsdb dump` and `promtool
//    tsdb analyze` read it), and PromQL answers the same before (over the three copies,
//    deduplicated at query time) and after.
// 2. The compactor (its own OS process, bin/panoptes -target=compactor, on MinIO) is killed with -9
//    at random points 20 times and restarted each time; the querier's read path (bucket index,
//    blocks queryable, engine) never fails and never answers differently, neither after a kill nor
//    while the compactor runs. Then the compactor finishes: one block per range, the sources
//    deleted after the deletion delay, nothing else left in the bucket.
// The querier side of 2 runs in this process (its bucket-index and deletion-mark delays must be
// scaled down with the compactor's deletion delay; the querier process has no flags for them).

const H = 3_600_000;
const STEP = 15_000;

type LabelSet = Record<string, string>;

interface Series {
  labels: LabelSet;
  /** Scrape times, ms, increasing. */
  ts: number[];
  vs: number[];
}

/**
 * What a Prometheus scraping a few services sends over `windows` 2 h windows from `base`: request
 * counters (one resets halfway), a latency histogram, gauges, `up`, a pod that goes away in the
 * first window and one that appears in the last. Each target scrapes at its own offset with a
 * few ms of jitter (all series of one scrape share its timestamp). Deterministic.
 */
function workload(base: number, windows: number): Series[] {
  const end = base + windows * 2 * H;
  const rnd = seededRandom(6);
  const out: Series[] = [];
  const add = (labels: LabelSet, from: number, to: number, offset: number, value: (k: number, prev: number) => number) => {
    const s: Series = { labels, ts: [], vs: [] };
    let v = 0;
    for (let t = from + offset, k = 0; t < to; t += STEP, k++) {
      s.ts.push(t + ((offset + k * 7) % 5));
      s.vs.push((v = value(k, v)));
    }
    out.push(s);
  };
  const resetAt = Math.floor((windows * 2 * H) / STEP / 2) + 13;
  for (const job of ['api', 'checkout']) {
    for (const [i, instance] of ['pod-a', 'pod-b', 'pod-c'].entries()) {
      const offset = 1_000 + i * 4_000 + (job === 'api' ? 0 : 500);
      // pod-c of checkout goes away before the end of the first window; pod-d replaces it at the end.
      const [from, to] = job === 'checkout' && instance === 'pod-c' ? [base, base + 2 * H - 7 * STEP] : [base, end];
      const target = { job, instance };
      add({ __name__: 'up', ...target }, from, to, offset, () => 1);
      for (const code of ['200', '500']) {
        const rate = code === '200' ? 40 : 0.4;
        add({ __name__: 'http_requests_total', ...target, code }, from, to, offset, (k, prev) =>
          job === 'api' && instance === 'pod-a' && k === resetAt ? 3 : prev + Math.round(rate * 15 * (0.5 + rnd())),
        );
      }
      const increments: number[] = [];
      for (let k = 0; k * STEP < to - from; k++) increments.push(Math.round(600 * (0.5 + rnd())));
      ['0.05', '0.1', '0.25', '1', '+Inf'].forEach((le, j) => {
        const share = le === '+Inf' ? 1 : Math.min(1, 1 - Math.exp(-Number(le) / 0.12) + j * 1e-3);
        add({ __name__: 'http_request_duration_seconds_bucket', ...target, le }, from, to, offset, (k, prev) => prev + Math.floor(increments[k] * share));
      });
      add({ __name__: 'http_request_duration_seconds_sum', ...target }, from, to, offset, (k, prev) => prev + increments[k] * 0.11 * (0.8 + 0.4 * rnd()));
      add({ __name__: 'process_resident_memory_bytes', ...target }, from, to, offset, (_k, prev) => Math.max(1 << 20, (prev || 200 << 20) + Math.round((rnd() - 0.5) * 64) * 4096));
    }
    add({ __name__: 'up', job, instance: 'pod-d' }, end - 2 * H + 11 * STEP, end, 9_000, () => 1);
    add({ __name__: 'http_requests_total', job, instance: 'pod-d', code: '200' }, end - 2 * H + 11 * STEP, end, 9_000, (_k, prev) => prev + 600);
  }
  return out;
}

/**
 * One ingester of the tenant: a head receiving every sample (with RF=3 each replica gets the same
 * series), scrapes in time order; when a 2 h window is over its block is cut, the head truncated,
 * and the ingester's own shipper uploads the blocks (meta.json with `__org_id__`, source
 * `receive`). `chunkMaxSamples` differs for one replica so its chunks do not line up with the
 * others' (a replica that restarted and replayed its WAL cuts chunks elsewhere): those overlaps
 * are merged sample by sample, not dropped as exact copies. Returns the uploaded block IDs.
 */
async function ingesterUploads(tenant: string, series: Series[], base: number, windows: number, dataDir: string, bucket: Bucket, chunkMaxSamples: number): Promise<string[]> {
  const head = new Head({ ...defaultHeadConfig(), chunkMaxSamples }, tenant, nopLogger, new Registry());
  // A series' ref is looked up at each append: truncation drops series that have no samples yet.
  const keys = series.map((s) => {
    const names = Object.keys(s.labels).sort();
    const values = names.map((n) => s.labels[n]);
    return { hash: seriesHash53OfLabels(names, values), names, values };
  });
  const shipper = new BlockShipper({ dataDir }, bucket, new SystemClock(), nopLogger, new Registry());
  const next = series.map(() => 0);
  for (let w = 0; w < windows; w++) {
    const windowEnd = base + (w + 1) * 2 * H;
    for (let more = true; more; ) {
      more = false;
      const app = head.appender();
      series.forEach((s, i) => {
        if (next[i] < s.ts.length && s.ts[next[i]] < windowEnd) {
          app.append(head.getOrCreateSeries(keys[i].hash, keys[i].names, keys[i].values), s.ts[next[i]], s.vs[next[i]]);
          next[i]++;
          more = true;
        }
      });
      expect(app.commit().error).toBeUndefined();
    }
    await head.cutBlock(windowEnd - 2 * H, windowEnd, shipper.blocksDir(tenant), { externalLabels: tenantExternalLabels(tenant) });
    head.truncate(windowEnd);
  }
  const shipped = await shipper.ship(tenant);
  expect(shipped.failed).toEqual([]);
  return shipped.uploaded;
}

/** Three ingesters (the third cutting 90-sample chunks) upload the same series; returns every block ID. */
async function replicaUploads(tenant: string, series: Series[], base: number, windows: number, dir: string, bucket: Bucket): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, chunkMaxSamples] of [120, 120, 90].entries()) {
    ids.push(...(await ingesterUploads(tenant, series, base, windows, join(dir, `ingester-${i}`), bucket, chunkMaxSamples)));
  }
  return ids;
}

/** Range queries of the comparisons: raw selectors, rates, aggregations, histogram quantiles, over-time functions. */
const QUERIES = [
  'up',
  'http_requests_total',
  'rate(http_requests_total[5m])',
  'sum by (job) (rate(http_requests_total{code="200"}[5m]))',
  'sum by (job, code) (increase(http_requests_total[1h]))',
  'resets(http_requests_total[30m])',
  'histogram_quantile(0.9, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))',
  'sum by (job) (rate(http_request_duration_seconds_sum[10m])) / sum by (job) (rate(http_request_duration_seconds_bucket{le="+Inf"}[10m]))',
  'max_over_time(process_resident_memory_bytes[20m])',
  'topk(2, avg by (instance) (process_resident_memory_bytes))',
  'count by (job) (up)',
  'absent_over_time(up{instance="pod-c", job="checkout"}[10m])',
];

/** A result as the HTTP API prints it: labels, then every point's time and Go-formatted value. */
function printable(r: QueryResult): unknown {
  const v = r.value;
  if (v.resultType !== 'matrix') throw new Error(`range query gave ${v.resultType}`);
  return {
    warnings: r.warnings,
    infos: r.infos,
    series: v.result.map((s) => ({ labels: s.labels.map(([n, x]) => `${n}=${x}`).join(','), points: Array.from(s.ts, (t, i) => `${t} ${formatGoFloat(s.vs[i])}`) })),
  };
}

/** The querier's read path over a bucket: bucket index loader, blocks queryable, PromQL engine. */
class QueryPath {
  private readonly queryable: BlocksQueryable;
  private readonly engine = new Engine(defaultEngineConfig());

  constructor(bucket: Bucket, storage: Partial<QuerierStorageConfig>, loaderUpdateIntervalMs: number) {
    const clock = new SystemClock();
    const loader = new BucketIndexLoader({ ...defaultBucketIndexLoaderConfig(), updateIntervalMs: loaderUpdateIntervalMs, maxStalePeriodMs: 0 }, bucket, clock, nopLogger, new Registry());
    this.queryable = new BlocksQueryable({ ...defaultQuerierStorageConfig(), ...storage }, bucket, loader, clock, nopLogger, new Registry());
  }

  /** Every query of QUERIES over [start, end] at `stepMs`; a failed query's entry is its error. */
  async run(tenant: string, start: number, end: number, stepMs: number): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const q of QUERIES) {
      out.set(
        q,
        await this.engine.rangeQuery(this.queryable, tenant, q, start, end, stepMs).then(printable, (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) })),
      );
    }
    return out;
  }
}

/** Query keys whose answer differs from the reference, with the first characters of the answer. */
function differences(reference: Map<string, unknown>, got: Map<string, unknown>): string[] {
  return [...reference.keys()].filter((k) => JSON.stringify(got.get(k)) !== JSON.stringify(reference.get(k))).map((k) => `${k}: ${JSON.stringify(got.get(k)).slice(0, 200)}`);
}

/** Block directory names under the tenant in the bucket. */
async function blockDirsIn(bucket: Bucket, tenant: string): Promise<string[]> {
  return (await listAll(bucket, `${tenant}/`))
    .map((k) => k.slice(tenant.length + 1).replace(/\/$/, ''))
    .filter((p) => /^[0-9A-Z]{26}$/.test(p))
    .sort();
}

describeWithTool('promtool', 'compaction of RF=3 ingester blocks', () => {
  /** Old enough for the querier's store range and for every planner window to be closed. */
  const BASE = Date.UTC(2025, 0, 6);
  const WINDOWS = 3;
  const END = BASE + WINDOWS * 2 * H;
  const TENANT = 'team-rf';
  let dir: string;
  let series: Series[];
  /** `promtool tsdb dump` of one ingester's blocks, per 2 h window. */
  const oneCopy: string[][] = [];
  let oneCopyResults: Map<string, unknown>;
  let oneCopySamples: number;

  /** promtool opens the directory as a Prometheus data dir (read-only): it needs a `wal/`, empty here. */
  const dump = async (db: string, minT: number, maxT: number): Promise<string[]> => {
    mkdirSync(join(db, 'wal'), { recursive: true });
    const res = await promtool(['tsdb', 'dump', `--min-time=${minT}`, `--max-time=${maxT}`, db], { timeoutMs: 60_000, maxOutputBytes: 256 << 20 });
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    return res.stdout.trim().split('\n').sort();
  };
  const query = (bucket: Bucket, syncDir: string) => new QueryPath(bucket, { syncDir }, 0).run(TENANT, BASE, END, 60_000);

  const compactorFor = (bucket: Bucket, workDir: string, blockRangesMs: number[]): Compactor => {
    const clock = new SystemClock();
    const registry = new Registry();
    // Deletion delay 0: the sources go in the same cycle, so the bucket shows the final layout.
    const cleaner = new BlocksCleaner({ deletionDelayMs: 0, partialBlockDeletionDelayMs: 0 }, bucket, () => 0, clock, nopLogger, registry);
    const runner = new CompactionJobRunner({ workDir }, bucket, clock, nopLogger, registry);
    const planner = { ...defaultCompactionPlannerConfig(), blockRangesMs, firstLevelCompactionWaitPeriodMs: 0 };
    return new Compactor({ compactionIntervalMs: 60_000, planner }, bucket, cleaner, runner, () => true, clock, nopLogger, registry);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-compactor-rf-'));
    series = workload(BASE, WINDOWS);
    oneCopySamples = series.reduce((n, s) => n + s.ts.length, 0);
    // The reference: one ingester's blocks alone, read by promtool and by the querier.
    const single = new FilesystemBucket({ ...defaultFilesystemBucketConfig(), dir: join(dir, 'one-copy') });
    const ids = await ingesterUploads(TENANT, series, BASE, WINDOWS, join(dir, 'one-copy-ingester'), single, 120);
    const db = join(dir, 'one-copy-db');
    for (const id of ids) cpSync(join(dir, 'one-copy-ingester', 'tenants', TENANT, 'blocks', id), join(db, id), { recursive: true });
    for (let w = 0; w < WINDOWS; w++) oneCopy.push(await dump(db, BASE + w * 2 * H, BASE + (w + 1) * 2 * H - 1));
    await compactorFor(single, join(dir, 'one-copy-work'), [2 * H]).cleaner.clean(TENANT); // writes its bucket index
    oneCopyResults = await query(single, join(dir, 'one-copy-sync'));
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the reference copy holds every generated sample once, and every query of the set finds data in it', () => {
    expect(oneCopy.flat()).toHaveLength(oneCopySamples);
    expect(new Set(oneCopy.flat()).size).toBe(oneCopySamples);
    for (const q of QUERIES) {
      const r = oneCopyResults.get(q) as { series: { points: string[] }[] };
      expect({ q, points: r.series.reduce((n, s) => n + s.points.length, 0) > 0 }).toEqual({ q, points: true });
    }
  });

  it.each([
    { name: 'ranges 2h: one vertical job per 2 h range', ranges: [2 * H], blocks: WINDOWS, level: 2 },
    { name: 'ranges 2h,12h,24h (the default): vertical jobs, then one 12 h merge', ranges: defaultCompactionPlannerConfig().blockRangesMs, blocks: 1, level: 3 },
  ])('$name leaves one block per range holding exactly one copy of the samples, and queries answer as before', async ({ ranges, blocks, level }) => {
    const t0 = Date.now();
    const root = mkdtempSync(join(dir, 'run-'));
    const bucket = new FilesystemBucket({ ...defaultFilesystemBucketConfig(), dir: join(root, 'bucket') });
    const uploaded = await replicaUploads(TENANT, series, BASE, WINDOWS, root, bucket);
    expect(uploaded).toHaveLength(3 * WINDOWS);
    const compactor = compactorFor(bucket, join(root, 'work'), ranges);
    await compactor.cleaner.clean(TENANT);

    // Before: the querier reads the nine overlapping blocks and the engine merges the replicas.
    const before = await query(bucket, join(root, 'sync-before'));
    expect(before).toEqual(oneCopyResults);

    await compactor.runCycle();

    // After: only the compacted blocks are left, in the bucket and in its index.
    const index = await readBucketIndex(bucket, TENANT);
    expect(index.blockDeletionMarks).toEqual([]);
    expect(index.blocks).toHaveLength(blocks);
    expect(await blockDirsIn(bucket, TENANT)).toEqual(index.blocks.map((b) => b.id).sort());
    const largest = ranges[ranges.length - 1];
    for (const b of index.blocks) {
      expect(b).toMatchObject({ compactionLevel: level, source: 'compactor' });
      expect(Math.floor(b.minTime / largest)).toBe(Math.floor((b.maxTime - 1) / largest));
    }

    // promtool reads each output block and finds exactly the reference copy's samples, once each.
    const db = join(root, 'db');
    mkdirSync(db);
    let samples = 0;
    for (const b of index.blocks) {
      await downloadBlock(bucket, TENANT, b.id, join(db, b.id));
      samples += (await BlockReader.open(join(db, b.id))).meta.stats.numSamples;
      const analyze = await promtool(['tsdb', 'analyze', db, b.id], { timeoutMs: 60_000 });
      expect({ code: analyze.code, stderr: analyze.stderr }).toEqual({ code: 0, stderr: '' });
      expect(analyze.stdout).toContain(`Block ID: ${b.id}`);
    }
    expect(samples).toBe(oneCopySamples);
    expect(readdirSync(db).filter((n) => n !== 'wal').sort()).toEqual(index.blocks.map((b) => b.id).sort());
    for (let w = 0; w < WINDOWS; w++) {
      expect(await dump(db, BASE + w * 2 * H, BASE + (w + 1) * 2 * H - 1)).toEqual(oneCopy[w]);
    }

    // After: the same answers, point for point.
    expect(await query(bucket, join(root, 'sync-after'))).toEqual(before);
    console.log(`compactor-replicas: ${ranges.length} range(s): ${uploaded.length} ingester blocks -> ${index.blocks.length} in ${Date.now() - t0} ms (ingest, compaction, checks)`);
  }, 120_000);
});

// ---- 2: kill -9 ---------------------------------------------------------------------------------

const SEED = Number(process.env.PANOPTES_E2E_SEED ?? Date.now() % 1_000_000);
const KILLS = Number(process.env.PANOPTES_E2E_COMPACTOR_KILLS ?? 20);
/** A kill lands this long (uniformly random) after the compactor answered /ready, ms. */
const MAX_KILL_DELAY_MS = Number(process.env.PANOPTES_E2E_COMPACTOR_MAX_KILL_DELAY_MS ?? 2000);
/**
 * The delays, scaled down together as production's (compactor 12 h, querier 1 h and 15 min): a
 * block is deleted DELETION_DELAY_MS after its mark; the querier stops reading a marked block
 * IGNORE_MARKS_DELAY_MS after the mark and re-reads the bucket index at every query. A mark
 * reaches the bucket index only when the compactor's round of jobs is over (a few seconds here),
 * so the deletion delay must exceed a round, the compaction interval and the ignore delay.
 */
const DELETION_DELAY_MS = 20_000; // rounds take seconds, more on a loaded CI machine
const IGNORE_MARKS_DELAY_MS = 1_000;
const ROOT = join(__dirname, '..', '..', '..');

describeWithService('s3', 'compactor process killed with -9 at random points while the read path answers', (env) => {
  /** Ranges 2h, 4h, 8h: vertical jobs, then two stages of merges, in small rounds of jobs. */
  const RANGES = '2h,4h,8h';
  /** An 8 h-aligned start two days ago: every planner window is closed. */
  const START = Math.floor((Date.now() - 48 * H) / (8 * H)) * 8 * H;
  /** 8 h of data (4 vertical, 2 + 1 merge jobs) and 4 h (2 vertical, 1 merge). */
  const TENANTS = [
    { tenant: 'kill-8h', windows: 4, level: 4 },
    { tenant: 'kill-4h', windows: 2, level: 3 },
  ];
  const scratch = new ScratchS3Bucket(env, uniqueName('compactor-kill'));
  let bucket: S3Bucket | undefined;
  let dir: string;
  let reader: QueryPath;
  const reference = new Map<string, Map<string, unknown>>();
  const sources = new Map<string, string[]>();
  const oneCopySamples = new Map<string, number>();
  let compactor: ManagedProcess | undefined;
  const outputs: string[] = [];

  const queryAll = async (): Promise<Map<string, Map<string, unknown>>> => {
    const out = new Map<string, Map<string, unknown>>();
    for (const { tenant, windows } of TENANTS) out.set(tenant, await reader.run(tenant, START, START + windows * 2 * H, 120_000));
    return out;
  };
  const allDifferences = (got: Map<string, Map<string, unknown>>): string[] => TENANTS.flatMap(({ tenant }) => differences(reference.get(tenant)!, got.get(tenant)!).map((d) => `${tenant} ${d}`));

  /** bin/panoptes -target=compactor on MinIO, its delays scaled down; resolves once /ready answers. */
  const startCompactor = async (): Promise<number> => {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'panoptes', 'src', 'main.js'))) throw new Error('the binaries are not built; run `npm run build` (npm test does it first)');
    const port = await freePort();
    const t0 = Date.now();
    compactor = ManagedProcess.start({
      name: `compactor:${port}`,
      command: join(ROOT, 'bin', 'panoptes'),
      args: [
        '-target=compactor',
        '-server.http-listen-address=127.0.0.1',
        `-server.http-listen-port=${port}`,
        '-server.grpc-listen-address=127.0.0.1',
        '-server.grpc-listen-port=0',
        '-common.storage.backend=s3',
        `-common.storage.s3.endpoint=${env.endpoint}`,
        `-common.storage.s3.region=${env.region}`,
        `-common.storage.s3.bucket-name=${scratch.name}`,
        `-common.storage.s3.access-key-id=${env.accessKeyId}`,
        `-common.storage.s3.secret-access-key=${env.secretAccessKey}`,
        `-compactor.data-dir=${join(dir, 'compactor')}`,
        '-compactor.compaction-interval=1s',
        `-compactor.block-ranges=${RANGES}`,
        `-compactor.deletion-delay=${DELETION_DELAY_MS / 1000}s`,
        '-compactor.partial-block-deletion-delay=2s',
        '-compactor.first-level-compaction-wait-period=0s',
        '-compactor.ring.heartbeat-period=1s',
        '-compactor.ring.instance-id=compactor-1',
        '-compactor.ring.instance-addr=127.0.0.1:9095',
      ],
      cwd: dir,
      env: { ...process.env, PANOPTES_APP: 'panoptes' },
      outputLines: 5000,
    });
    await compactor.waitForHttp(`http://127.0.0.1:${port}/ready`, 200, 60_000);
    return Date.now() - t0;
  };
  const killCompactor = async (): Promise<void> => {
    const proc = compactor!;
    if (proc.running && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
    await proc.exited;
    await proc.stop();
    outputs.push(proc.output.tail().join('\n'));
  };
  const jobsDone = (): number => [...outputs, compactor?.running ? compactor.output.tail().join('\n') : ''].join('\n').split('msg="compaction job done"').length - 1;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-compactor-kill-'));
    await scratch.create();
    bucket = new S3Bucket(scratch.config());
    const t0 = Date.now();
    const cleaner = new BlocksCleaner({ deletionDelayMs: DELETION_DELAY_MS, partialBlockDeletionDelayMs: 0 }, bucket, () => 0, new SystemClock(), nopLogger, new Registry());
    for (const { tenant, windows } of TENANTS) {
      const series = workload(START, windows);
      oneCopySamples.set(tenant, series.reduce((n, s) => n + s.ts.length, 0));
      sources.set(tenant, await replicaUploads(tenant, series, START, windows, join(dir, tenant), bucket));
      await cleaner.clean(tenant); // the bucket index a compactor had written after the uploads
    }
    reader = new QueryPath(bucket, { syncDir: join(dir, 'querier-sync'), ignoreDeletionMarksDelayMs: IGNORE_MARKS_DELAY_MS }, 0);
    for (const [tenant, results] of await queryAll()) reference.set(tenant, results);
    const blocks = [...sources.values()].flat().length;
    console.log(`compactor-kill: seed ${SEED} (PANOPTES_E2E_SEED=${SEED} replays the kill points); ${blocks} ingester blocks uploaded and the reference queried in ${Date.now() - t0} ms`);
  }, 180_000);

  afterAll(async () => {
    if (compactor?.running) await killCompactor();
    await stopAllPeers();
    await bucket?.close();
    await scratch.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the reference answers hold data for every query', () => {
    for (const [tenant, results] of reference) {
      for (const [q, r] of results) {
        const points = ((r as { series?: { points: string[] }[] }).series ?? []).reduce((n, s) => n + s.points.length, 0);
        expect({ tenant, q, points: points > 0 }).toEqual({ tenant, q, points: true });
      }
    }
  });

  it(`the read path never fails nor changes its answers across ${KILLS} kill -9 of the compactor, which then leaves one block per range`, async () => {
    const t0 = Date.now();
    const rng = seededRandom(SEED);
    const runs: string[] = [];
    let concurrentQueries = 0;
    for (let run = 1; run <= KILLS; run++) {
      const readyMs = await startCompactor();
      const delay = Math.round(rng() * MAX_KILL_DELAY_MS);
      // While the compactor works, the read path keeps answering (and must answer the same).
      const until = Date.now() + delay;
      const during: string[] = [];
      const querying = (async () => {
        while (Date.now() < until) {
          during.push(...allDifferences(await queryAll()));
          concurrentQueries++;
        }
      })();
      await new Promise((r) => setTimeout(r, delay));
      await killCompactor();
      await querying;
      const after = allDifferences(await queryAll());
      runs.push(`#${run} ready ${readyMs} ms, killed ${delay} ms later, ${jobsDone()} jobs done`);
      expect({ run, delay, during, after }).toEqual({ run, delay, during: [], after: [] });
    }
    console.log(`compactor-kill: ${runs.join('; ')}; ${concurrentQueries} query sets while it ran; kill loop ${Date.now() - t0} ms`);

    // The compactor runs to the end: the layout is final once every tenant has one block, no mark
    // and no other object.
    await startCompactor();
    const layoutProblems = async (): Promise<string[]> => {
      const problems: string[] = [];
      for (const { tenant, level } of TENANTS) {
        const index = await readBucketIndex(bucket!, tenant);
        // At least the level of the planned jobs: a kill between a job's upload and its deletion
        // marks leaves output and sources side by side, which the next run merges once more
        // (PLANNER.md, executor contract), one level higher. The samples are checked below.
        if (index.blocks.length !== 1 || index.blocks[0].compactionLevel < level) problems.push(`${tenant}: index lists ${JSON.stringify(index.blocks.map((b) => [b.id, b.compactionLevel]))}`);
        if (index.blockDeletionMarks.length > 0) problems.push(`${tenant}: ${index.blockDeletionMarks.length} deletion marks`);
        const ids = new Set(index.blocks.map((b) => b.id));
        for (const key of await listAll(bucket!, `${tenant}/`, { recursive: true })) {
          const rest = key.slice(tenant.length + 1);
          if (rest !== 'bucket-index.json.gz' && !ids.has(rest.split('/')[0])) problems.push(`${tenant}: ${rest}`);
        }
      }
      return problems;
    };
    const deadline = Date.now() + 90_000;
    let problems = await layoutProblems();
    while (problems.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      problems = await layoutProblems();
    }
    expect(problems).toEqual([]);
    const finalMs = Date.now() - t0;
    for (const { tenant, windows } of TENANTS) {
      const [block] = (await readBucketIndex(bucket!, tenant)).blocks;
      // One block over the tenant's data, holding exactly one replica's samples.
      expect({ source: block.source, samples: block.stats?.numSamples, within: block.minTime >= START && block.maxTime <= START + windows * 2 * H }).toEqual({
        source: 'compactor',
        samples: oneCopySamples.get(tenant),
        within: true,
      });
      for (const id of sources.get(tenant)!) expect(block.id).not.toBe(id);
    }
    expect(allDifferences(await queryAll())).toEqual([]);
    await compactor!.stop(10_000);
    outputs.push(compactor!.output.tail().join('\n'));
    const leftovers = existsSync(join(dir, 'compactor')) ? readdirSync(join(dir, 'compactor'), { recursive: true }) : [];
    console.log(`compactor-kill: final layout ${finalMs} ms after the first start, ${jobsDone()} jobs done in all; compactor data dir holds ${JSON.stringify(leftovers)}`);
  }, 400_000);
});
