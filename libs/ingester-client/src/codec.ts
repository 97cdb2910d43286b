import type { Label, Labels } from '@panoptes/block-formats';
import { errorMessage, ValidationError } from '@panoptes/common';
import type { MatchType } from '@panoptes/tsdb';
import { ingesterMessageType } from './ingester-proto';
import type {
  LabelNamesRequest,
  LabelValuesRequest,
  MatcherSpec,
  MetricMetadata,
  MetricsMetadataRequest,
  PushResult,
  QueryRequest,
  SeriesRequest,
  TenantUserStats,
  UserStats,
} from './types';

/** Encodes a value to one message's bytes and decodes it back. */
export interface MessageCodec<T> {
  encode(value: T): Buffer;
  /** Throws `ValidationError` (reason `malformed_ingester_message`) on bytes that are not the message. */
  decode(bytes: Uint8Array): T;
}

export const REASON_MALFORMED_MESSAGE = 'malformed_ingester_message';

// 64-bit integers decode as `Long` (protobufjs uses the `long` package it depends on) or, without
// it, as numbers. Timestamps in ms and counts fit a double exactly.
type Pb64 = number | { low: number; high: number; unsigned?: boolean };

export function int64ToNumber(v: Pb64): number {
  if (typeof v === 'number') return v;
  return (v.unsigned ? v.high >>> 0 : v.high) * 4294967296 + (v.low >>> 0);
}

function messageCodec<T, Pb>(typeName: string, toPb: (value: T) => object, fromPb: (message: Pb) => T): MessageCodec<T> {
  const type = ingesterMessageType(typeName);
  return {
    encode: (value) => type.encode(toPb(value)).finish() as Buffer,
    decode: (bytes) => {
      let message: Pb;
      try {
        message = type.decode(bytes) as unknown as Pb;
      } catch (err) {
        throw new ValidationError(REASON_MALFORMED_MESSAGE, `malformed ${typeName} message: ${errorMessage(err)}`);
      }
      return fromPb(message);
    },
  };
}

// Wire enum MatchType: EQ = 0, NEQ = 1, RE = 2, NRE = 3.
const MATCH_TYPE_CODES: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };
const MATCH_TYPES: readonly MatchType[] = ['=', '!=', '=~', '!~'];

interface PbMatcher {
  type: number;
  name: string;
  value: string;
}
interface PbLabelPair {
  name: string;
  value: string;
}
interface PbRange {
  minTimeMs: Pb64;
  maxTimeMs: Pb64;
}
interface PbUserStats {
  ingestionRate: number;
  numSeries: Pb64;
  apiIngestionRate: number;
  ruleIngestionRate: number;
}

function matcherToPb(m: MatcherSpec): PbMatcher {
  const type = MATCH_TYPE_CODES[m.type];
  if (type === undefined) throw new ValidationError('invalid_matcher', `matcher type ${JSON.stringify(m.type)} is not one of =, !=, =~, !~`);
  return { type, name: m.name, value: m.value };
}

function matcherFromPb(m: PbMatcher): MatcherSpec {
  const type = MATCH_TYPES[m.type];
  if (type === undefined) {
    throw new ValidationError('invalid_matcher', `matcher type ${m.type} for label "${m.name}" is not one of EQ, NEQ, RE, NRE`);
  }
  return { type, name: m.name, value: m.value };
}

function labelsToPb(labels: Labels): PbLabelPair[] {
  return labels.map(([name, value]) => ({ name, value }));
}

function labelsFromPb(pairs: PbLabelPair[]): Labels {
  return pairs.map((p): Label => [p.name, p.value]);
}

function rangeFromPb(m: PbRange): { minT: number; maxT: number } {
  return { minT: int64ToNumber(m.minTimeMs), maxT: int64ToNumber(m.maxTimeMs) };
}

function userStatsToPb(s: UserStats): PbUserStats {
  return { ingestionRate: s.ingestionRate, numSeries: s.numSeries, apiIngestionRate: s.apiIngestionRate, ruleIngestionRate: s.ruleIngestionRate };
}

function userStatsFromPb(s: PbUserStats | null | undefined): UserStats {
  if (!s) return { numSeries: 0, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 };
  return {
    numSeries: int64ToNumber(s.numSeries),
    ingestionRate: s.ingestionRate,
    apiIngestionRate: s.apiIngestionRate,
    ruleIngestionRate: s.ruleIngestionRate,
  };
}

export const pushResponseCodec = messageCodec<PushResult, { samplesAppended: Pb64; samplesRejected: Pb64 }>(
  'PushResponse',
  (r) => ({ samplesAppended: r.samplesAppended, samplesRejected: r.samplesRejected }),
  (m) => ({ samplesAppended: int64ToNumber(m.samplesAppended), samplesRejected: int64ToNumber(m.samplesRejected) }),
);

