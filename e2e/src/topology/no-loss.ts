import type { PromApiClient } from '@panoptes/testing';
import { type CounterWriter, type SentRequest, seriesKey } from '../harness';
import { resultPoints } from './compare';

/** Raw samples by series key, then timestamp (ms) → value, as the query API returns them. */
export type RawSamples = Map<string, Map<number, string>>;

/** What `AckedSamples.checkAll` found. */
export interface NoLossResult {
  /** Every sample of the counter series the frontend returned at the end. */
  got: RawSamples;
  /** Acknowledged samples checked (acknowledged requests × series). */
  samplesChecked: number;
  /** Requests not acknowledged whose samples were stored anyway (the answer was lost). */
  storedUnacked: number;
}

/**
 * The no-loss check of the failure scenarios, over what a `CounterWriter` sent: every
 * acknowledged sample is answered by the query-frontend exactly once with its value, and nothing
 * that was never sent is answered. An unacknowledged sample may be stored (its answer was lost)
 * or not. Reads raw samples (`metric[window]` at an instant), so the answer is the stored data.
 */
export class AckedSamples {
  private readonly keys: string[];

  constructor(
    private readonly writer: CounterWriter,
    private readonly api: PromApiClient,
    private readonly metric: string,
    private readonly series: number,
  ) {
    this.keys = Array.from({ length: series }, (_, k) => seriesKey(writer.seriesLabels(k)));
  }

  /** Every sample of the counter series from the writer's first request up to `atMs`. */
  async raw(atMs: number): Promise<RawSamples> {
    const firstT = this.writer.sent[0].t;
    const windowS = Math.ceil((atMs - firstT) / 1000) + 2;
    return resultPoints(await this.api.query(`${this.metric}[${windowS}s]`, atMs));
  }

  /** Acknowledged samples up to `atMs` missing from `got` (or with another value), as "series@t=i" (at most 10). */
  missingUpTo(got: RawSamples, atMs: number): string[] {
    const out: string[] = [];
    for (const r of this.writer.acked) {
      if (r.t > atMs) break;
      for (const key of this.keys) if (got.get(key)?.get(r.t) !== String(r.i)) out.push(`${key}@${r.t}=${r.i} (got ${got.get(key)?.get(r.t)})`);
      if (out.length >= 10) break;
    }
    return out;
  }

  /** Polls until the frontend answers every sample acknowledged up to `atMs` (or the timeout); returns what is still missing. */
  async missingEventually(atMs: number, timeoutMs: number, intervalMs = 250): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [];
    for (;;) {
      try {
        missing = this.missingUpTo(await this.raw(atMs), atMs);
      } catch (err) {
        missing = [`query failed: ${String(err)}`];
      }
      if (missing.length === 0 || Date.now() > deadline) return missing;
      await sleep(intervalMs);
    }
  }

  /**
   * After the writer stopped: polls until every acknowledged sample is answered, then asserts it
   * is answered exactly once with its value, that every series is there and nothing never sent.
   */
  async checkAll(timeoutMs: number): Promise<NoLossResult> {
    const sent = this.writer.sent;
    const acked = this.writer.acked;
    const lastT = sent[sent.length - 1].t;
    let got: RawSamples = new Map();
    let missing: string[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        got = await this.raw(lastT);
        missing = this.missingUpTo(got, lastT);
      } catch (err) {
        missing = [`query failed: ${String(err)}`];
      }
      if (missing.length === 0 || Date.now() > deadline) break;
      await sleep(500);
    }
    const byT = new Map(sent.map((r) => [r.t, r]));
    const neverSent: string[] = [];
    const storedUnacked = new Set<number>();
    for (const [key, points] of got) {
      for (const [ts, v] of points) {
        const r = byT.get(ts);
        if (!r || String(r.i) !== v) neverSent.push(`${key}@${ts}=${v}`);
        else if (!r.acked) storedUnacked.add(r.i);
      }
    }
    expect({ series: got.size, missing, neverSent: neverSent.slice(0, 10) }).toEqual({ series: this.series, missing: [], neverSent: [] });
    // Exactly once: a series holds one sample per timestamp, so its count is the acknowledged
    // requests plus the unacknowledged ones that were stored anyway.
    for (const [key, points] of got) {
      expect({ key, samples: points.size }).toEqual({ key, samples: acked.length + [...storedUnacked].filter((i) => points.has(sent[i].t)).length });
    }
    return { got, samplesChecked: acked.length * this.series, storedUnacked: storedUnacked.size };
  }
}

/** The requests not acknowledged, counted by what happened: "HTTP 503 x12, fetch failed x3". */
export function failureSummary(sent: readonly SentRequest[]): string {
  const failures = new Map<string, number>();
  for (const r of sent) {
    if (r.acked) continue;
    const what = 'status' in r.outcome ? `HTTP ${r.outcome.status}` : r.outcome.error;
    failures.set(what, (failures.get(what) ?? 0) + 1);
  }
  return [...failures].map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
