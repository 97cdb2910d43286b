// Public surface of tsdb: the head's index pieces (symbols, postings, matchers, selection) and the
// per-tenant in-memory head (series, appends, chunks, queries, block cutting, truncation), and head
// snapshots (a file of many tenants' heads at one log offset, and a directory of them).
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
export { HeadCapture } from './head-capture';
export {
  HEAD_SNAPSHOT_VERSION,
  HeadRegistryFactory,
  HeadSnapshotCorruptError,
  HeadSnapshotStats,
  LoadedHeadSnapshot,
  readHeadSnapshot,
  writeHeadSnapshot,
} from './head-snapshot';
export { HeadSnapshotDir, HeadSnapshotDirConfig, LoadedHeadSnapshotFile, defaultHeadSnapshotDirConfig } from './head-snapshot-dir';
