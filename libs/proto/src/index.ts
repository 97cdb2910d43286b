// Public surface of proto: everything else in this folder is internal.
export {
  REASON_MALFORMED_REQUEST,
  REASON_REQUEST_TOO_LARGE,
  REASON_UNSUPPORTED_MEDIA_TYPE,
  UnsupportedMediaTypeError,
} from './errors';
export { murmur3x86_128 } from './hash/murmur3';
export {
  SERIES_FLAG_INVALID_UTF8,
  SERIES_FLAG_UNSORTED_LABELS,
  SeriesHash,
  compareBytes,
  seriesHash53,
  seriesHash53OfLabels,
  seriesHashHex,
  seriesHashOfLabels,
  tenantHashSeed,
} from './hash/series-hash';
export {
  DecodedWriteRequest,
  LABEL_REF_STRIDE,
  Label,
  METADATA_REF_STRIDE,
  MaterialisedExemplar,
  MaterialisedMetadata,
  MetricType,
  RemoteWriteStats,
  RemoteWriteVersion,
} from './remote-write/decoded-write-request';
export { RemoteWriteDecoder, RemoteWriteDecoderConfig, defaultRemoteWriteDecoderConfig } from './remote-write/decoder';
export {
  EncodedLabelsV1,
  ExemplarInput,
  HistogramInput,
  LabelInput,
  MetadataV2Input,
  MetricMetadataV1Input,
  RawWriteRequestV2,
  SampleInput,
  StringInput,
  TimeSeriesV1Input,
  TimeSeriesV2Input,
  WriteRequestV1Input,
  WriteRequestV2Input,
  encodeLabelsV1,
  encodeRawWriteRequestV2,
  encodeWriteRequestV1,
  encodeWriteRequestV2,
  symbolizeWriteRequestV2,
} from './remote-write/encoder';
export {
  HEADER_EXEMPLARS_WRITTEN,
  HEADER_HISTOGRAMS_WRITTEN,
  HEADER_SAMPLES_WRITTEN,
  REMOTE_WRITE_MEDIA_TYPE,
  REMOTE_WRITE_V1_CONTENT_TYPE,
  REMOTE_WRITE_V1_PROTO,
  REMOTE_WRITE_V2_CONTENT_TYPE,
  REMOTE_WRITE_V2_PROTO,
  RemoteWriteNegotiation,
  checkRemoteWriteContentEncoding,
  negotiateRemoteWrite,
  parseRemoteWriteContentType,
  remoteWriteStatsHeaders,
} from './remote-write/negotiation';
export { EXEMPLAR_FLAG_DROPPED, WriteRequestSubsetEncoder } from './remote-write/subset-encoder';
export {
  INGEST_RECORD_V1,
  INGEST_RECORD_V1_SNAPPY,
  INGEST_RECORD_V2,
  INGEST_RECORD_V2_SNAPPY,
  DecodedAttachment,
  attachedRequest,
  decodeIngestRecordValue,
  decompressRemoteWriteBody,
  encodeIngestRecordValue,
} from './remote-write/ingest-record';
export { compressSnappy, decompressSnappy, snappyDecodedLength } from './snappy/snappy';
export { runDecodeBench, DecodeBenchResult } from './bench/decode-bench';
