import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { BlockReader } from '@panoptes/block-formats';
import type { Bucket } from '@panoptes/bucket';
import { BucketIndex, downloadBlock, readBucketIndex } from '@panoptes/bucket-index';
import { nopLogger } from '@panoptes/log';
import { TimeSeriesV1Input, compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { eventually, freePort } from '@panoptes/testing';
import { RunningProcess, startProcess } from './runner';
import { testConfig } from './testing/test-config';

const TENANT = 'team-del';
const STEP = 15_000;
// Ten minutes of samples ending on a 15 s boundary a minute ago; the middle four minutes of job "a" are deleted.
// They must lie in one 2 h block range: across a boundary, the flush cuts two level-1 blocks that
// one (later) 12 h merge takes, and that merge, not a rewrite, applies the deletion after the
// first-level wait period. So shortly after a boundary the samples end just before it.
const RANGE = 2 * 3_600_000;
const RECENT = Math.floor((Date.now() - 60_000) / STEP) * STEP;
const END = RECENT - 10 * 60_000 < Math.floor(RECENT / RANGE) * RANGE ? Math.floor(RECENT / RANGE) * RANGE - STEP : RECENT;
const START = END - 10 * 60_000;
const DEL_START = START + 3 * 60_000;
const DEL_END = START + 7 * 60_000;

function counter(job: string): TimeSeriesV1Input {
  const samples = [];
  for (let t = START, v = 0; t <= END; t += STEP, v++) samples.push({ timestamp: t, value: v });
  return { labels: [{ name: '__name__', value: 'deletable_total' }, { name: 'job', value: job }], samples };
}

type Matrix = { metric: Record<string, string>; values: [number, string][] }[];

describe('series deletion in the all-in-one process', () => {
  let dir: string;
  let proc: RunningProcess;
  let base: string;
  let registry: Registry;

  const headers = { 'X-Scope-OrgID': TENANT };
  /** Every raw sample of the range (lookback 1 s, step 15 s: one point per sample), by job. */
  const queryRange = async (): Promise<Record<string, number[]>> => {
    const form = new URLSearchParams({ query: 'deletable_total', start: String(START / 1000), end: String(END / 1000), step: '15', lookback_delta: '1s' });
    const res = await fetch(`${base}/prometheus/api/v1/query_range`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    expect(res.status).toBe(200);
    const result = ((await res.json()) as { data: { result: Matrix } }).data.result;
    return Object.fromEntries(result.map((s) => [s.metric.job, s.values.map(([t]) => t * 1000)]));
  };
  /** How many series the instant query `deletable_total` finds at `t` (instant answers are never cached). */
  const countAt = async (t: number): Promise<number> => {
    const res = await fetch(`${base}/prometheus/api/v1/query?query=deletable_total&time=${t / 1000}`, { headers });
    return res.status === 200 ? ((await res.json()) as { data: { result: unknown[] } }).data.result.length : -1;
  };
  const cacheHits = async (): Promise<number> => {
    const lookups = await registry.getSingleMetric('panoptes_query_frontend_results_cache_lookups_total')?.get();
    return lookups?.values.filter((v) => v.labels.result === 'hit').reduce((sum, v) => sum + v.value, 0) ?? 0;
  };
  const index = (): Promise<BucketIndex | undefined> => readBucketIndex(proc.wiring.modules.get('bucket') as Bucket, TENANT).catch(() => undefined);

  /** The all-in-one process over `dir` (a second start finds the first one's data and requests). */
  const start = async (): Promise<void> => {
    const grpcPort = await freePort();
    proc = await startProcess(
      testConfig(dir, (c) => {
        c.server.grpcListenPort = grpcPort;
        c.ingester.ring.instanceAddr = `127.0.0.1:${grpcPort}`;
        c.compactor.compactionIntervalMs = 1_000;
        c.compactor.ring.heartbeatPeriodMs = 1_000;
        // Blocks are read for every query (a restarted process finds the flushed data only there).
        c.querier.queryStoreAfterMs = 0;
        // Every range answer is cached, recent points too: a deletion must retire them.
        c.queryFrontend.cacheResults = true;
        c.queryFrontend.resultsCacheBackend = 'memory';
        c.queryFrontend.maxCacheFreshnessMs = 0;
      }),
      nopLogger,
      (registry = new Registry()),
    );
    base = `http://127.0.0.1:${proc.wiring.http.port}`;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'panoptes-deletion-'));
    await start();
    const push = await fetch(`${base}/api/v1/push`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
      body: compressSnappy(encodeWriteRequestV1({ timeseries: [counter('a'), counter('b')] })),
    });
    expect(push.status).toBe(204);
    // Waits with instant queries: the results cache keeps range answers, an early empty one too.
    await eventually(async () => (await countAt(END)) === 2, 10_000);
  }, 60_000);

  afterAll(async () => {
    await proc?.manager.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hides the deleted samples from the next query, and compaction removes them from the block with the same result', async () => {
    const all = Array.from({ length: (END - START) / STEP + 1 }, (_, i) => START + i * STEP);
    expect(await queryRange()).toEqual({ a: all, b: all });
    // The second asking is the results cache's answer, which the deletion below must retire.
    const hits = await cacheHits();
    expect(await queryRange()).toEqual({ a: all, b: all });
    expect(await cacheHits()).toBe(hits + 1);

    const form = new URLSearchParams({ 'match[]': 'deletable_total{job="a"}', start: String(DEL_START / 1000), end: String(DEL_END / 1000) });
    const del = await fetch(`${base}/prometheus/api/v1/admin/tsdb/delete_series`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    expect(del.status).toBe(204);

    const kept = all.filter((t) => t < DEL_START || t > DEL_END);
    const expected = { a: kept, b: all };
    expect(await queryRange()).toEqual(expected);
    const listed = await fetch(`${base}/api/v1/admin/tsdb/delete_series`, { headers });
    expect(((await listed.json()) as { data: unknown[] }).data).toEqual([
      expect.objectContaining({ match: ['deletable_total{job="a"}'], start_time: DEL_START, end_time: DEL_END, state: 'pending' }),
    ]);

    expect((await fetch(`${base}/ingester/flush`, { method: 'POST' })).status).toBe(201);
    // The ingester's block is rewritten by the compactor (a lone block: no merge takes it) and marked for deletion.
    await eventually(async () => {
      const idx = await index();
      return idx !== undefined && idx.blocks.some((b) => b.source === 'compactor') && idx.blockDeletionMarks.length === 1;
    }, 20_000);
    const idx = (await index())!;
    const rewritten = idx.blocks.find((b) => b.source === 'compactor')!;
    expect(idx.blockDeletionMarks.map((m) => m.id)).toEqual(idx.blocks.filter((b) => b.source !== 'compactor').map((b) => b.id));
    const local = join(dir, 'check', rewritten.id);
    await downloadBlock(proc.wiring.modules.get('bucket') as Bucket, TENANT, rewritten.id, local);
    const reader = await BlockReader.open(local);
    const stored: Record<string, number[]> = {};
    for (const ref of reader.index.allPostings()) {
      const s = reader.samples(ref);
      stored[s.labels.find(([n]) => n === 'job')![1]] = [...s.timestamps];
    }
    expect(stored).toEqual(expected);

    // A new process (its querier knows the blocks only from the bucket index it reads afresh)
    // answers the same: the rewritten block lacks the samples, the request is still applied.
    await proc.manager.stopAll();
    await start();
    await eventually(async () => (await countAt(END)) > 0, 20_000);
    expect(await queryRange()).toEqual(expected);
  }, 90_000);
});
