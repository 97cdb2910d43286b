// Public surface of block-formats: the Prometheus TSDB block format (meta.json, index v2, XOR
// chunks in segment files, tombstones). Everything else in this folder is internal.
export { crc32c, crc32cUpdate } from './crc32c';
export { CorruptBlockError } from './errors';
export { ByteWriter, Decbuf } from './encoding';
export { BitReader, BitWriter } from './bstream';
export { Label, Labels, compareLabels, compareUtf8, labelsString, validateLabels } from './labels';
export {
  CHUNK_ENCODING_XOR,
  XOR_MAX_SAMPLES,
  XorChunkEncoder,
  XorChunkIterator,
  xorChunkNumSamples,
} from './xor-chunk';
export {
  CHUNKS_MAGIC,
  ChunkRecord,
  ChunkSegmentWriter,
  DEFAULT_MAX_SEGMENT_BYTES,
  chunkRef,
  chunkRefOffset,
  chunkRefSegment,
  encodeChunkRecord,
  readChunkRecord,
  segmentFileName,
} from './chunk-segments';
export {
  ChunkMeta,
  INDEX_MAGIC,
  IndexReader,
  IndexSeries,
  IndexSink,
  IndexToc,
  MemorySink,
  writeIndex,
} from './index-format';
export { TOMBSTONES_MAGIC, Tombstone, decodeTombstones, encodeEmptyTombstones } from './tombstones';
export {
  BlockCompaction,
  BlockMeta,
  BlockStats,
  SOURCE_COMPACTOR,
  SOURCE_RECEIVE,
  TENANT_ID_EXTERNAL_LABEL,
  ThanosFile,
  ThanosMeta,
  encodeMeta,
  parseMeta,
} from './meta';
export {
  BlockWriter,
  BlockWriterConfig,
  BlockWriterOptions,
  EncodedChunk,
  defaultBlockWriterConfig,
} from './block-writer';
export { BlockParts, BlockReader, SeriesSamples } from './block-reader';
export {
  CompactionConfig,
  CompactionInput,
  CompactionResult,
  CompactionStats,
  CompactOptions,
  IncompatibleBlocksError,
  compactBlocks,
  defaultCompactionConfig,
} from './compact';
export { COMPACTOR_SHARD_ID_LABEL, LabelsShardHasher, MAX_SHARDS, formatShardId } from './compact-shard';
export { encodeTombstones } from './compact-tombstones';
