import { ValidationError } from '@panoptes/common';
import {
  allUserStatsResponseCodec,
  labelValuesRequestCodec,
  metricsMetadataRequestCodec,
  metricsMetadataResponseCodec,
  pushResponseCodec,
  queryRequestCodec,
  seriesRequestCodec,
  seriesResponseCodec,
  userStatsResponseCodec,
} from './codec';
import { ingesterMessageType } from './ingester-proto';
import { decodeSeriesBatch, encodeSeriesBatch } from './series-batch-codec';
import { makeSeries } from './testing/fake-ingester-api';
import type { SeriesChunks } from './types';

interface PbSeries {
  labels: { name: string; value: string }[];
  chunks: { minTimeMs: { toString(): string } | number; maxTimeMs: { toString(): string } | number; encoding: number; data: Uint8Array }[];
}

describe('series batch codec (QueryStreamResponse)', () => {
  const reflection = ingesterMessageType('QueryStreamResponse');
  const series: SeriesChunks[] = [
    ...makeSeries(3),
    // Timestamps past 2^32 and before the epoch, an empty chunk, a label with an empty value, a series without chunks.
    {
      labels: [
        ['__name__', 'x'],
        ['empty', ''],
        ['ü', '😀'],
      ],
      chunks: [
        { minT: -5_000, maxT: 1_700_000_000_123, encoding: 1, data: new Uint8Array(0) },
        { minT: 2 ** 52, maxT: 2 ** 53 - 1, encoding: 7, data: Uint8Array.from([0, 255, 1]) },
      ],
    },
    { labels: [['__name__', 'no_chunks']], chunks: [] },
  ];

  it('decodes what it encodes: labels, timestamps, encodings and chunk bytes', () => {
    const back = decodeSeriesBatch(encodeSeriesBatch(series));
    expect(back.map((s) => ({ labels: s.labels, chunks: s.chunks.map((c) => ({ ...c, data: Buffer.from(c.data) })) }))).toEqual(
      series.map((s) => ({ labels: s.labels, chunks: s.chunks.map((c) => ({ ...c, data: Buffer.from(c.data) })) })),
    );
  });

  it('writes what protobufjs reflection reads from the declared schema', () => {
    const decoded = reflection.decode(encodeSeriesBatch(series)) as unknown as { series: PbSeries[] };
    expect(decoded.series).toHaveLength(series.length);
    decoded.series.forEach((s, i) => {
      expect(s.labels.map((l) => [l.name, l.value])).toEqual(series[i].labels);
      expect(s.chunks.map((c) => [String(c.minTimeMs), String(c.maxTimeMs), c.encoding, Buffer.from(c.data).toString('hex')])).toEqual(
        series[i].chunks.map((c) => [String(c.minT), String(c.maxT), c.encoding, Buffer.from(c.data).toString('hex')]),
      );
    });
  });

  it('reads what protobufjs reflection writes, skipping fields it does not know', () => {
    const bytes = reflection
      .encode({
        series: series.map((s) => ({
          labels: s.labels.map(([name, value]) => ({ name, value })),
          chunks: s.chunks.map((c) => ({ minTimeMs: c.minT, maxTimeMs: c.maxT, encoding: c.encoding, data: c.data })),
        })),
      })
      .finish();
    // An unknown field 15 (varint) at the top level, as a newer server might add.
    const withUnknown = Buffer.concat([Buffer.from(bytes), Buffer.from([15 << 3, 42])]);
    const back = decodeSeriesBatch(withUnknown);
    expect(back.map((s) => s.labels)).toEqual(series.map((s) => s.labels));
    expect(back.map((s) => s.chunks.map((c) => [c.minT, c.maxT, c.encoding, Buffer.from(c.data).toString('hex')]))).toEqual(
      series.map((s) => s.chunks.map((c) => [c.minT, c.maxT, c.encoding, Buffer.from(c.data).toString('hex')])),
    );
  });

  it('decodes chunk bytes as views into the received buffer, without copying', () => {
    const buf = encodeSeriesBatch(makeSeries(1, 1, 100));
    const data = decodeSeriesBatch(buf)[0].chunks[0].data;
    expect(data.buffer).toBe(buf.buffer);
  });

  it.each([
    ['a truncated message', encodeSeriesBatch(makeSeries(2)).subarray(0, 30)],
    ['a length running past the end', Buffer.from([0x0a, 0x7f, 0x0a, 0x00])],
  ])('rejects %s with a ValidationError', (_name, bytes) => {
    expect(() => decodeSeriesBatch(bytes)).toThrow(ValidationError);
  });
});

