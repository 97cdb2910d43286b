import { HeadIndex } from './head-index';
import { compileRegex, Matcher, MatchType } from './matcher';
import { intersect, RefList, union, without } from './postings';
import { selectPostings } from './index-reader';

const arr = (...xs: number[]) => Uint32Array.from(xs);

describe('postings', () => {
  it.each([
    ['two overlapping lists', [arr(1, 3, 5, 7), arr(3, 4, 5, 8)], [3, 5]],
    ['a list with an empty one', [arr(1, 2), arr()], []],
    ['three lists', [arr(1, 2, 3, 4), arr(2, 3, 4), arr(0, 4)], [4]],
    ['one list (copied)', [arr(1, 2)], [1, 2]],
    ['no lists', [], []],
  ])('intersect: %s', (_n, lists, expected) => {
    const inputs = lists.map((l) => l.slice());
    expect([...intersect(lists)]).toEqual(expected);
    expect(lists).toEqual(inputs);
  });

  it.each([
    ['overlapping lists dedupe', [arr(1, 3, 5), arr(3, 4)], [1, 3, 4, 5]],
    ['empty lists', [arr(), arr()], []],
    ['one list', [arr(2, 9)], [2, 9]],
  ])('union: %s', (_n, lists, expected) => {
    expect([...union(lists)]).toEqual(expected);
  });

  it('without removes the refs of the second list', () => {
    expect([...without(arr(1, 2, 3, 4, 5), arr(2, 4, 6))]).toEqual([1, 3, 5]);
    expect([...without(arr(1, 2), arr())]).toEqual([1, 2]);
  });

  it('RefList grows, keeps order and rejects out-of-order appends', () => {
    const l = new RefList(1);
    for (let i = 0; i < 100; i++) l.append(i * 2);
    expect(l.length).toBe(100);
    expect(l.view()[99]).toBe(198);
    expect(() => l.append(10)).toThrow('ascending order');
    expect(l.retain((r) => r % 4 === 0)).toBe(50);
    expect([...l.view()].slice(0, 3)).toEqual([0, 4, 8]);
  });

  it.each<[string, number[], (r: number) => boolean, number[], number]>([
    ['empty', [], () => true, [], 0],
    ['one ref, kept', [7], () => true, [7], 0],
    ['one ref, removed', [7], () => false, [], 1],
    ['two refs (the second append moves the first into an array)', [7, 9], (r) => r === 9, [9], 1],
  ])('RefList of few refs reads, retains and appends like a long one: %s', (_name, refs, keep, kept, removed) => {
    const l = new RefList();
    for (const r of refs) l.append(r);
    expect([...l.view()]).toEqual(refs);
    expect(l.length).toBe(refs.length);
    expect(l.retain(keep)).toBe(removed);
    expect([...l.view()]).toEqual(kept);
    if (kept.length > 0) expect(() => l.append(kept[kept.length - 1])).toThrow('ascending order');
    l.append(100);
    expect([...l.view()]).toEqual([...kept, 100]);
  });
});

