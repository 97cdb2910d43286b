/**
 * The PromQL function kernels the evaluator calls: plain functions over typed arrays, Prometheus 3
 * semantics for float samples (classic histograms only).
 */
export type { FunctionNotes, RangeFunction, RangeWindow, SimpleFunction } from './types';
export { RANGE_FUNCTIONS } from './range-functions';
export { SIMPLE_FUNCTIONS, clampGivesNoSample, goLog10, goLog2, goMax, goMin } from './simple';
export { KahanSum, kahanCompensation } from './kahan';
export { type FloatArray, quantile, sortFloats, variance } from './quantile';
export {
  type BucketQuantileNotes,
  type MonotonicityFix,
  almostEqual,
  bucketQuantile,
  forcedMonotonicityMessage,
} from './bucket-quantile';
export { ForcedMonotonicityInfos } from './monotonicity-info';
export { bucketFraction } from './bucket-fraction';
export { parseLe } from './parse-le';
export { invalidQuantileMessage } from './over-time';
export { COUNTS_DROPS, countDrops, extrapolatedRate, instantValue, rangeSeconds } from './rate';
export { expandTemplate, labelJoin, labelReplace } from './label-functions';
export { naturalLess } from './natural-sort';
