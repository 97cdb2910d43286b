/** Where a function's annotations go. Messages carry neither the `PromQL warning: ` prefix nor the position: the engine adds both. */
export interface FunctionNotes {
  warn(message: string): void;
  info(message: string): void;
}

/**
 * The samples of one series inside one step's window, as the evaluator hands them to a range
 * function. Stale markers are already removed. The evaluator reuses one object for every window:
 * functions read it and keep nothing.
 */
export interface RangeWindow {
  /** Sample timestamps of the whole series, ms, ascending. */
  ts: Float64Array;
  /** Sample values, parallel to `ts`. */
  vs: Float64Array;
  /** This window's samples are indices [lo, hi). */
  lo: number;
  hi: number;
  /** Window start, ms, exclusive (Prometheus 3 ranges are left-open). */
  rangeStart: number;
  /** Window end, ms, inclusive. */
  rangeEnd: number;
  /** The step's evaluation timestamp, ms (Prometheus's `enh.Ts`). */
  evalT: number;
  /** The series' `__name__` ('' when none), for annotations. */
  metricName: string;
  notes: FunctionNotes;
  /**
   * When set (for the functions in `COUNTS_DROPS`), `drops[i]` is how many j in 1…i have
   * `vs[j] < vs[j - 1]` over the whole series: a window (lo, hi] has `drops[hi-1] - drops[lo]`
   * counter resets, so one without any needs no scan.
   */
  drops?: Int32Array;
}

/**
 * A range-vector function over one window. `args` are the call's scalar arguments evaluated at
 * this step, in call order (`quantile_over_time(φ, m)` gets [φ], `predict_linear(m, t)` gets [t]).
 * Returns the value, or undefined when the function gives no sample for this window. Throws
 * `PromQLExecutionError` where Prometheus fails the query (invalid smoothing factor).
 */
export type RangeFunction = (w: RangeWindow, args: readonly number[]) => number | undefined;

/** An element-wise function on one float sample; `args` are the scalar arguments after the vector. */
export type SimpleFunction = (v: number, args: readonly number[]) => number;
