import { CpuProfile, summarizeProfile } from './cpu-profile';

// (root) → main → eval → sum; main → (garbage collector) is not on a stack in V8, but a leaf
// under (root); (idle) likewise.
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('main', 'file:///repo/dist/libs/x/src/main.js', 9), children: [3] },
    { id: 3, callFrame: frame('evaluate', 'file:///repo/dist/libs/promql/src/engine/evaluator.js', 99), children: [4] },
    { id: 4, callFrame: frame('sum', 'file:///repo/dist/libs/promql/src/engine/aggregate.js', 4) },
    { id: 5, callFrame: frame('(garbage collector)') },
    { id: 6, callFrame: frame('(idle)') },
  ],
  startTime: 1000,
  endTime: 2000,
  // Times: 1100 sum, 1200 sum, 1300 evaluate, 1400 GC, 1500 idle, 1600 main (outside a 1050-1550 window).
  samples: [4, 4, 3, 5, 6, 2],
  timeDeltas: [100, 100, 100, 100, 100, 100],
};

describe('summarizeProfile', () => {
  it('ranks functions by self and by total share of the busy samples in the window', () => {
    const s = summarizeProfile(PROFILE, '/repo', 10, 1050, 1550);
    expect(s).toMatchObject({ samples: 5, busySamples: 4, busyMs: 0.4 });
    expect(s.bySelf).toEqual([
      { frame: 'libs/promql/src/engine/aggregate.js:sum:5', selfPercent: 50, totalPercent: 50 },
      { frame: 'libs/promql/src/engine/evaluator.js:evaluate:100', selfPercent: 25, totalPercent: 75 },
      { frame: '(garbage collector)', selfPercent: 25, totalPercent: 25 },
    ]);
    expect(s.byTotal.slice(0, 2)).toEqual(
      expect.arrayContaining([
        { frame: 'libs/x/src/main.js:main:10', selfPercent: 0, totalPercent: 75 },
        { frame: 'libs/promql/src/engine/evaluator.js:evaluate:100', selfPercent: 25, totalPercent: 75 },
      ]),
    );
    expect(s.byFile[0]).toEqual({ file: 'libs/promql/src/engine/aggregate.js', selfPercent: 50 });
  });

  it('reads the whole profile without a window', () => {
    expect(summarizeProfile(PROFILE, '/repo').busySamples).toBe(5);
  });
});
