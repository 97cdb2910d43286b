// ad-hoc probe (not committed)
import { join } from 'node:path';
import { freePort } from '@panoptes/testing';
import { sendBodies } from '../load';
import { cpuSecondsOf } from '../proc-stats';
import { buildRemoteWriteBodies } from '../remote-write-bodies';
import { startPanoptesAllInOne, scrapeMetrics, sumMetric } from '../servers';
import { RangeQueryClient } from './client';
import { generateQueryDataset } from './dataset';
import { DASHBOARD_QUERIES } from './queries';
import { chooseRanges } from './query-bench';

export async function main(): Promise<number> {
  const ranges = chooseRanges(Date.now(), 480, 60_000);
  const ds = generateQueryDataset({ series: 10_000, samplesPerSeries: 480, seed: 1, startMs: ranges.now.startMs });
  const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 20, maxSamplesPerRequest: 10_000, seed: 1 });
  const grpc = await freePort();
  const profile = process.env.PROBE_PROFILE;
  if (profile) { process.env.NODE_OPTIONS = `--require=${join(__dirname, 'cpu-profiler-preload.js')}`; process.env.PANOPTES_BENCH_CPU_PROFILE = profile; }
  const server = await startPanoptesAllInOne({ core: 0, keep: false, extraFlags: [`-server.grpc-listen-port=${grpc}`, `-ingester.ring.instance-addr=127.0.0.1:${grpc}`, '-query-frontend.cache-results=true'] });
  delete process.env.NODE_OPTIONS;
  try {
    await sendBodies(server.pushUrl, plan.bodies, plan.groups, 4);
    for (;;) { const n = sumMetric(await scrapeMetrics(server), 'panoptes_ingester_samples_appended_total'); if (n >= plan.samples) break; await new Promise((r) => setTimeout(r, 200)); }
    if (process.env.PROBE_IDLE) {
      for (let k = 0; k < 12; k++) { const c0 = cpuSecondsOf(server.pid); await new Promise((r) => setTimeout(r, 5000)); console.log(`idle cpu ${(cpuSecondsOf(server.pid) - c0) / 5 * 100}%`); }
    }
    const client = new RangeQueryClient(`${server.baseUrl}/prometheus/api/v1/query_range`);
    const names = (process.env.PROBE_QUERIES ?? 'sum-rate,node-cpu-busy,count-by-node').split(',');
    const qs = DASHBOARD_QUERIES.filter((q) => names.includes(q.name));
    for (const q of qs) await client.query(q.expr, ranges.past, false);
    const N = Number(process.env.PROBE_N ?? 200);
    if (profile) process.kill(server.pid, 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 500));
    for (const pause of [0, 20]) {
      for (const q of qs) {
        const ts: number[] = [];
        const c0 = cpuSecondsOf(server.pid);
        for (let i = 0; i < N; i++) {
          if (pause) await new Promise((r) => setTimeout(r, pause));
          ts.push((await client.query(q.expr, ranges.past, false)).ms);
        }
        const cpu = (cpuSecondsOf(server.pid) - c0) / N * 1000;
        ts.sort((a, b) => a - b);
        console.log(`${q.name.padEnd(16)} pause=${pause} p50=${ts[N >> 1].toFixed(2)} p90=${ts[Math.floor(N * 0.9)].toFixed(2)} min=${ts[0].toFixed(2)} cpu/req=${cpu.toFixed(2)}ms`);
      }
    }
    if (profile) { process.kill(server.pid, 'SIGUSR2'); await new Promise((r) => setTimeout(r, 3000)); }
    client.close();
  } finally {
    await server.process.stop(10_000);
  }
  return 0;
}
