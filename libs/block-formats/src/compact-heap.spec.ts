import { GoHeap } from './compact-heap';

describe('GoHeap', () => {
  it("pops equal keys in the order Go's container/heap does (the tie-breaking Prometheus' merges rely on)", () => {
    // Expected ids from Go 1.x container/heap with the same pushes and pops (see compact-heap.ts).
    const keys = [5, 3, 5, 1, 3, 5, 1, 2, 5, 3, 1, 5];
    const h = new GoHeap<{ key: number; id: number }>((a, b) => a.key < b.key);
    keys.forEach((key, id) => h.push({ key, id }));
    const out: number[] = [];
    for (let i = 0; i < 3; i++) out.push(h.pop().id);
    h.push({ key: 1, id: 12 });
    h.push({ key: 3, id: 13 });
    while (h.length > 0) out.push(h.pop().id);
    expect(out).toEqual([3, 10, 6, 12, 7, 9, 13, 1, 4, 5, 8, 11, 2, 0]);
  });

  it.each([
    { name: 'ascending', keys: [1, 2, 3, 4, 5, 6, 7] },
    { name: 'descending', keys: [9, 7, 5, 3, 1] },
    { name: 'random with repeats', keys: [4, 8, 1, 4, 9, 2, 2, 7, 0, 8] },
  ])('pops keys in ascending order ($name)', ({ keys }) => {
    const h = new GoHeap<number>((a, b) => a < b);
    keys.forEach((k) => h.push(k));
    const out: number[] = [];
    while (h.length > 0) out.push(h.pop());
    expect(out).toEqual([...keys].sort((a, b) => a - b));
  });
});
