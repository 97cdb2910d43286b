import { IngesterClient } from '@panoptes/ingester-client';
import {
  NodeExporterPeer,
  PrometheusPeer,
  PromRangeSeries,
  describeWithTool,
  matrixOf,
  startNodeExporter,
  startPrometheus,
  stopAllPeers,
} from '@panoptes/testing';
import { HeadSeries, PanoptesServer, float64Bits, isStaleNaN, readHead, seriesKey } from '../harness';

const TENANT = 'e2e-prometheus-rw';
const RUN_MS = 120_000;
const SCRAPE_INTERVAL_MS = 5000;
/** Share of each series' time span (Prometheus's first to last sample) that must have reached the head. */
const MIN_COVERAGE = 0.9;

/** What Prometheus stored for one series, as its query API returns raw samples. */
interface PromSeries {
  key: string;
  ts: number[];
  /** The API's decimal strings: Go's shortest round-trip form, `NaN`, `+Inf`, `-Inf`. */
  values: string[];
}

interface SeriesComparison {
  key: string;
  /** Samples compared: Prometheus's up to the last timestamp both have. */
  compared: number;
  /** Fraction of Prometheus's time span covered by the head. */
  coverage: number;
  /** Prometheus's last timestamp minus the head's (ms; ≤ 0 once caught up). */
  lagMs: number;
  /** First difference, if any. */
  mismatch?: string;
}

function parsePromValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

/**
 * Prometheus's samples against the head's for the window both have: timestamps equal, values equal
 * bit for bit. The query API prints every NaN as `NaN` and drops staleness markers (the engine
 * hides them), so a NaN from Prometheus matches any non-stale NaN, and the head's staleness
 * markers are left out of the comparison (counted by the caller).
 */
function compareSeries(prom: PromSeries, head: HeadSeries): SeriesComparison {
  const ours = head.ts.map((t, j) => ({ t, v: head.vs[j], hi: head.hi[j], lo: head.lo[j] })).filter((s) => !isStaleNaN(s.hi, s.lo));
  const promFirst = prom.ts[0];
  const promLast = prom.ts[prom.ts.length - 1];
  const ourLast = ours.length > 0 ? ours[ours.length - 1].t : -Infinity;
  const upper = Math.min(promLast, ourLast);
  const p = prom.ts.filter((t) => t <= upper);
  const o = ours.filter((s) => s.t <= upper);
  const coverage = promLast === promFirst ? (ourLast >= promLast ? 1 : 0) : Math.max(0, Math.min(1, (ourLast - promFirst) / (promLast - promFirst)));
  const result: SeriesComparison = { key: prom.key, compared: p.length, coverage, lagMs: promLast - ourLast };
  for (let j = 0; j < Math.max(p.length, o.length); j++) {
    if (j >= p.length || j >= o.length) {
      const extra = j >= p.length ? `head has t=${o[j].t} v=${o[j].v} that Prometheus does not` : `head lacks t=${p[j]} v=${prom.values[j]}`;
      result.mismatch = `${o.length} head samples vs ${p.length} Prometheus samples up to t=${upper}: ${extra}`;
      break;
    }
    const want = parsePromValue(prom.values[j]);
    const [hi, lo] = float64Bits(want);
    const sameValue = Number.isNaN(want) ? Number.isNaN(o[j].v) : o[j].hi === hi && o[j].lo === lo;
    if (p[j] !== o[j].t || !sameValue) {
      result.mismatch = `sample #${j}: Prometheus (t=${p[j]}, v=${prom.values[j]}) vs head (t=${o[j].t}, v=${o[j].v})`;
      break;
    }
  }
  return result;
}

