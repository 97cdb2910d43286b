import { type Labels, XOR_MAX_SAMPLES, XorChunkEncoder, compareLabels } from '@panoptes/block-formats';
import type { Matcher } from '@panoptes/tsdb';
import { getLabel, labelsKey } from './labels';
import { STALE_NAN_HI, STALE_NAN_LO } from './series-data';
import type { EncodedChunk, Queryable, SelectHints, SeriesQuerier, StoredSeries } from './types';

/** One sample to store: a float, or Prometheus's staleness marker. */
export interface MemorySample {
  t: number;
  v: number;
  stale?: boolean;
}

/**
 * Series held in memory as XOR chunks of up to 120 samples, one tenant space per tenant: the
 * engine's test storage and the storage of the PromQL test scripts. Queries see it exactly as
 * they see ingesters and blocks, through encoded chunks.
 */
export class MemoryQueryable implements Queryable {
  private readonly tenants = new Map<string, Map<string, { labels: Labels; samples: Map<number, MemorySample>; stored?: StoredSeries }>>();

  /**
   * Adds samples to a series; `labels` need not be sorted. A sample at a timestamp the series
   * already has replaces the old one (a test script loading a series twice means the later value).
   */
  add(tenant: string, labels: Labels, samples: readonly MemorySample[]): void {
    const sorted = [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let space = this.tenants.get(tenant);
    if (!space) {
      space = new Map();
      this.tenants.set(tenant, space);
    }
    const key = labelsKey(sorted);
    let entry = space.get(key);
    if (!entry) {
      entry = { labels: sorted, samples: new Map() };
      space.set(key, entry);
    }
    for (const x of samples) entry.samples.set(x.t, x);
    entry.stored = undefined;
  }

  clear(): void {
    this.tenants.clear();
  }

  private stored(tenant: string): StoredSeries[] {
    const out: StoredSeries[] = [];
    for (const entry of this.tenants.get(tenant)?.values() ?? []) {
      entry.stored ??= { labels: entry.labels, chunks: encode([...entry.samples.values()].sort((a, b) => a.t - b.t)) };
      out.push(entry.stored);
    }
    return out;
  }

  querier(tenant: string, minT: number, maxT: number): SeriesQuerier {
    const all = this.stored(tenant);
    const matching = (matchers: readonly Matcher[]): StoredSeries[] =>
      all
        .filter((s) => matchers.every((m) => m.matches(getLabel(s.labels, m.name))))
        .filter((s) => s.chunks.some((c) => c.maxT >= minT && c.minT <= maxT))
        .sort((a, b) => compareLabels(a.labels, b.labels));
    return {
      select(matchers: readonly Matcher[], hints: SelectHints): StoredSeries[] {
        return matching(matchers)
          .map((s) => ({ labels: s.labels, chunks: s.chunks.filter((c) => c.maxT >= hints.start && c.minT <= hints.end) }))
          .filter((s) => s.chunks.length > 0);
      },
      async labelNames(matchers: readonly Matcher[]): Promise<string[]> {
        const names = new Set<string>();
        for (const s of matching(matchers)) for (const [n] of s.labels) names.add(n);
        return [...names].sort();
      },
      async labelValues(name: string, matchers: readonly Matcher[]): Promise<string[]> {
        const values = new Set<string>();
        for (const s of matching(matchers)) {
          const v = getLabel(s.labels, name);
          if (v !== '') values.add(v);
        }
        return [...values].sort();
      },
      async series(matcherSets: readonly (readonly Matcher[])[]): Promise<Labels[]> {
        const out = new Map<string, Labels>();
        for (const set of matcherSets) for (const s of matching(set)) out.set(labelsKey(s.labels), s.labels);
        return [...out.values()].sort(compareLabels);
      },
    };
  }
}

/** XOR chunks of up to 120 samples each. */
function encode(samples: readonly MemorySample[]): EncodedChunk[] {
  const chunks: EncodedChunk[] = [];
  const enc = new XorChunkEncoder();
  const flush = () => {
    if (enc.numSamples === 0) return;
    chunks.push({ minT: enc.minTime, maxT: enc.maxTime, encoding: 1, data: enc.bytes().slice() });
    enc.reset();
  };
  for (const x of samples) {
    if (enc.numSamples >= XOR_MAX_SAMPLES) flush();
    if (x.stale) enc.appendBits(x.t, STALE_NAN_HI, STALE_NAN_LO);
    else enc.append(x.t, x.v);
  }
  flush();
  return chunks;
}
