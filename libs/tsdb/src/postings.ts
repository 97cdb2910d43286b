/**
 * Postings lists: sorted series references (uint32) per label pair, and the set operations queries
 * combine them with. Every list is a Uint32Array sorted ascending without duplicates; operations
 * return new arrays and never modify their inputs.
 */
export const EMPTY_POSTINGS = new Uint32Array(0);

/**
 * A growable sorted list of refs. Appends must be ascending (the head hands out refs in order).
 * A list of one ref (a label value only one series has, e.g. a pod name) keeps it in a field and
 * allocates no array: a typed array costs more than a hundred bytes and a slow allocation.
 */
export class RefList {
  private buf: Uint32Array | undefined;
  private first = 0;
  private len = 0;

  constructor(private readonly initialCapacity = 4) {}

  append(ref: number): void {
    const len = this.len;
    if (len === 0) {
      this.first = ref;
      this.len = 1;
      return;
    }
    const last = this.buf === undefined ? this.first : this.buf[len - 1];
    if (ref <= last) {
      throw new RangeError(`postings refs must be appended in ascending order: ${ref} after ${last}`);
    }
    let buf = this.buf;
    if (buf === undefined) {
      buf = this.buf = new Uint32Array(Math.max(2, this.initialCapacity));
      buf[0] = this.first;
    } else if (len === buf.length) {
      const next = new Uint32Array(buf.length * 2);
      next.set(buf);
      buf = this.buf = next;
    }
    buf[len] = ref;
    this.len = len + 1;
  }

  /** A view of the current contents; valid until the next append or removal. */
  view(): Uint32Array {
    if (this.buf === undefined) return this.len === 0 ? EMPTY_POSTINGS : Uint32Array.of(this.first);
    return this.buf.subarray(0, this.len);
  }

  get length(): number {
    return this.len;
  }

  /** Keeps only the refs for which `keep` is true; returns how many were removed. */
  retain(keep: (ref: number) => boolean): number {
    const buf = this.buf;
    if (buf === undefined) {
      if (this.len === 1 && !keep(this.first)) {
        this.len = 0;
        return 1;
      }
      return 0;
    }
    let w = 0;
    for (let r = 0; r < this.len; r++) {
      const ref = buf[r];
      if (keep(ref)) buf[w++] = ref;
    }
    const removed = this.len - w;
    this.len = w;
    return removed;
  }
}

/** Refs present in every list. Intersects smallest first, so the work is bounded by the shortest list. */
export function intersect(lists: Uint32Array[]): Uint32Array {
  if (lists.length === 0) return EMPTY_POSTINGS;
  const sorted = [...lists].sort((a, b) => a.length - b.length);
  let acc = sorted[0];
  for (let i = 1; i < sorted.length && acc.length > 0; i++) acc = intersect2(acc, sorted[i]);
  return acc === sorted[0] ? acc.slice() : acc;
}

function intersect2(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
    const v = a[i];
    // Galloping would help for very skewed sizes; a linear merge is enough for now.
    while (j < b.length && b[j] < v) j++;
    if (j < b.length && b[j] === v) out[n++] = v;
  }
  return out.subarray(0, n);
}

/** Refs present in any list (k-way merge). */
export function union(lists: Uint32Array[]): Uint32Array {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return EMPTY_POSTINGS;
  if (nonEmpty.length === 1) return nonEmpty[0].slice();
  let total = 0;
  for (const l of nonEmpty) total += l.length;
  const all = new Uint32Array(total);
  let off = 0;
  for (const l of nonEmpty) {
    all.set(l, off);
    off += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i];
  return all.subarray(0, n);
}

/** Refs of `a` that are not in `b`. */
export function without(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (b.length === 0) return a.slice();
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    while (j < b.length && b[j] < v) j++;
    if (j >= b.length || b[j] !== v) out[n++] = v;
  }
  return out.subarray(0, n);
}