describe('Matcher', () => {
  it.each<[MatchType, string, string, boolean]>([
    ['=', 'a', 'a', true],
    ['=', 'a', 'ab', false],
    ['!=', 'a', 'b', true],
    ['=~', 'a.*', 'abc', true],
    ['=~', 'b', 'abc', false], // anchored: no substring match
    ['=~', 'a|b', 'b', true],
    ['=~', 'a|b', 'ab', false],
    ['=~', '.', '\n', true], // . matches newline, as Prometheus's (?s)
    ['=~', '(?i)abc', 'ABC', true],
    ['=~', '.+', '', false],
    ['=~', 'x*', '', true],
    ['!~', 'a.*', 'b', true],
    ['!~', '.*', '', false],
    ['=~', 'foo\\.bar', 'foo.bar', true],
    ['=~', 'foo\\.bar', 'fooxbar', false],
    ['=~', '[0-9]+', '123', true],
    // RE2 inline case flags inside the regex, rewritten as character classes.
    ['=~', '(?i:PRO).*', 'Production', true],
    ['=~', '(?i:PRO).*', 'xproduction', false],
    ['=~', '.*((?i)DUC)x', 'produCx', true],
    ['=~', '.*((?i)DUC)x', 'produCX', false],
    ['=~', 'a(?i)b', 'aB', true],
    ['=~', 'a(?i)b', 'AB', false],
    ['=~', '(?i:[a-c]x)', 'BX', true],
    ['=~', '(?i:[^a]x)', 'AX', false],
    ['=~', '(?i:a(?-i:b))', 'Ab', true],
    ['=~', '(?i:a(?-i:b))', 'AB', false],
    ['=~', '(?P<n>a)(?i:b)', 'aB', true],
    ['=~', 'x{2}(?i:y)', 'xxY', true],
  ])('%s %p against %p → %p', (type, pattern, value, expected) => {
    expect(new Matcher(type, 'l', pattern).matches(value)).toBe(expected);
  });

  it.each(['(', 'a(?U)b', '[[:alpha:]]'])('rejects unsupported or invalid regex %p with a typed error', (re) => {
    expect(() => compileRegex(re)).toThrow(expect.objectContaining({ reason: 'invalid_regex' }));
  });
});

