import * as protobuf from 'protobufjs';

/**
 * The ingester's gRPC contract. Semantics follow Mimir's `pkg/ingester/client/ingester.proto`;
 * the messages are our own. Kept as text inside the code so the compiled `dist/` needs no .proto
 * file beside it; `protobuf.parse` reads it once per process.
 *
 * Field numbers are the wire contract: never renumber or reuse one, only add.
 */
export const INGESTER_PROTO = `
syntax = "proto3";

// service Ingester (package panoptes.ingester), each call naming its tenant in the
// "x-scope-orgid" metadata except AllUserStats:
//   rpc Push(prometheus.WriteRequest) returns (PushResponse);
//       The request is a Prometheus remote-write 1.0 WriteRequest, uncompressed, carried as raw
//       bytes and decoded only by the ingester.
//   rpc QueryStream(QueryRequest) returns (stream QueryStreamResponse);
//   rpc LabelNames(LabelNamesRequest) returns (LabelNamesResponse);
//   rpc LabelValues(LabelValuesRequest) returns (LabelValuesResponse);
//   rpc Series(SeriesRequest) returns (SeriesResponse);            // Mimir: MetricsForLabelMatchers
//   rpc UserStats(UserStatsRequest) returns (UserStatsResponse);
//   rpc AllUserStats(AllUserStatsRequest) returns (AllUserStatsResponse);
//   rpc MetricsMetadata(MetricsMetadataRequest) returns (MetricsMetadataResponse);
// A failed call ends with a gRPC status whose trailing metadata carries panoptes-error-kind,
// panoptes-reason and panoptes-tenant, so the caller rebuilds the same typed error.
package panoptes.ingester;

message PushResponse {
  uint64 samples_appended = 1;
  uint64 samples_rejected = 2;
}

enum MatchType {
  EQ = 0;
  NEQ = 1;
  RE = 2;
  NRE = 3;
}

message LabelMatcher {
  MatchType type = 1;
  string name = 2;
  string value = 3;
}

message LabelMatchers {
  repeated LabelMatcher matchers = 1;
}

message LabelPair {
  string name = 1;
  string value = 2;
}

// One series' labels, sorted by name.
message LabelSet {
  repeated LabelPair labels = 1;
}

message Chunk {
  int64 min_time_ms = 1;
  int64 max_time_ms = 2;
  // 1 = XOR (Prometheus chunkenc.EncXOR).
  uint32 encoding = 3;
  bytes data = 4;
}

message SeriesChunks {
  repeated LabelPair labels = 1;
  repeated Chunk chunks = 2;
}

message QueryRequest {
  int64 min_time_ms = 1;
  int64 max_time_ms = 2;
  repeated LabelMatcher matchers = 3;
}

// Several series per message; series are not split across messages.
message QueryStreamResponse {
  repeated SeriesChunks series = 1;
}

message LabelNamesRequest {
  int64 min_time_ms = 1;
  int64 max_time_ms = 2;
  repeated LabelMatcher matchers = 3;
}

message LabelNamesResponse {
  repeated string names = 1;
}

message LabelValuesRequest {
  string name = 1;
  int64 min_time_ms = 2;
  int64 max_time_ms = 3;
  repeated LabelMatcher matchers = 4;
}

message LabelValuesResponse {
  repeated string values = 1;
}

// A series matches when it matches every matcher of at least one set.
message SeriesRequest {
  int64 min_time_ms = 1;
  int64 max_time_ms = 2;
  repeated LabelMatchers matcher_sets = 3;
}

message SeriesResponse {
  repeated LabelSet series = 1;
}

message UserStatsRequest {}

message UserStatsResponse {
  double ingestion_rate = 1;
  uint64 num_series = 2;
  double api_ingestion_rate = 3;
  double rule_ingestion_rate = 4;
}

message AllUserStatsRequest {}

message TenantUserStats {
  string tenant = 1;
  UserStatsResponse stats = 2;
}

message AllUserStatsResponse {
  repeated TenantUserStats stats = 1;
}

// Mimir's MetricsMetadataRequest: limit < 0 = no limit, 0 = nothing; limit_per_metric <= 0 = no
// limit; metric "" = every metric family.
message MetricsMetadataRequest {
  int32 limit = 1;
  int32 limit_per_metric = 2;
  string metric = 3;
}

// One distinct metadata entry of a metric family. type: the remote write MetricMetadata.MetricType
// number (0 unknown, 1 counter, 2 gauge, 3 histogram, 4 gaugehistogram, 5 summary, 6 info, 7 stateset).
message MetricMetadata {
  string metric_family_name = 1;
  uint32 type = 2;
  string help = 3;
  string unit = 4;
}

// Entries grouped by metric family name, families in ascending name order.
message MetricsMetadataResponse {
  repeated MetricMetadata metadata = 1;
}
`;

export const INGESTER_SERVICE_NAME = 'panoptes.ingester.Ingester';

/** Full gRPC method paths of the Ingester service. */
export const INGESTER_METHOD_PATHS = {
  push: `/${INGESTER_SERVICE_NAME}/Push`,
  queryStream: `/${INGESTER_SERVICE_NAME}/QueryStream`,
  labelNames: `/${INGESTER_SERVICE_NAME}/LabelNames`,
  labelValues: `/${INGESTER_SERVICE_NAME}/LabelValues`,
  series: `/${INGESTER_SERVICE_NAME}/Series`,
  userStats: `/${INGESTER_SERVICE_NAME}/UserStats`,
  allUserStats: `/${INGESTER_SERVICE_NAME}/AllUserStats`,
  metricsMetadata: `/${INGESTER_SERVICE_NAME}/MetricsMetadata`,
} as const;

// Parsed once per process; protobufjs' generated encoders/decoders are plain functions, safe to share.
const root = protobuf.parse(INGESTER_PROTO, { keepCase: false }).root;

/** The message type `panoptes.ingester.<name>`. */
export function ingesterMessageType(name: string): protobuf.Type {
  return root.lookupType(`panoptes.ingester.${name}`);
}
