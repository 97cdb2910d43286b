// Public surface of tsdb: the head's index pieces (symbols, postings, matchers, selection) and the
// per-tenant in-memory head (series, appends, chunks, queries, block cutting, truncation).
export * from './symbols';
export * from './postings';
export * from './matcher';
export * from './index-reader';
export * from './head-index';
export { HeadConfig, defaultHeadConfig } from './head-config';
export { AppendOutcome, AppendSummary, HeadAppender, REJECT_REASONS, SampleRejectReason } from './head-appender';
export { ChunkSamplesIterator } from './sample-iterator';
export { MemChunk } from './series-page';
export { CutBlockOptions, Head, HeadSeries, TruncateResult } from './head';
