import { Labels, XorChunkIterator } from '@panoptes/block-formats';
import { CHUNK_ENCODING_XOR, IngesterClient, MatcherSpec } from '@panoptes/ingester-client';

/** Prometheus's staleness marker, a NaN with this exact bit pattern (`value.StaleNaN`). */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

/** The raw samples of one series as the ingester returned them, in time order. */
export interface HeadSeries {
  labels: Labels;
  /** Timestamps in ms, ascending. */
  ts: number[];
  /** Values (a NaN's payload is only in `hi`/`lo`). */
  vs: number[];
  /** High and low 32 bits of each value's IEEE-754 representation. */
  hi: number[];
  lo: number[];
  /**
   * Samples that shared a timestamp with an earlier one (in another chunk or the same): a head
   * holds at most one sample per timestamp, so anything here is a duplicate. Not in ts/vs.
   */
  duplicates: { t: number; v: number }[];
}

/** A canonical key for a label set given as pairs or as an object: `{a="1",b="2"}`, names sorted. */
export function seriesKey(labels: Labels | Record<string, string>): string {
  const pairs = Array.isArray(labels) ? [...(labels as Labels)] : Object.entries(labels);
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${pairs.map(([n, v]) => `${n}=${JSON.stringify(v)}`).join(',')}}`;
}

export function isStaleNaN(hi: number, lo: number): boolean {
  return hi === STALE_NAN_HI && lo === STALE_NAN_LO;
}

const ALL_SERIES: MatcherSpec[] = [{ type: '=~', name: '__name__', value: '.+' }];

/**
 * Every sample the ingester at `client` holds for `tenant` between minT and maxT (default: all),
 * by series key, read through the public QueryStream call and decoded from the XOR chunks.
 */
export async function readHead(
  client: IngesterClient,
  tenant: string,
  options: { matchers?: MatcherSpec[]; minT?: number; maxT?: number } = {},
): Promise<Map<string, HeadSeries>> {
  const out = new Map<string, HeadSeries>();
  const it = new XorChunkIterator();
  const req = { minT: options.minT ?? 0, maxT: options.maxT ?? Date.now() + 3_600_000, matchers: options.matchers ?? ALL_SERIES };
  for await (const series of client.queryStream(tenant, req)) {
    const samples: { t: number; v: number; hi: number; lo: number }[] = [];
    for (const chunk of series.chunks) {
      if (chunk.encoding !== CHUNK_ENCODING_XOR) throw new Error(`series ${seriesKey(series.labels)}: chunk encoding ${chunk.encoding} is not XOR`);
      it.reset(chunk.data);
      while (it.next()) samples.push({ t: it.t, v: it.v, hi: it.valueHi, lo: it.valueLo });
    }
    // Stable sort: of two samples at one timestamp the first chunk's is kept, the other reported.
    samples.sort((a, b) => a.t - b.t);
    const key = seriesKey(series.labels);
    if (out.has(key)) throw new Error(`QueryStream returned series ${key} twice`);
    const s: HeadSeries = { labels: series.labels, ts: [], vs: [], hi: [], lo: [], duplicates: [] };
    for (const x of samples) {
      if (s.ts.length > 0 && s.ts[s.ts.length - 1] === x.t) {
        s.duplicates.push({ t: x.t, v: x.v });
        continue;
      }
      s.ts.push(x.t);
      s.vs.push(x.v);
      s.hi.push(x.hi);
      s.lo.push(x.lo);
    }
    out.set(key, s);
  }
  return out;
}

/** The IEEE-754 bits of `v` as [hi, lo]. */
export function float64Bits(v: number): [number, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v); // big-endian: the high word first
  return [view.getUint32(0), view.getUint32(4)];
}