describe('message codecs', () => {
  it('round-trips a QueryRequest with every matcher type and 64-bit timestamps', () => {
    const req = {
      minT: -1,
      maxT: 2 ** 53 - 1,
      matchers: [
        { type: '=' as const, name: 'a', value: '1' },
        { type: '!=' as const, name: 'b', value: '' },
        { type: '=~' as const, name: 'c', value: 'x|y' },
        { type: '!~' as const, name: 'd', value: '.+' },
      ],
    };
    expect(queryRequestCodec.decode(queryRequestCodec.encode(req))).toEqual(req);
  });

  it('round-trips LabelValues and Series requests and the Series response', () => {
    const lv = { name: 'job', minT: 0, maxT: 10, matchers: [{ type: '=' as const, name: 'x', value: 'y' }] };
    expect(labelValuesRequestCodec.decode(labelValuesRequestCodec.encode(lv))).toEqual(lv);
    const sr = { minT: 1, maxT: 2, matcherSets: [[{ type: '=~' as const, name: 'a', value: '.*' }], [{ type: '!=' as const, name: 'b', value: 'c' }]] };
    expect(seriesRequestCodec.decode(seriesRequestCodec.encode(sr))).toEqual(sr);
    const labels = [
      [
        ['__name__', 'up'],
        ['job', 'a'],
      ],
      [['__name__', 'down']],
    ] as const;
    expect(seriesResponseCodec.decode(seriesResponseCodec.encode(labels as never))).toEqual(labels);
  });

  it('round-trips push counts and stats, zero values included', () => {
    expect(pushResponseCodec.decode(pushResponseCodec.encode({ samplesAppended: 5_000_000_000, samplesRejected: 0 }))).toEqual({
      samplesAppended: 5_000_000_000,
      samplesRejected: 0,
    });
    const stats = { numSeries: 12, ingestionRate: 1.5, apiIngestionRate: 1, ruleIngestionRate: 0.5 };
    expect(userStatsResponseCodec.decode(userStatsResponseCodec.encode(stats))).toEqual(stats);
    const all = [
      { tenant: 'a', stats },
      { tenant: 'b', stats: { numSeries: 0, ingestionRate: 0, apiIngestionRate: 0, ruleIngestionRate: 0 } },
    ];
    expect(allUserStatsResponseCodec.decode(allUserStatsResponseCodec.encode(all))).toEqual(all);
  });

  it.each([
    { name: 'no limits, every metric', req: { limit: -1, limitPerMetric: 0, metric: '' }, want: { limit: -1, limitPerMetric: 0, metric: '' } },
    { name: 'limits and one metric', req: { limit: 3, limitPerMetric: 1, metric: 'node_load1' }, want: { limit: 3, limitPerMetric: 1, metric: 'node_load1' } },
    { name: 'limits past int32 clamped', req: { limit: 2 ** 40, limitPerMetric: -(2 ** 40), metric: '' }, want: { limit: 2 ** 31 - 1, limitPerMetric: -(2 ** 31), metric: '' } },
  ])('round-trips a MetricsMetadata request: $name', ({ req, want }) => {
    expect(metricsMetadataRequestCodec.decode(metricsMetadataRequestCodec.encode(req))).toEqual(want);
  });

  it('round-trips a MetricsMetadata response, empty help and unknown type included', () => {
    const metadata = [
      { metricFamilyName: 'http_requests_total', type: 1, help: 'Requests ü.', unit: '' },
      { metricFamilyName: 'http_requests_total', type: 1, help: 'Older help.', unit: '' },
      { metricFamilyName: 'temp_celsius', type: 0, help: '', unit: 'celsius' },
    ];
    expect(metricsMetadataResponseCodec.decode(metricsMetadataResponseCodec.encode(metadata))).toEqual(metadata);
    expect(metricsMetadataResponseCodec.decode(metricsMetadataResponseCodec.encode([]))).toEqual([]);
  });

  it('rejects an unknown matcher type on the wire with a ValidationError naming the label', () => {
    const bytes = ingesterMessageType('QueryRequest').encode({ minTimeMs: 0, maxTimeMs: 1, matchers: [{ type: 9, name: 'job', value: 'x' }] }).finish();
    expect(() => queryRequestCodec.decode(bytes)).toThrow(new ValidationError('invalid_matcher', 'matcher type 9 for label "job" is not one of EQ, NEQ, RE, NRE'));
  });

  it('rejects bytes that are not the message with a ValidationError', () => {
    expect(() => queryRequestCodec.decode(Buffer.from([0x1a, 0x10, 0x01]))).toThrow(/malformed QueryRequest message/);
  });
});
