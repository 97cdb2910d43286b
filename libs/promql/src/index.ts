// Public surface of promql: the PromQL syntax tree, parser (the Prometheus 3 language, its
// checks and error messages), printer, function table, and the loader and runner of
// Prometheus's PromQL test scripts (promqltest).
export * from './ast';
export type { FunctionDef } from './functions';
export { FUNCTIONS, AT_MODIFIER_UNSAFE_FUNCTIONS, ANCHORED_FUNCTIONS, SMOOTHED_FUNCTIONS } from './functions';
export { PromQLParseError } from './errors';
export type { ParseOptions } from './parser';
export { defaultParseOptions, promqlTestParseOptions, parseExpr } from './parser';
export { formatExpr, formatMatcher, formatDurationExpr } from './format';
export { formatDuration, parseDuration, formatGoFloat, goQuote, isValidLabelName } from './literals';
export { queryValidationError } from './validate';
export type { TestHistogram, Span, CounterResetHint } from './promqltest/histogram';
export { combineHistograms, histogramsMatch, almostEqual } from './promqltest/histogram';
export type { Labels, SequenceValue } from './promqltest/series';
export { parseSeriesDesc } from './promqltest/series';
export type {
  TestCommand,
  LoadCommand,
  LoadSeries,
  ClearCommand,
  EvalCommand,
  Expectation,
  ExpectType,
  ExpectedSeries,
} from './promqltest/script';
export { TestScriptError, parseTestScript, labelsKey } from './promqltest/script';
export type {
  TestEngine,
  TestSample,
  TestSeries,
  QueryValue,
  QueryOutcome,
  CaseResult,
  ScriptResult,
  RunOptions,
} from './promqltest/runner';
export { runTestScript } from './promqltest/runner';
