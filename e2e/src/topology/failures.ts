import { IngesterClient } from '@panoptes/ingester-client';
import { PromApiClient, eventually } from '@panoptes/testing';
import { CounterWriter, type PanoptesServer, type SentRequest, readHead } from '../harness';
import { AckedSamples, failureSummary } from './no-loss';
import type { PrivateServices } from './private-services';
import { INGESTERS, type IngestMode, QUERIERS, TOPOLOGY_NODES, type Topology } from './topology';

const SERIES = 20;

/**
 * The failure scenarios of issue 7 on a topology whose Redis, MinIO (and Kafka) are private
 * instances (`PrivateServices`), so that stopping one breaks nobody else's test. Each scenario
 * writes with a `CounterWriter` under its own tenant and metric, breaks one thing, repairs it,
 * and ends with the no-loss check (`AckedSamples.checkAll`): every acknowledged sample answered
 * by the query-frontend exactly once, nothing never sent. Each returns the figures it printed.
 */

/** Flags for the failure topology's processes: the test settings that make the scenarios take seconds. */
export function failureTopologyFlags(): Partial<Record<(typeof TOPOLOGY_NODES)[number], string[]>> {
  const ingester = [
    // Retry a failed block upload every second instead of every minute.
    '-blocks-storage.tsdb.head-compaction-interval=1s',
    // Delete an ownerless INACTIVE partition 5 s after its downscale began instead of 13 h.
    '-ingester.partition-ring.delete-inactive-partition-after=5s',
  ];
  // A querier whose bucket index read failed (MinIO down) retries after 2 s instead of 1 min.
  const querier = ['-blocks-storage.bucket-store.bucket-index.update-on-error-interval=2s'];
  return { ...Object.fromEntries(INGESTERS.map((n) => [n, ingester])), ...Object.fromEntries(QUERIERS.map((n) => [n, querier])) };
}

interface Run {
  writer: CounterWriter;
  check: AckedSamples;
  api: PromApiClient;
}

function counterRun(t: Topology, tenant: string, metric: string, requestTimeoutMs = 3000): Run {
  const writer = new CounterWriter({ baseUrl: t.distributorUrl, tenant, metric, series: SERIES, requestTimeoutMs });
  const api = new PromApiClient(`${t.frontendUrl}/prometheus`, { headers: { 'X-Scope-OrgID': tenant }, timeoutMs: 20_000 });
  return { writer, api, check: new AckedSamples(writer, api, metric, SERIES) };
}

/** Every process of the topology (and any added ingester still meant to run) is alive. */
function expectAllRunning(t: Topology): void {
  const down = TOPOLOGY_NODES.filter((n) => !t.server(n).running);
  expect({ down }).toEqual({ down: [] });
}

/** Waits for the first request acknowledged after `sinceMs`; returns it (or undefined at the timeout). */
async function firstAckAfter(writer: CounterWriter, sinceMs: number, timeoutMs: number): Promise<SentRequest | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = writer.sent.find((s) => s.acked && s.answeredAt > sinceMs);
    if (r || Date.now() > deadline) return r;
    await sleep(100);
  }
}

/** Acknowledged and not acknowledged requests answered in [from, to]. */
function answeredBetween(sent: readonly SentRequest[], from: number, to: number): { acked: number; failed: SentRequest[] } {
  const inside = sent.filter((r) => r.answeredAt >= from && r.answeredAt <= to);
  return { acked: inside.filter((r) => r.acked).length, failed: inside.filter((r) => !r.acked) };
}

function lastAcked(writer: CounterWriter): SentRequest {
  const acked = writer.acked;
  if (acked.length === 0) throw new Error('the writer has no acknowledged request yet');
  return acked[acked.length - 1];
}

function report(lines: string[]): string {
  const text = lines.join('\n');
  console.log(text);
  return text;
}

