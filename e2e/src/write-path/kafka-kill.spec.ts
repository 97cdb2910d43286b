import { Kafka, logLevel } from 'kafkajs';
import { seededRandom } from '@panoptes/common';
import { IngesterClient } from '@panoptes/ingester-client';
import { describeWithService, stopAllPeers, uniqueName } from '@panoptes/testing';
import { CounterWriter, HeadSeries, PanoptesServer, readHead } from '../harness';

const TENANT = 'e2e-kafka-kill';
const METRIC = 'e2e_kafka_kill_counter';
const SERIES = 50;
const KILL_CYCLES = 3;
/** Seed of the kill points; set PANOPTES_E2E_SEED to replay a run. */
const SEED = Number(process.env.PANOPTES_E2E_SEED ?? Date.now() % 1_000_000);

describeWithService('kafka', 'Kafka-mode all-in-one under kill -9 of the process mid-stream (black box)', (env) => {
  const topic = uniqueName('e2e-kafka-kill');
  // The ingester commits its offsets into a consumer group named after its instance ID.
  const instanceId = uniqueName('e2e-kafka-kill-ingester');
  let server: PanoptesServer | undefined;
  let client: IngesterClient | undefined;
  let writer: CounterWriter | undefined;

  afterAll(async () => {
    await writer?.stop();
    client?.close();
    await server?.dispose();
    await stopAllPeers();
    const admin = new Kafka({ brokers: env.brokers, clientId: 'panoptes-e2e-cleanup', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
      await admin.deleteGroups([instanceId]).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }, 30_000);

  it(`keeps every acknowledged sample exactly once and invents none across ${KILL_CYCLES} kill -9 / restart cycles`, async () => {
    const t0 = Date.now();
    const rng = seededRandom(SEED);
    console.log(`kafka-kill: seed ${SEED} (PANOPTES_E2E_SEED=${SEED} replays the kill points), topic ${topic}`);
    server = await PanoptesServer.create({
      name: 'panoptes-e2e-kafka-kill',
      flags: [
        '-ingest-storage.backend=kafka',
        `-ingest-storage.kafka.brokers=${env.brokers.join(',')}`,
        `-ingest-storage.topic=${topic}`,
        `-ingester.ring.instance-id=${instanceId}`,
        '-blocks-storage.tsdb.snapshot-interval=1s',
      ],
    });
    const readyMs = [await server.start()];
    client = new IngesterClient(server.grpcAddress);
    writer = new CounterWriter({ baseUrl: server.url, tenant: TENANT, metric: METRIC, series: SERIES, pauseAfterAckMs: 2 });
    writer.start();

    const kills: string[] = [];
    for (let cycle = 1; cycle <= KILL_CYCLES; cycle++) {
      const upMs = Math.round(1500 + rng() * 3000);
      const downMs = Math.round(rng() * 1000);
      await sleep(upMs);
      const before = writer.sent.length;
      await server.kill();
      kills.push(`cycle ${cycle}: killed after ${upMs} ms up at request #${before}, down ${downMs} ms`);
      await sleep(downMs);
      readyMs.push(await server.start());
    }
    const afterLastRestart = writer.sent.length;
    await sleep(2000);
    await writer.stop();

    const sent = writer.sent;
    const acked = sent.filter((r) => r.acked);
    const byT = new Map(sent.map((r) => [r.t, r]));
    const failures = new Map<string, number>();
    for (const r of sent) {
      if (r.acked) continue;
      const what = 'status' in r.outcome ? `HTTP ${r.outcome.status}` : r.outcome.error;
      failures.set(what, (failures.get(what) ?? 0) + 1);
    }
    // Every kill must have landed mid-stream, and the restarted process must have taken writes.
    expect(acked.length).toBeGreaterThan(0);
    expect(sent.slice(afterLastRestart).filter((r) => r.acked).length).toBeGreaterThan(0);
    expect(sent.length - acked.length).toBeGreaterThanOrEqual(KILL_CYCLES);

    // Caught up: every acknowledged sample is there, or nothing changed for 3 s (then the
    // assertions below name what is missing).
    let head = new Map<string, HeadSeries>();
    let stableSince = Date.now();
    let lastTotal = -1;
    const catchUpStart = Date.now();
    for (;;) {
      head = await readHead(client, TENANT).catch(() => new Map<string, HeadSeries>());
      const total = [...head.values()].reduce((n, s) => n + s.ts.length, 0);
      if (total !== lastTotal) stableSince = Date.now();
      lastTotal = total;
      const complete =
        head.size === SERIES &&
        [...head.values()].every((s) => {
          const stored = new Set(s.ts);
          return acked.every((r) => stored.has(r.t));
        });
      if (complete || Date.now() - stableSince > 3000 || Date.now() - catchUpStart > 20_000) break;
      await sleep(500);
    }
    const catchUpMs = Date.now() - catchUpStart;

    // Per series: what is missing (acknowledged, not stored), never sent (stored, but no request
    // had that timestamp and value), duplicated (two samples at one timestamp), and unacknowledged
    // but stored (a request whose answer was lost in the kill: allowed, the client would retry it).
    const missing: string[] = [];
    const neverSent: string[] = [];
    const duplicated: string[] = [];
    const countMismatch: string[] = [];
    const storedUnacked = new Map<string, Set<number>>();
    for (const [key, s] of head) {
      const stored = new Set(s.ts);
      for (const r of acked) if (!stored.has(r.t)) missing.push(`${key} i=${r.i} t=${r.t}`);
      const unacked = new Set<number>();
      s.ts.forEach((t, j) => {
        const r = byT.get(t);
        if (!r || r.i !== s.vs[j]) neverSent.push(`${key} t=${t} v=${s.vs[j]}`);
        else if (!r.acked) unacked.add(r.i);
      });
      for (const d of s.duplicates) duplicated.push(`${key} t=${d.t} v=${d.v}`);
      if (s.ts.length !== acked.length + unacked.size) countMismatch.push(`${key}: ${s.ts.length} != ${acked.length} + ${unacked.size}`);
      storedUnacked.set(key, unacked);
    }
    // A request is one ingest-log record, so an unacknowledged one is stored for all its series or none.
    const unackedSets = new Set([...storedUnacked.values()].map((u) => [...u].sort((a, b) => a - b).join(',')));
    const storedUnackedCount = storedUnacked.size > 0 ? [...storedUnacked.values()][0].size : 0;

    const samplesStored = [...head.values()].reduce((n, s) => n + s.ts.length, 0);
    // What each start replayed from the log on top of its snapshot (first start: nothing).
    const replays = [...server.output().matchAll(/msg="ingest partition replayed".* records=(\d+) offset=(\d+)/g)].map((m) => `${m[1]} records to offset ${m[2]}`);
    console.log(
      [
        `kafka-kill: ${sent.length} requests x ${SERIES} series in ${Date.now() - t0} ms; ${acked.length} acknowledged (${acked.length * SERIES} samples)`,
        `  not acknowledged: ${[...failures].map(([k, n]) => `${k} x${n}`).join(', ')}; of those stored anyway: ${storedUnackedCount} requests`,
        ...kills.map((k) => `  ${k}`),
        `  ready after spawn (ms): ${readyMs.join(', ')}; replayed at start: ${replays.join('; ')}; caught up ${catchUpMs} ms after the last write`,
        `  head: ${head.size} series, ${samplesStored} samples; missing ${missing.length}, never sent ${neverSent.length}, duplicated ${duplicated.length}`,
      ].join('\n'),
    );

    expect(head.size).toBe(SERIES);
    expect({ missingCount: missing.length, firstMissing: missing.slice(0, 10) }).toEqual({ missingCount: 0, firstMissing: [] });
    expect({ neverSentCount: neverSent.length, first: neverSent.slice(0, 10) }).toEqual({ neverSentCount: 0, first: [] });
    expect({ duplicatedCount: duplicated.length, first: duplicated.slice(0, 10) }).toEqual({ duplicatedCount: 0, first: [] });
    expect(countMismatch.slice(0, 10)).toEqual([]);
    expect(unackedSets.size).toBe(1);
  }, 120_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