describe('selectPostings on the head index (Prometheus PostingsForMatchers semantics)', () => {
  const index = new HeadIndex();
  const series: Array<Record<string, string>> = [
    { n: '1' },
    { n: '1', i: 'a' },
    { n: '1', i: 'b' },
    { n: '1', i: '\n' },
    { n: '2' },
    { n: '2.5' },
  ];
  series.forEach((labels, ref) => {
    const names = Object.keys(labels).sort();
    index.add(ref + 1, index.internLabels(names, names.map((k) => labels[k])));
  });
  const m = (type: MatchType, name: string, value: string) => new Matcher(type, name, value);

  it.each<[string, Matcher[], number[]]>([
    ['n="1"', [m('=', 'n', '1')], [1, 2, 3, 4]],
    ['n="1",i="a"', [m('=', 'n', '1'), m('=', 'i', 'a')], [2]],
    ['n="1",i="missing"', [m('=', 'n', '1'), m('=', 'i', 'missing')], []],
    ['missing=""', [m('=', 'missing', '')], [1, 2, 3, 4, 5, 6]],
    ['n!="1"', [m('!=', 'n', '1')], [5, 6]],
    ['i=~".*"', [m('=~', 'i', '.*')], [1, 2, 3, 4, 5, 6]],
    ['i=~"" (series without i)', [m('=~', 'i', '')], [1, 5, 6]],
    ['i!=""', [m('!=', 'i', '')], [2, 3, 4]],
    ['n="1",i!=""', [m('=', 'n', '1'), m('!=', 'i', '')], [2, 3, 4]],
    ['n="1",i=~".*"', [m('=', 'n', '1'), m('=~', 'i', '.*')], [1, 2, 3, 4]],
    ['n="1",i=~".+"', [m('=', 'n', '1'), m('=~', 'i', '.+')], [2, 3, 4]],
    ['n="1",i!~".+"', [m('=', 'n', '1'), m('!~', 'i', '.+')], [1]],
    ['n="1",i=~"a|b"', [m('=', 'n', '1'), m('=~', 'i', 'a|b')], [2, 3]],
    ['n="1",i!~"a"', [m('=', 'n', '1'), m('!~', 'i', 'a')], [1, 3, 4]],
    ['n="1",i=~"." (matches newline)', [m('=', 'n', '1'), m('=~', 'i', '.')], [2, 3, 4]],
    ['n="1",i=~"(?i)A"', [m('=', 'n', '1'), m('=~', 'i', '(?i)A')], [2]],
    ['n=~"1|2"', [m('=~', 'n', '1|2')], [1, 2, 3, 4, 5]],
    ['n=~"2.*" (prefix)', [m('=~', 'n', '2.*')], [5, 6]],
    ['n=~"2\\\\..*"', [m('=~', 'n', '2\\..*')], [6]],
    ['i!~".*" selects nothing', [m('!~', 'i', '.*')], []],
    ['i=~"a|" (a or absent)', [m('=~', 'i', 'a|')], [1, 2, 5, 6]],
    ['n="1",n="2" contradict', [m('=', 'n', '1'), m('=', 'n', '2')], []],
  ])('%s', (_name, matchers, expected) => {
    expect([...selectPostings(index, matchers)]).toEqual(expected);
  });

  it('lists label names and values', () => {
    expect(index.labelNames()).toEqual(['i', 'n']);
    expect(index.labelValues('i').sort()).toEqual(['\n', 'a', 'b']);
    expect(index.labelValues('nope')).toEqual([]);
  });

  it('agrees with a plain map model over thousands of series, table growth and removals', () => {
    // Seeded LCG: the same series every run.
    let seed = 12345;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const idx = new HeadIndex();
    const model = new Map<string, Map<string, number[]>>();
    const live = new Set<number>();
    const addTo = (ref: number, labels: Record<string, string>) => {
      const names = Object.keys(labels).sort();
      idx.add(ref, idx.internLabels(names, names.map((n) => labels[n])));
      for (const n of names) {
        if (!model.has(n)) model.set(n, new Map());
        const byValue = model.get(n)!;
        byValue.set(labels[n], [...(byValue.get(labels[n]) ?? []), ref]);
      }
      live.add(ref);
    };
    const check = () => {
      expect(idx.labelNames()).toEqual([...model.keys()].sort());
      for (const [n, byValue] of model) {
        expect(idx.labelValues(n).sort()).toEqual([...byValue.keys()].sort());
        for (const [v, refs] of byValue) expect([...idx.postings(n, [v])]).toEqual(refs);
      }
      expect([...idx.allPostings()]).toEqual([...live].sort((a, b) => a - b));
      expect(idx.postings('absent', ['x'])).toHaveLength(0);
    };
    let ref = 1;
    for (; ref <= 3000; ref++) addTo(ref, { __name__: `m${rand(5)}`, pod: `pod-${ref}`, zone: `z${rand(3)}`, ...(rand(4) === 0 ? { rare: `r${rand(50)}` } : {}) });
    check();
    const removeFromBoth = (gone: Set<number>) => {
      idx.remove(gone);
      for (const r of gone) live.delete(r);
      for (const [n, byValue] of model) {
        for (const [v, refs] of byValue) {
          const left = refs.filter((r) => !gone.has(r));
          if (left.length === 0) byValue.delete(v);
          else byValue.set(v, left);
        }
        if (byValue.size === 0) model.delete(n);
      }
    };
    removeFromBoth(new Set([...live].filter(() => rand(3) === 0)));
    check();
    for (const end = ref + 500; ref < end; ref++) addTo(ref, { __name__: `m${rand(5)}`, pod: `pod-${rand(4000)}`, zone: 'new' });
    check();
    // Collect nearly everything (the table shrinks), then grow again.
    removeFromBoth(new Set([...live].filter((r) => r % 97 !== 0)));
    check();
    for (const end = ref + 2000; ref < end; ref++) addTo(ref, { __name__: `m${rand(5)}`, pod: `pod-${ref}`, zone: `z${rand(3)}` });
    check();
  });

  it('forgets removed series and their empty values', () => {
    const idx = new HeadIndex();
    idx.add(1, idx.internLabels(['a'], ['x']));
    idx.add(2, idx.internLabels(['a', 'b'], ['y', 'z']));
    idx.remove(new Set([2]));
    expect([...idx.allPostings()]).toEqual([1]);
    expect(idx.labelNames()).toEqual(['a']);
    expect(idx.labelValues('a')).toEqual(['x']);
  });
});
