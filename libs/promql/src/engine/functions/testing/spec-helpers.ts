import type { FunctionNotes, RangeWindow } from '../types';

/**
 * Test-only helpers for the function specs: series written in the test-script notation of
 * Prometheus's .test files, and windows cut from them exactly as the evaluator cuts them.
 */

/** Annotation sink that keeps what it was told. */
export class RecordingNotes implements FunctionNotes {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];

  warn(message: string): void {
    this.warnings.push(message);
  }

  info(message: string): void {
    this.infos.push(message);
  }
}

export interface TestSeries {
  ts: Float64Array;
  vs: Float64Array;
}

/**
 * A series in .test notation, one sample per `intervalMs` from t=0: `0+10x3` is 0 10 20 30,
 * `8000-10x2` is 8000 7990 7980, `_` skips a slot, `NaN`/`Inf`/`-Inf` and plain numbers are one sample.
 */
export function loadSeries(intervalMs: number, notation: string): TestSeries {
  const ts: number[] = [];
  const vs: number[] = [];
  let slot = 0;
  for (const token of notation.trim().split(/\s+/)) {
    const m = /^(-?[\d.e+]+|NaN|-?Inf)([+-])([\d.e+]+)x(\d+)$/.exec(token);
    if (m) {
      const start = parseNumber(m[1]);
      const step = parseNumber(m[3]) * (m[2] === '-' ? -1 : 1);
      for (let i = 0; i <= Number(m[4]); i++) {
        ts.push(slot++ * intervalMs);
        vs.push(start + i * step);
      }
    } else if (token === '_') {
      slot++;
    } else {
      ts.push(slot++ * intervalMs);
      vs.push(parseNumber(token));
    }
  }
  return { ts: Float64Array.from(ts), vs: Float64Array.from(vs) };
}

function parseNumber(s: string): number {
  if (s === 'Inf' || s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

export interface WindowOptions {
  offsetMs?: number;
  /** The `@` time, ms. */
  atMs?: number;
  metricName?: string;
  notes?: FunctionNotes;
}

/** The window `series[rangeMs]` evaluated at `evalMs`: samples in (ref - range, ref], ref = (@ or eval) - offset. */
export function windowAt(series: TestSeries, evalMs: number, rangeMs: number, options: WindowOptions = {}): RangeWindow {
  const ref = (options.atMs ?? evalMs) - (options.offsetMs ?? 0);
  const start = ref - rangeMs;
  let lo = 0;
  while (lo < series.ts.length && series.ts[lo] <= start) lo++;
  let hi = lo;
  while (hi < series.ts.length && series.ts[hi] <= ref) hi++;
  return {
    ts: series.ts,
    vs: series.vs,
    lo,
    hi,
    rangeStart: start,
    rangeEnd: ref,
    evalT: evalMs,
    metricName: options.metricName ?? '',
    notes: options.notes ?? new RecordingNotes(),
  };
}

export const SEC = 1000;
export const MIN = 60 * SEC;

/** Relative closeness for values the .test files print rounded. */
export function expectClose(actual: number | undefined, expected: number, relative = 1e-9): void {
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  if (!Number.isFinite(expected)) {
    expect(actual).toBe(expected);
    return;
  }
  if (expected === 0) {
    expect(Math.abs(actual as number)).toBeLessThan(1e-12);
    return;
  }
  expect(actual).toBeDefined();
  expect(Math.abs((actual as number) - expected) / Math.abs(expected)).toBeLessThanOrEqual(relative);
}
