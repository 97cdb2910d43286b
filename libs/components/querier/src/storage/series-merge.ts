import { compareLabels, compareUtf8, type Labels } from '@panoptes/block-formats';
import type { EncodedChunk, StoredSeries } from '@panoptes/promql';

/**
 * A string identifying a label set exactly (labels are sorted, so equal sets give equal keys):
 * each name and value prefixed by its length, so no character inside them can fake a boundary.
 * Made for every series of every selection (twice as often for a query split in two): cheaper
 * than JSON.stringify. Only compared, never parsed or shown.
 */
export function labelsKey(labels: Labels): string {
  let key = '';
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i];
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  return key;
}

/**
 * Series from several sources (ingester replicas, blocks) merged by label set: one StoredSeries
 * per label set holding every chunk any source sent, byte-identical copies (the same chunk from
 * RF replicas, or from replica blocks) kept once, as Mimir's AccumulateChunks does. Chunks that
 * differ but overlap all stay: the engine merges their samples.
 */
export class SeriesMergeMap {
  private readonly byKey = new Map<string, { labels: Labels; chunks: EncodedChunk[] }>();

  get size(): number {
    return this.byKey.size;
  }

  add(labels: Labels, chunks: readonly EncodedChunk[], key = labelsKey(labels)): void {
    const entry = this.byKey.get(key);
    if (entry) {
      for (const c of chunks) entry.chunks.push(c);
    } else {
      this.byKey.set(key, { labels, chunks: [...chunks] });
    }
  }

  /** Every series sorted by labels, each with its chunks by (minT, maxT) and duplicates dropped. */
  sorted(): StoredSeries[] {
    const out: StoredSeries[] = [];
    for (const { labels, chunks } of this.byKey.values()) out.push({ labels, chunks: dedupeChunks(chunks) });
    return out.sort((a, b) => compareLabels(a.labels, b.labels));
  }
}

/** Sorts by (minT, maxT) and drops chunks equal to an earlier one (same range, encoding and bytes). */
export function dedupeChunks(chunks: EncodedChunk[]): EncodedChunk[] {
  if (chunks.length < 2) return chunks;
  chunks.sort((a, b) => a.minT - b.minT || a.maxT - b.maxT);
  const out: EncodedChunk[] = [];
  let runStart = 0;
  for (const c of chunks) {
    if (out.length > 0 && (out[out.length - 1].minT !== c.minT || out[out.length - 1].maxT !== c.maxT)) runStart = out.length;
    let duplicate = false;
    for (let i = runStart; i < out.length && !duplicate; i++) duplicate = out[i].encoding === c.encoding && sameBytes(out[i].data, c.data);
    if (!duplicate) out.push(c);
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The union of several string lists, sorted by UTF-8 bytes (Go's order, as Prometheus returns them). */
export function sortedUnion(lists: Iterable<Iterable<string>>): string[] {
  const all = new Set<string>();
  for (const list of lists) for (const s of list) all.add(s);
  return [...all].sort(compareUtf8);
}

/** The union of several lists of label sets, each set once, sorted by labels. */
export function labelSetUnion(lists: Iterable<Iterable<Labels>>): Labels[] {
  const all = new Map<string, Labels>();
  for (const list of lists) for (const labels of list) all.set(labelsKey(labels), labels);
  return [...all.values()].sort(compareLabels);
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight. After a failure no new call starts;
 * the returned promise rejects with the first failure once the calls in flight have settled, so
 * nothing of this run is still working when the caller moves on.
 */
export async function forEachConcurrent<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
}

/** An async iterable over the series a promise resolves to: `select` results the engine iterates. */
export async function* iterateSeries(series: Promise<StoredSeries[]>): AsyncGenerator<StoredSeries, void, undefined> {
  yield* await series;
}
