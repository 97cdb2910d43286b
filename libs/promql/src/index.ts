// Public surface of promql: the PromQL syntax tree, parser (the Prometheus 3 language, its
// checks and error messages), printer, function table, the evaluation engine and its storage
// contract, and the loader and runner of Prometheus's PromQL test scripts (promqltest).
export * from './ast';
export type { FunctionDef } from './functions';
export { FUNCTIONS, AT_MODIFIER_UNSAFE_FUNCTIONS, ANCHORED_FUNCTIONS, SMOOTHED_FUNCTIONS } from './functions';
export { PromQLParseError } from './errors';
export type { ParseOptions } from './parser';
export { defaultParseOptions, promqlTestParseOptions, parseExpr } from './parser';
export { formatExpr, formatMatcher, formatDurationExpr } from './format';
export { formatDuration, parseDuration, formatGoFloat, formatGoFloatFixed, goQuote, isValidLabelName } from './literals';
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
export { PromQLExecutionError, QueryTooManySamplesError, QueryTimeoutError, QueryCanceledError } from './errors';
export type {
  SelectHints,
  EncodedChunk,
  StoredSeries,
  SeriesQuerier,
  Queryable,
  VectorSample,
  MatrixSeries,
  QueryValue as EngineQueryValue,
  QueryStats,
  QueryResult,
  QueryOptions,
  QueryEngine,
} from './engine/types';
export type { EngineConfig } from './engine/engine';
export { Engine, defaultEngineConfig } from './engine/engine';
export type { MemorySample } from './engine/memory-queryable';
export { MemoryQueryable } from './engine/memory-queryable';
export type { SeriesData } from './engine/series-data';
export { decodeSeries, STALE_NAN_HI, STALE_NAN_LO } from './engine/series-data';
export { createTestEngine } from './promqltest/engine-adapter';