/**
 * Redis restarted (no persistence: rings, HA-tracker state and every cache are gone) while the
 * writer runs. The rings are rebuilt by the instances' heartbeats; the caches refill. Queries
 * answer every acknowledged sample, exactly once, before (warm cache) and after (cold).
 */
export async function redisRestartScenario(t: Topology, services: PrivateServices, mode: IngestMode): Promise<string> {
  const t0 = Date.now();
  const { writer, check } = counterRun(t, 'e2e-fail-redis', 'e2e_failure_redis_counter');
  writer.start();
  try {
    await sleep(3000);
    const before = lastAcked(writer);
    // Twice: the second answer comes from the (warm) results cache.
    for (let i = 0; i < 2; i++) expect({ beforeRestart: await check.missingEventually(before.t, 15_000) }).toEqual({ beforeRestart: [] });

    const downAt = Date.now();
    const stopMs = await services.redis.stop();
    await sleep(5000);
    const startMs = await services.redis.start();
    const upAt = Date.now();
    const recovered = await firstAckAfter(writer, upAt, 60_000);
    expect(recovered).toBeDefined();
    const recoverMs = recovered!.answeredAt - upAt;
    const outage = answeredBetween(writer.sent, downAt, recovered!.answeredAt - 1);
    // The instances' heartbeats write the lost rings again.
    const ringBackMs = await until(
      mode === 'kafka' ? 'partition 0 is ACTIVE with its three owners in the distributor ring again' : 'three ingesters are ACTIVE in the distributor ring again',
      async () => {
        if (mode === 'kafka') {
          const p = (await getJson<PartitionRing>(`${t.distributorUrl}/ingester/partition-ring?format=json`)).partitions.find((x) => x.id === 0);
          return p?.state === 'ACTIVE' && p.owners.length === INGESTERS.length;
        }
        return (await getJson<TokenRing>(`${t.distributorUrl}/ingester/ring?format=json`)).shards.filter((x) => x.state === 'ACTIVE' && x.healthy).length === INGESTERS.length;
      },
      60_000,
    );

    // Cold caches: the answers are still complete and exact.
    const cut = lastAcked(writer);
    const missingAfterRestart = await check.missingEventually(cut.t, 30_000);
    const queriesCorrectAfterMs = Date.now() - upAt;
    expect({ afterRestart: missingAfterRestart }).toEqual({ afterRestart: [] });
    await sleep(3000);
    await writer.stop();
    const result = await check.checkAll(30_000);
    expectAllRunning(t);
    return report([
      `failure (${mode}) Redis restart: ${Date.now() - t0} ms; Redis down ${upAt - downAt} ms (stop ${stopMs} ms, start ${startMs} ms)`,
      `  during the outage and until the first acknowledged write: ${outage.acked} acknowledged, ${outage.failed.length} not (${failureSummary(outage.failed)})`,
      `  first write acknowledged ${recoverMs} ms after Redis was back; ring rebuilt after ${ringBackMs} ms; queries complete ${queriesCorrectAfterMs} ms after`,
      `  ${writer.sent.length} requests, ${writer.acked.length} acknowledged, not acknowledged: ${failureSummary(writer.sent)} (the last at +${lastFailure(writer.sent, upAt)} ms); ${result.samplesChecked} samples checked exactly once; stored though not acknowledged: ${result.storedUnacked}`,
    ]);
  } finally {
    await writer.stop();
  }
}

/** Milliseconds from `sinceMs` to the last request not acknowledged (0 when none). */
function lastFailure(sent: readonly SentRequest[], sinceMs: number): number {
  const failed = sent.filter((r) => !r.acked);
  return failed.length === 0 ? 0 : failed[failed.length - 1].answeredAt - sinceMs;
}

/**
 * The Kafka broker stopped for 30 s while the writer runs (Kafka mode): writes fail with 5xx (never
 * 4xx, nothing acknowledged that Kafka did not take), the writer keeps retrying, and after the
 * broker is back every acknowledged sample is answered exactly once.
 */