describeWithTool('prometheus', 'Prometheus remote write into the all-in-one target (black box)', () => {
  describeWithTool('prometheus-node-exporter', 'scraping a real node exporter', () => {
    let server: PanoptesServer | undefined;
    let nodeExporter: NodeExporterPeer | undefined;
    let prometheus: PrometheusPeer | undefined;
    let client: IngesterClient | undefined;
    const prom = new Map<string, PromSeries>();
    let promSeriesKeys: string[] = [];
    let head = new Map<string, HeadSeries>();
    let comparisons: SeriesComparison[] = [];
    let waitedMs = 0;

    beforeAll(async () => {
      server = await PanoptesServer.create({ name: 'panoptes-e2e-prom-rw' });
      await server.start();
      nodeExporter = await startNodeExporter();
      prometheus = await startPrometheus({
        globalScrapeIntervalMs: SCRAPE_INTERVAL_MS,
        scrapeConfigs: [
          { jobName: 'node', targets: [nodeExporter.address], intervalMs: SCRAPE_INTERVAL_MS },
          // Panoptes's own /metrics: histograms, counters that move with the writes, label values with odd characters.
          { jobName: 'panoptes', targets: [`127.0.0.1:${server.httpPort}`], intervalMs: SCRAPE_INTERVAL_MS },
        ],
        remoteWrite: [
          {
            url: `${server.url}/api/v1/push`,
            headers: { 'X-Scope-OrgID': TENANT },
            queueConfig: { batchSendDeadlineMs: 1000, maxBackoffMs: 1000 },
          },
        ],
      });
      client = new IngesterClient(server.grpcAddress);
      const t0 = Date.now();
      await sleep(RUN_MS);

      // What Prometheus stored: its series, and their raw samples (a range-vector selector in an
      // instant query returns them unmodified; [3m] spans the whole run).
      promSeriesKeys = (await prometheus.series('{__name__=~".+"}')).map(seriesKey).sort();
      const raw: PromRangeSeries[] = matrixOf(await prometheus.query('{__name__=~".+"}[3m]'));
      for (const s of raw) {
        const key = seriesKey(s.metric);
        prom.set(key, { key, ts: s.values.map(([t]) => Math.round(t * 1000)), values: s.values.map(([, v]) => v) });
      }

      // Remote write lags the scrapes: wait (at most 30 s) until the head has, for every series,
      // a sample at or after Prometheus's last one.
      const waitStart = Date.now();
      for (;;) {
        head = await readHead(client, TENANT);
        comparisons = [...prom.values()].filter((p) => head.has(p.key)).map((p) => compareSeries(p, head.get(p.key)!));
        const caughtUp = comparisons.length === prom.size && comparisons.every((c) => c.lagMs <= 0);
        if (caughtUp || Date.now() - waitStart > 30_000) break;
        await sleep(1000);
      }
      waitedMs = Date.now() - waitStart;
      console.log(`prometheus-remote-write: ran ${Date.now() - t0} ms; waited ${waitedMs} ms for the head to catch up`);
    }, RUN_MS + 120_000);

    afterAll(async () => {
      client?.close();
      await prometheus?.stop();
      await nodeExporter?.stop();
      await server?.dispose();
      await stopAllPeers();
    }, 30_000);

    it('holds exactly the series Prometheus stored (Prometheus remote-writes all of them)', () => {
      const headKeys = [...head.keys()].sort();
      const onlyInPrometheus = promSeriesKeys.filter((k) => !head.has(k));
      const promSet = new Set(promSeriesKeys);
      const onlyInHead = headKeys.filter((k) => !promSet.has(k));
      const jobs = new Map<string, number>();
      for (const k of promSeriesKeys) {
        const job = /job="([^"]*)"/.exec(k)?.[1] ?? '?';
        jobs.set(job, (jobs.get(job) ?? 0) + 1);
      }
      console.log(
        `prometheus-remote-write: Prometheus ${promSeriesKeys.length} series (${[...jobs].map(([j, n]) => `${j}: ${n}`).join(', ')}), head ${headKeys.length} series`,
      );
      expect(promSeriesKeys.length).toBeGreaterThan(100);
      expect({ onlyInPrometheus: onlyInPrometheus.slice(0, 20), count: onlyInPrometheus.length }).toEqual({ onlyInPrometheus: [], count: 0 });
      expect({ onlyInHead: onlyInHead.slice(0, 20), count: onlyInHead.length }).toEqual({ onlyInHead: [], count: 0 });
      // The raw-sample query saw the same series as the series endpoint.
      expect([...prom.keys()].sort()).toEqual(promSeriesKeys);
    });

    it(`received at least ${MIN_COVERAGE * 100} % of every series' time span`, () => {
      const short = comparisons.filter((c) => c.coverage < MIN_COVERAGE);
      const minCoverage = Math.min(...comparisons.map((c) => c.coverage));
      const maxLag = Math.max(...comparisons.map((c) => c.lagMs));
      console.log(`prometheus-remote-write: coverage min ${(minCoverage * 100).toFixed(1)} %, largest lag behind Prometheus ${Math.max(0, maxLag)} ms`);
      expect(comparisons.length).toBe(prom.size);
      expect(short.slice(0, 10).map((c) => `${c.key}: ${(c.coverage * 100).toFixed(1)} %`)).toEqual([]);
    });

    it('has the same (timestamp, value) samples as Prometheus, bit for bit, up to the last one it received', () => {
      const mismatched = comparisons.filter((c) => c.mismatch !== undefined);
      const samples = comparisons.reduce((n, c) => n + c.compared, 0);
      const perSeries = comparisons.map((c) => c.compared);
      let stale = 0;
      let headSamples = 0;
      for (const s of head.values()) {
        headSamples += s.ts.length;
        s.hi.forEach((hi, j) => (stale += isStaleNaN(hi, s.lo[j]) ? 1 : 0));
      }
      const duplicates = [...head.values()].reduce((n, s) => n + s.duplicates.length, 0);
      console.log(
        [
          `prometheus-remote-write: compared ${comparisons.length} series, ${samples} samples (${Math.min(...perSeries)}..${Math.max(...perSeries)} per series); ${mismatched.length} series differ`,
          `  head: ${headSamples} samples, ${stale} staleness markers (not compared: the query API hides them), ${duplicates} duplicate timestamps`,
        ].join('\n'),
      );
      expect(samples).toBeGreaterThan(comparisons.length * ((RUN_MS / SCRAPE_INTERVAL_MS) * 0.5));
      expect(mismatched.slice(0, 10).map((c) => `${c.key}: ${c.mismatch}`)).toEqual([]);
      expect(duplicates).toBe(0);
    });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