export const queryRequestCodec = messageCodec<QueryRequest<MatcherSpec>, PbRange & { matchers: PbMatcher[] }>(
  'QueryRequest',
  (r) => ({ minTimeMs: r.minT, maxTimeMs: r.maxT, matchers: r.matchers.map(matcherToPb) }),
  (m) => ({ ...rangeFromPb(m), matchers: m.matchers.map(matcherFromPb) }),
);

export const labelNamesRequestCodec = messageCodec<LabelNamesRequest<MatcherSpec>, PbRange & { matchers: PbMatcher[] }>(
  'LabelNamesRequest',
  (r) => ({ minTimeMs: r.minT, maxTimeMs: r.maxT, matchers: r.matchers.map(matcherToPb) }),
  (m) => ({ ...rangeFromPb(m), matchers: m.matchers.map(matcherFromPb) }),
);

export const labelNamesResponseCodec = messageCodec<string[], { names: string[] }>(
  'LabelNamesResponse',
  (names) => ({ names }),
  (m) => m.names.slice(),
);

export const labelValuesRequestCodec = messageCodec<LabelValuesRequest<MatcherSpec>, PbRange & { name: string; matchers: PbMatcher[] }>(
  'LabelValuesRequest',
  (r) => ({ name: r.name, minTimeMs: r.minT, maxTimeMs: r.maxT, matchers: r.matchers.map(matcherToPb) }),
  (m) => ({ name: m.name, ...rangeFromPb(m), matchers: m.matchers.map(matcherFromPb) }),
);

export const labelValuesResponseCodec = messageCodec<string[], { values: string[] }>(
  'LabelValuesResponse',
  (values) => ({ values }),
  (m) => m.values.slice(),
);

export const seriesRequestCodec = messageCodec<SeriesRequest<MatcherSpec>, PbRange & { matcherSets: { matchers: PbMatcher[] }[] }>(
  'SeriesRequest',
  (r) => ({ minTimeMs: r.minT, maxTimeMs: r.maxT, matcherSets: r.matcherSets.map((set) => ({ matchers: set.map(matcherToPb) })) }),
  (m) => ({ ...rangeFromPb(m), matcherSets: m.matcherSets.map((set) => set.matchers.map(matcherFromPb)) }),
);

export const seriesResponseCodec = messageCodec<Labels[], { series: { labels: PbLabelPair[] }[] }>(
  'SeriesResponse',
  (series) => ({ series: series.map((labels) => ({ labels: labelsToPb(labels) })) }),
  (m) => m.series.map((s) => labelsFromPb(s.labels)),
);

export const userStatsRequestCodec = messageCodec<void, object>(
  'UserStatsRequest',
  () => ({}),
  () => undefined,
);

export const userStatsResponseCodec = messageCodec<UserStats, PbUserStats>('UserStatsResponse', userStatsToPb, userStatsFromPb);

export const allUserStatsRequestCodec = messageCodec<void, object>(
  'AllUserStatsRequest',
  () => ({}),
  () => undefined,
);

export const allUserStatsResponseCodec = messageCodec<TenantUserStats[], { stats: { tenant: string; stats: PbUserStats | null }[] }>(
  'AllUserStatsResponse',
  (all) => ({ stats: all.map((t) => ({ tenant: t.tenant, stats: userStatsToPb(t.stats) })) }),
  (m) => m.stats.map((t) => ({ tenant: t.tenant, stats: userStatsFromPb(t.stats) })),
);

/** The limits are int32 on the wire: larger ones mean "no limit" as much as the largest int32 does. */
function clampInt32(n: number): number {
  return Math.max(-0x80000000, Math.min(0x7fffffff, Math.trunc(n)));
}

export const metricsMetadataRequestCodec = messageCodec<MetricsMetadataRequest, { limit: number; limitPerMetric: number; metric: string }>(
  'MetricsMetadataRequest',
  (r) => ({ limit: clampInt32(r.limit), limitPerMetric: clampInt32(r.limitPerMetric), metric: r.metric }),
  (m) => ({ limit: m.limit, limitPerMetric: m.limitPerMetric, metric: m.metric }),
);

export const metricsMetadataResponseCodec = messageCodec<MetricMetadata[], { metadata: MetricMetadata[] }>(
  'MetricsMetadataResponse',
  (metadata) => ({ metadata: metadata.map((m) => ({ metricFamilyName: m.metricFamilyName, type: m.type, help: m.help, unit: m.unit })) }),
  (m) => m.metadata.map((e) => ({ metricFamilyName: e.metricFamilyName, type: e.type, help: e.help, unit: e.unit })),
);