export async function kafkaOutageScenario(t: Topology, services: PrivateServices, outageMs = 30_000): Promise<string> {
  const kafka = services.kafka;
  if (!kafka) throw new Error('the Kafka outage scenario needs a private Kafka (Kafka ingest mode)');
  const t0 = Date.now();
  const { writer, check } = counterRun(t, 'e2e-fail-kafka', 'e2e_failure_kafka_counter', 5000);
  writer.start();
  try {
    await sleep(3000);
    const downAt = Date.now();
    const stopMs = await kafka.stop();
    const stoppedAt = Date.now();
    // Queries while the broker is down: the ingesters answer what they consumed.
    const before = lastAcked(writer);
    const missingWhileDown = await check.missingEventually(before.t, 10_000);
    await sleep(Math.max(0, downAt + outageMs - Date.now()));
    const restartAt = Date.now();
    const startMs = await kafka.start(); // KRaft: controller election, then the broker registers
    const upAt = Date.now();
    const recovered = await firstAckAfter(writer, upAt, 90_000);
    expect(recovered).toBeDefined();
    const recoverMs = recovered!.answeredAt - upAt;
    const outage = answeredBetween(writer.sent, stoppedAt, upAt);
    // Acknowledged though sent after the broker had exited and answered before it was started
    // again: impossible unless something acks without Kafka. (A request sent before may be acked by
    // the broker just before it exits, its answer arriving after the stop script returned; and the
    // broker takes writes a moment before the start script sees it ready.)
    const ackedWhileDown = writer.sent.filter((r) => r.acked && r.sentAt >= stoppedAt && r.answeredAt < restartAt).length;
    const outageStatuses = outage.failed.flatMap((r) => ('status' in r.outcome ? [r.outcome.status] : []));
    await sleep(3000);
    await writer.stop();
    const result = await check.checkAll(60_000);

    expect({ missingWhileDown }).toEqual({ missingWhileDown: [] });
    // Nothing can be acknowledged while the only broker is down; refusals are 5xx, never 4xx.
    expect({ ackedWhileDown, clientErrors: outageStatuses.filter((s) => s < 500) }).toEqual({ ackedWhileDown: 0, clientErrors: [] });
    expect(outage.failed.length).toBeGreaterThan(0);
    expectAllRunning(t);
    return report([
      `failure (kafka) Kafka broker down: ${Date.now() - t0} ms; broker down ${upAt - downAt} ms (stop ${stopMs} ms, KRaft start to ready ${startMs} ms)`,
      `  answered while down: ${outage.acked} acknowledged (${ackedWhileDown} of them sent after the broker exited), ${outage.failed.length} not (${failureSummary(outage.failed)})`,
      `  first write acknowledged ${recoverMs} ms after the broker was ready`,
      `  ${writer.sent.length} requests, ${writer.acked.length} acknowledged; ${result.samplesChecked} samples checked exactly once; stored though not acknowledged: ${result.storedUnacked}`,
    ]);
  } finally {
    await writer.stop();
  }
}

