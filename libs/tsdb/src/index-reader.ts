import { Matcher } from './matcher';
import { EMPTY_POSTINGS, intersect, union, without } from './postings';

/** What selecting series needs from an index: the head's and a block's implement it alike. */
export interface IndexReader {
  /** Every value of a label name, in any order. */
  labelValues(name: string): Iterable<string>;
  /** The union of the postings of `name` with each of `values`. */
  postings(name: string, values: Iterable<string>): Uint32Array;
  /** Every series ref. */
  allPostings(): Uint32Array;
}

/**
 * The refs of the series selected by all the matchers (Prometheus's PostingsForMatchers):
 * matchers that cannot match "" intersect the postings of the values they match; matchers that can
 * match "" subtract the postings of the values they reject (so series without the label stay in).
 * With no matcher of the first kind, selection starts from every series.
 */
export function selectPostings(index: IndexReader, matchers: Matcher[]): Uint32Array {
  const include: Uint32Array[] = [];
  const exclude: Uint32Array[] = [];
  for (const m of matchers) {
    if (m.matchesEverything) continue;
    if (m.matchesEmpty) {
      // Subtract the series whose value for m.name is one m rejects.
      const rejected = valuesMatching(index, m.inverse());
      if (rejected.length > 0) exclude.push(index.postings(m.name, rejected));
    } else {
      const accepted = valuesMatching(index, m);
      if (accepted.length === 0) return EMPTY_POSTINGS;
      include.push(index.postings(m.name, accepted));
    }
  }
  let result = include.length > 0 ? intersect(include) : index.allPostings();
  if (exclude.length > 0) result = without(result, union(exclude));
  return result;
}

function valuesMatching(index: IndexReader, m: Matcher): string[] {
  // An equality needs no scan: a value the index lacks simply has empty postings.
  if (m.type === '=') return [m.value];
  const out: string[] = [];
  for (const v of index.labelValues(m.name)) if (m.matches(v)) out.push(v);
  return out;
}
