import { readFileSync } from 'node:fs';

/** The parts of a V8 `.cpuprofile` (node --cpu-prof, or the inspector's Profiler.stop) the summary reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  /** Microseconds, on the machine's monotonic clock. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  /** `path:function:line` (path relative to the repository, `dist/` dropped), or a V8 pseudo-frame such as `(garbage collector)`. */
  frame: string;
  /** Share of the busy samples in the window where this frame was on top (self) or anywhere on the stack (total), 0-100. */
  selfPercent: number;
  totalPercent: number;
}

export interface ProfileSummary {
  /** Samples in the window, and how many of them were busy (anything but `(idle)`: GC and `(program)` count). */
  samples: number;
  busySamples: number;
  /** Busy time in the window, ms (busy samples × mean sampling interval). */
  busyMs: number;
  bySelf: HotSpot[];
  byTotal: HotSpot[];
  /** Self share per file, 0-100, largest first. */
  byFile: Array<{ file: string; selfPercent: number }>;
}

const IDLE = new Set(['(idle)']);

function frameName(cf: CpuProfile['nodes'][number]['callFrame'], root: string): { frame: string; file: string } {
  if (!cf.url) return { frame: cf.functionName || '(anonymous)', file: cf.functionName || '(native)' };
  let file = cf.url.replace(/^file:\/\//, '');
  if (file.startsWith(root)) file = file.slice(root.length).replace(/^\/+/, '');
  file = file.replace(/^dist\//, '');
  return { frame: `${file}:${cf.functionName || '(anonymous)'}:${cf.lineNumber + 1}`, file };
}

/**
 * Self and total (inclusive) shares of the busy samples taken between `fromUs` and `toUs`
 * (monotonic microseconds; the whole profile when omitted). `root` is stripped from file paths.
 */
export function summarizeProfile(profile: CpuProfile, root: string, top = 15, fromUs = -Infinity, toUs = Infinity): ProfileSummary {
  const parent = new Map<number, number>();
  const byId = new Map<number, CpuProfile['nodes'][number]>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  let t = profile.startTime;
  let samples = 0;
  let busy = 0;
  let busyUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs || t > toUs) continue;
    samples++;
    const leaf = byId.get(profile.samples[i]);
    if (!leaf || IDLE.has(leaf.callFrame.functionName)) continue;
    busy++;
    busyUs += dt;
    const top = frameName(leaf.callFrame, root);
    self.set(top.frame, (self.get(top.frame) ?? 0) + 1);
    files.set(top.file, (files.get(top.file) ?? 0) + 1);
    const onStack = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      if (node.callFrame.functionName === '(root)') break;
      onStack.add(frameName(node.callFrame, root).frame);
    }
    for (const f of onStack) total.set(f, (total.get(f) ?? 0) + 1);
  }
  const pct = (n: number): number => (busy ? (100 * n) / busy : 0);
  const rank = (m: Map<string, number>): Array<[string, number]> => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    samples,
    busySamples: busy,
    busyMs: busyUs / 1000,
    bySelf: rank(self)
      .slice(0, top)
      .map(([frame, n]) => ({ frame, selfPercent: pct(n), totalPercent: pct(total.get(frame) ?? n) })),
    byTotal: rank(total)
      .slice(0, top)
      .map(([frame, n]) => ({ frame, selfPercent: pct(self.get(frame) ?? 0), totalPercent: pct(n) })),
    byFile: rank(files)
      .slice(0, top)
      .map(([file, n]) => ({ file, selfPercent: pct(n) })),
  };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}