async function metricSum(server: PanoptesServer, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/**
 * MinIO stopped, then the three ingesters flushed (`/ingester/flush`): their uploads fail, the
 * blocks wait on disk, and the next head-compaction pass after MinIO is back uploads them.
 * Queries during the outage either answer every acknowledged sample or fail (5xx): never a
 * silently incomplete answer; afterwards every acknowledged sample is answered exactly once.
 *
 * The writer stops before the flush, so every acknowledged sample is in the blocks that wait for
 * MinIO.
 */
export async function minioOutageScenario(t: Topology, services: PrivateServices, mode: IngestMode): Promise<string> {
  const t0 = Date.now();
  const tenant = 'e2e-fail-minio';
  const { writer, check } = counterRun(t, tenant, 'e2e_failure_minio_counter');
  writer.start();
  try {
    await sleep(4000);
    await writer.stop();
    const last = lastAcked(writer);
    expect({ beforeOutage: await check.missingEventually(last.t, 15_000) }).toEqual({ beforeOutage: [] });
    const failuresBefore = await Promise.all(INGESTERS.map((n) => metricSum(t.server(n), 'panoptes_ingester_shipper_upload_failures_total')));

    const downAt = Date.now();
    const stopMs = await services.minio.stop();
    const flushes = await Promise.all(
      INGESTERS.map(async (n) => {
        const f0 = Date.now();
        const res = await fetch(`${t.server(n).url}/ingester/flush`, { method: 'POST', signal: AbortSignal.timeout(120_000) });
        return { name: n, status: res.status, ms: Date.now() - f0, body: (await res.text()).slice(0, 200) };
      }),
    );
    const failuresAfter = await Promise.all(INGESTERS.map((n) => metricSum(t.server(n), 'panoptes_ingester_shipper_upload_failures_total')));
    const pending = await Promise.all(INGESTERS.map((n) => metricSum(t.server(n), 'panoptes_ingester_shipper_pending_blocks')));

    // A query while MinIO is down: complete, or an error; never a 200 that lacks acknowledged samples.
    let duringOutage: string;
    try {
      const missing = check.missingUpTo(await check.raw(last.t), last.t);
      duringOutage = missing.length === 0 ? 'complete' : `INCOMPLETE 200: ${missing.length}+ samples missing, e.g. ${missing[0]}`;
    } catch (err) {
      duringOutage = `failed: ${String(err).slice(0, 160)}`;
    }
    await sleep(Math.max(0, downAt + 10_000 - Date.now()));

    const startMs = await services.minio.start();
    const upAt = Date.now();
    // The blocks waiting on the ingesters' disks are uploaded by their next passes.
    let uploaded = 0;
    await eventually(
      async () => {
        uploaded = (await t.resources.listObjects(`${tenant}/`)).filter((k) => k.endsWith('/meta.json')).length;
        return uploaded >= INGESTERS.length;
      },
      60_000,
      500,
    ).catch(() => undefined);
    const uploadedAfterMs = Date.now() - upAt;
    const pendingAfter = await Promise.all(INGESTERS.map((n) => metricSum(t.server(n), 'panoptes_ingester_shipper_pending_blocks')));
    // Until the queriers answer every sample: which answers came meanwhile.
    const recovery = { incomplete: 0, failed: 0, example: '' };
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
      try {
        const missing = check.missingUpTo(await check.raw(last.t), last.t);
        if (missing.length === 0) break;
        recovery.incomplete++;
        recovery.example ||= `${Date.now() - upAt} ms after MinIO was back: ${missing[0]}`;
      } catch {
        recovery.failed++;
      }
    }
    const queriesCorrectAfterMs = Date.now() - upAt;
    const result = await check.checkAll(30_000);
    const summary = report([
      `failure (${mode}) MinIO down during block upload: ${Date.now() - t0} ms; MinIO down ${upAt - downAt} ms (stop ${stopMs} ms, start ${startMs} ms)`,
      `  flushes while down: ${flushes.map((f) => `${f.name} ${f.status} in ${f.ms} ms`).join(', ')}; upload failures ${failuresAfter.map((a, i) => a - failuresBefore[i]).join('/')}, pending blocks ${pending.join('/')}`,
      `  a query while MinIO was down: ${duringOutage}`,
      `  blocks in MinIO ${uploadedAfterMs} ms after it was back (${uploaded} meta.json), pending then ${pendingAfter.join('/')}; every sample answered ${queriesCorrectAfterMs} ms after`,
      `  answers until then: ${recovery.incomplete} incomplete 200s${recovery.example ? `, first ${recovery.example}` : ''}; ${recovery.failed} errors`,
      `  ${writer.sent.length} requests, ${writer.acked.length} acknowledged; ${result.samplesChecked} samples checked exactly once`,
    ]);
    expect({ uploaded: uploaded >= INGESTERS.length, failedUploads: failuresAfter.some((a, i) => a > failuresBefore[i]) }).toEqual({ uploaded: true, failedUploads: true });
    // Correct or failed, never a 200 lacking acknowledged samples (the heads were truncated by the flush).
    expect({ duringOutage: duringOutage.startsWith('INCOMPLETE'), incompleteAfter: recovery.incomplete }).toEqual({ duringOutage: false, incompleteAfter: 0 });
    expectAllRunning(t);
    return summary;
  } finally {
    await writer.stop();
  }
}

