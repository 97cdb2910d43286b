/**
 * A binary min-heap that moves elements exactly as Go's `container/heap` does (same sift-up and
 * sift-down, same swap order). Prometheus' merges (`genericMergeSeriesSet`, `compactChunkIterator`,
 * `chainSampleIterator` in storage/merge.go) break ties by where equal elements sit in such a
 * heap; replaying the same moves makes the compactor keep the same sample as Prometheus when
 * overlapping blocks disagree on a value at one timestamp. Do not "improve" the algorithm: the
 * order of equal elements is part of the output.
 */
export class GoHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get length(): number {
    return this.items.length;
  }

  /** The smallest element (the heap must not be empty). */
  peek(): T {
    return this.items[0];
  }

  push(x: T): void {
    this.items.push(x);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the smallest element (the heap must not be empty). */
  pop(): T {
    const n = this.items.length - 1;
    this.swap(0, n);
    this.down(0, n);
    return this.items.pop()!;
  }

  clear(): void {
    this.items.length = 0;
  }

  private swap(i: number, j: number): void {
    const a = this.items;
    const x = a[i];
    a[i] = a[j];
    a[j] = x;
  }

  private up(j: number): void {
    const a = this.items;
    for (;;) {
      // Go's integer division truncates toward zero: the parent of 0 is 0.
      const i = ((j - 1) / 2) | 0;
      if (i === j || !this.less(a[j], a[i])) break;
      this.swap(i, j);
      j = i;
    }
  }

  private down(i0: number, n: number): void {
    const a = this.items;
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n) break;
      let j = j1;
      const j2 = j1 + 1;
      if (j2 < n && this.less(a[j2], a[j1])) j = j2;
      if (!this.less(a[j], a[i])) break;
      this.swap(i, j);
      i = j;
    }
  }
}
