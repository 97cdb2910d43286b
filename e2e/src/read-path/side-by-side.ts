import { readFileSync } from 'node:fs';
import { compressSnappy, encodeWriteRequestV1, WriteRequestV1Input } from '@panoptes/proto';
import { PromApiClient, PrometheusPeer, freePort, startPrometheus, vectorOf } from '@panoptes/testing';
import { PanoptesServer, pushRemoteWrite } from '../harness';
import { Dataset, writeRequests } from './dataset';

/** What a side holds, counted by query: series with samples, and samples (staleness markers excluded). */
export interface Holdings {
  series: number;
  samples: number;
}

/**
 * A real Prometheus (remote-write receiver on) and a Panoptes all-in-one process, both holding
 * the same data set, each behind a PromApiClient: the two sides of a PromQL comparison.
 */
export class SideBySide {
  private constructor(
    readonly prometheusPeer: PrometheusPeer,
    readonly server: PanoptesServer,
    readonly prometheus: PromApiClient,
    readonly panoptes: PromApiClient,
  ) {}

  /**
   * Starts both, writes `dataset` to both over remote write 1.0 in 10-minute slices, and waits
   * (at most `timeoutMs`) until both answer with every series and sample. Stops what it started
   * when that fails.
   */
  static async start(
    dataset: Dataset,
    tenant: string,
    countAtMs: number,
    timeoutMs = 20_000,
  ): Promise<{ sides: SideBySide; held: { prometheus: Holdings; panoptes: Holdings }; timings: string }> {
    const t0 = Date.now();
    // The querier reaches the ingester at its ring address, by default the first private IP, where
    // the loopback-only gRPC server does not listen: pin both to a port of our own (later flags win).
    const grpcPort = await freePort();
    const server = await PanoptesServer.create({
      name: 'panoptes-e2e-promql-compare',
      flags: [
        `-server.grpc-listen-port=${grpcPort}`,
        `-ingester.ring.instance-addr=127.0.0.1:${grpcPort}`,
        '-distributor.ingestion-rate-limit=10000000',
        '-distributor.ingestion-burst-size=10000000',
        // No block is cut while the test runs, so every answer comes from the ingester's head
        // and the comparison does not depend on block timing (the head keeps cut blocks for
        // -blocks-storage.tsdb.retention-period, 13h, past the querier's query-store-after, 12h).
        '-blocks-storage.tsdb.block-ranges-period=24h',
      ],
    });
    let peer: PrometheusPeer | undefined;
    try {
      [peer] = await Promise.all([
        // The global evaluation interval is the step of subqueries written without one (`[15m:]`): 1m, as in Panoptes.
        startPrometheus({ remoteWriteReceiver: true, globalScrapeIntervalMs: 60_000 }),
        server.start(),
      ]);
      const sides = new SideBySide(
        peer,
        server,
        new PromApiClient(peer.url, { timeoutMs: 30_000 }),
        new PromApiClient(`${server.url}/prometheus`, { headers: { 'X-Scope-OrgID': tenant }, timeoutMs: 30_000 }),
      );
      const t1 = Date.now();
      for (const req of writeRequests(dataset, 10 * 60_000)) {
        const [, ours] = await Promise.all([pushToPrometheus(peer.remoteWriteUrl, req), pushRemoteWrite(server.url, tenant, req, 30_000)]);
        if ('error' in ours || ours.status >= 300) throw new Error(`Panoptes refused a write: ${JSON.stringify(ours)}`);
      }
      const t2 = Date.now();
      const [prometheus, panoptes] = await Promise.all([
        waitForAll(sides.prometheus, dataset, countAtMs, timeoutMs),
        waitForAll(sides.panoptes, dataset, countAtMs, timeoutMs),
      ]);
      const timings = `started in ${t1 - t0} ms, wrote in ${t2 - t1} ms, both held everything ${Date.now() - t2} ms later`;
      return { sides, held: { prometheus, panoptes }, timings };
    } catch (err) {
      await peer?.stop();
      await server.dispose();
      throw err;
    }
  }

  /**
   * CPU seconds (user + system) each process has used so far, from /proc (Linux); undefined where
   * it cannot be read. A load-independent cost figure: wall times on a busy machine say little.
   */
  cpuSeconds(): { prometheus?: number; panoptes?: number } {
    return { prometheus: processCpuSeconds(this.prometheusPeer.process.pid), panoptes: processCpuSeconds(this.server.pid) };
  }

  async stop(): Promise<void> {
    await this.prometheusPeer.stop();
    await this.server.dispose();
  }
}

/** Prometheus's own receiver: remote write 1.0 at `/api/v1/write`; throws unless 204. */
async function pushToPrometheus(url: string, req: WriteRequestV1Input): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '0.1.0' },
    body: compressSnappy(encodeWriteRequestV1(req)),
  });
  if (res.status !== 204) throw new Error(`Prometheus refused a write: HTTP ${res.status}: ${await res.text()}`);
}

/**
 * Series and samples a side holds at `atMs`, by query: `count(last_over_time(…[3h]))` and the sum
 * of `count_over_time(<name>[3h])` over the data set's metric names (count_over_time drops the
 * name, so over all names at once the results would collide).
 */
export async function holdings(client: PromApiClient, dataset: Dataset, atMs: number): Promise<Holdings> {
  const value = async (q: string): Promise<number> => Number(vectorOf(await client.query(q, atMs))[0]?.value[1] ?? 0);
  const names = [...new Set(dataset.series.map((s) => s.labels.__name__))].sort();
  const [series, samples] = await Promise.all([
    value('count(last_over_time({__name__=~".+"}[3h]))'),
    value(names.map((n) => `sum(count_over_time(${n}[3h]))`).join(' + ')),
  ]);
  return { series, samples };
}

/** Polls `holdings` until it matches the data set or `timeoutMs` passes; returns the last count (or throws the last error). */
async function waitForAll(client: PromApiClient, dataset: Dataset, atMs: number, timeoutMs: number): Promise<Holdings> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let h: Holdings | undefined;
    let error: unknown;
    try {
      h = await holdings(client, dataset, atMs);
      if (h.series === dataset.series.length && h.samples === dataset.samples) return h;
    } catch (err) {
      error = err;
    }
    if (Date.now() > deadline) {
      if (h) return h;
      throw error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** utime + stime of a process in seconds, from /proc/<pid>/stat (clock ticks of 1/100 s). */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