interface PartitionRing {
  partitions: { id: number; state: string; owners: unknown[] }[];
}
interface TokenRing {
  shards: { id: string; state: string; healthy: boolean }[];
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Waits until `fn` returns true (errors count as false); returns the ms it took. */
async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    try {
      if (await fn()) return Date.now() - t0;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${last ? ` (last error: ${last})` : ''}`);
    await sleep(250);
  }
}

const SCALED = 'ingester-zone-a-1' as const;

/**
 * Scale ingesters 3 → 4 → 3 with the procedure of deploy/README.md "Scale ingesters", under a
 * steady writer, checking each step:
 * - Kafka mode: the 4th ingester creates partition 1, which turns ACTIVE and takes writes;
 *   prepare-partition-downscale turns it INACTIVE and the distributor stops writing to it;
 *   prepare-shutdown, then SIGTERM: it uploads its blocks, gives up the partition and exits 0;
 *   queriers skip the ownerless INACTIVE partition (its data is in the blocks) and the other
 *   ingesters delete it after `-ingester.partition-ring.delete-inactive-partition-after`.
 * - Classic mode: the 4th ingester joins the ring ACTIVE and takes writes; prepare-shutdown, then
 *   SIGTERM: it uploads its blocks, leaves the ring and exits 0.
 * Every acknowledged sample is answered exactly once at the end.
 */
export async function scaleIngestersScenario(t: Topology, mode: IngestMode): Promise<string> {
  const t0 = Date.now();
  const tenant = 'e2e-fail-scale';
  const { writer, check } = counterRun(t, tenant, 'e2e_failure_scale_counter');
  const ringUrl = mode === 'kafka' ? `${t.distributorUrl}/ingester/partition-ring?format=json` : `${t.distributorUrl}/ingester/ring?format=json`;
  const partition1 = async () => (await getJson<PartitionRing>(ringUrl)).partitions.find((p) => p.id === 1);
  const lines: string[] = [];
  writer.start();
  let client: IngesterClient | undefined;
  try {
    await sleep(2000);
    // Up.
    const added = await t.addIngester(SCALED);
    client = new IngesterClient(added.grpcAddress);
    const activeMs = await until(
      mode === 'kafka' ? 'partition 1 is ACTIVE in the distributor ring' : 'four ingesters are ACTIVE in the distributor ring',
      async () => (mode === 'kafka' ? (await partition1())?.state === 'ACTIVE' : (await getJson<TokenRing>(ringUrl)).shards.filter((s) => s.state === 'ACTIVE' && s.healthy).length === 4),
      60_000,
    );
    const activeAt = Date.now();
    // It takes writes: some series land in its head.
    let series = 0;
    const takesWritesMs = await until(
      `${SCALED} holds samples written after it turned ACTIVE`,
      async () => {
        const head = await readHead(client!, tenant);
        series = [...head.values()].filter((s) => s.ts.some((ts) => ts > activeAt)).length;
        return series > 0;
      },
      30_000,
    );
    lines.push(`  up: ${SCALED} ready, ACTIVE ${activeMs} ms later, writing to it (${series} of ${SERIES} series) after ${takesWritesMs} ms more`);

    // Down, step 1 (Kafka mode): partition INACTIVE; the distributor stops writing to it.
    if (mode === 'kafka') {
      const res = await fetch(`${added.url}/ingester/prepare-partition-downscale`, { method: 'POST' });
      const body = (await res.json()) as { timestamp: number };
      expect({ status: res.status, inactiveSince: body.timestamp > 0 }).toEqual({ status: 200, inactiveSince: true });
      const inactiveMs = await until('partition 1 is INACTIVE in the distributor ring', async () => (await partition1())?.state === 'INACTIVE', 30_000);
      const inactiveAt = Date.now();
      await sleep(3000);
      const head = await readHead(client, tenant);
      const newest = Math.max(0, ...[...head.values()].map((s) => s.ts[s.ts.length - 1] ?? 0));
      const ackedSince = writer.acked.filter((r) => r.t > inactiveAt).length;
      expect({ ackedSince: ackedSince > 0, writtenToInactive: newest > inactiveAt }).toEqual({ ackedSince: true, writtenToInactive: false });
      lines.push(`  down 1: prepare-partition-downscale: INACTIVE in the distributor ring after ${inactiveMs} ms; no sample written to it since (${ackedSince} requests acknowledged meanwhile)`);
    }
    // Step 2: prepare-shutdown.
    const prep = await fetch(`${added.url}/ingester/prepare-shutdown`, { method: 'POST' });
    expect(prep.status).toBe(204);
    // Step 3 (wait for query-store-after: 0 s here). Step 4: stop it; it flushes and uploads on shutdown.
    const blocksBefore = (await t.resources.listObjects(`${tenant}/`)).filter((k) => k.endsWith('/meta.json')).length;
    const s0 = Date.now();
    const code = await added.stop();
    const stopMs = Date.now() - s0;
    const out = added.output();
    // Step 5: it exited 0 after uploading.
    const flushed = /msg="flushed heads before shutdown".*shipped=(\d+).*failures=(\d+)/.exec(out);
    const blocksAfter = (await t.resources.listObjects(`${tenant}/`)).filter((k) => k.endsWith('/meta.json')).length;
    expect({ code, shipped: Number(flushed?.[1] ?? 0) > 0, failures: flushed?.[2], newBlocks: blocksAfter > blocksBefore }).toEqual({ code: 0, shipped: true, failures: '0', newBlocks: true });
    lines.push(`  down 2-5: prepare-shutdown 204; SIGTERM → exit 0 after ${stopMs} ms, ${flushed?.[1]} block(s) uploaded (tenant's blocks ${blocksBefore} → ${blocksAfter})`);

    if (mode === 'kafka') {
      // It gave the partition up on shutdown: INACTIVE without owners (or deleted already).
      const ownerlessMs = await until(
        'partition 1 is INACTIVE without owners in the distributor ring',
        async () => {
          const p = await partition1();
          return p === undefined || (p.state === 'INACTIVE' && p.owners.length === 0);
        },
        15_000,
      );
      // Queriers skip the ownerless INACTIVE partition: queries answer (checked below) meanwhile.
      const cut = lastAcked(writer);
      expect({ whileInactiveOwnerless: await check.missingEventually(cut.t, 30_000) }).toEqual({ whileInactiveOwnerless: [] });
      const deletedMs = await until('partition 1 is deleted from the ring', async () => (await partition1()) === undefined, 30_000);
      lines.push(`  after: partition 1 ownerless ${ownerlessMs} ms after the exit, skipped by queries, deleted from the ring ${deletedMs} ms later`);
    } else {
      const leftMs = await until('three ingesters in the distributor ring', async () => (await getJson<TokenRing>(ringUrl)).shards.length === 3, 30_000);
      lines.push(`  after: left the ring (${leftMs} ms after its exit)`);
    }
    await sleep(2000);
    await writer.stop();
    const result = await check.checkAll(60_000);
    expectAllRunning(t);
    return report([
      `failure (${mode}) scale ingesters 3 → 4 → 3: ${Date.now() - t0} ms`,
      ...lines,
      `  ${writer.sent.length} requests, ${writer.acked.length} acknowledged, not acknowledged: ${failureSummary(writer.sent)}; ${result.samplesChecked} samples checked exactly once`,
    ]);
  } finally {
    await writer.stop();
    client?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
