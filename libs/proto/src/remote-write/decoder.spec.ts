import { PanoptesError, ValidationError } from '@panoptes/common';
import { murmur3x86_128 } from '../hash/murmur3';
import { SERIES_FLAG_INVALID_UTF8, SERIES_FLAG_UNSORTED_LABELS, seriesHashOfLabels } from '../hash/series-hash';
import { materialise, normaliseV1Input, normaliseV2Input } from '../testing/reference';
import { MetricType } from './decoded-write-request';
import { RemoteWriteDecoder } from './decoder';
import { compressSnappy, decompressSnappy } from '../snappy/snappy';
import { encodeRawWriteRequestV2, encodeWriteRequestV1, encodeWriteRequestV2, WriteRequestV1Input, WriteRequestV2Input } from './encoder';

const T0 = 1_700_000_000_000;
const L = (name: string, value: string) => ({ name, value });
const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');

function decodeError(body: Buffer, version: 1 | 2): PanoptesError {
  try {
    new RemoteWriteDecoder().decode(body, version);
  } catch (err) {
    if (err instanceof PanoptesError) return err;
    throw err;
  }
  throw new Error('expected decoding to fail');
}

const V1_CASES: Array<{ name: string; req: WriteRequestV1Input }> = [
  { name: 'an empty request', req: { timeseries: [] } },
  {
    name: 'one series with samples',
    req: { timeseries: [{ labels: [L('__name__', 'up'), L('job', 'node')], samples: [{ value: 1, timestamp: T0 }, { value: 0, timestamp: T0 + 15000 }] }] },
  },
  { name: 'a series with zero samples', req: { timeseries: [{ labels: [L('__name__', 'up')] }] } },
  { name: 'a series with zero labels', req: { timeseries: [{ labels: [], samples: [{ value: 2, timestamp: T0 }] }] } },
  {
    name: 'special values and timestamps',
    req: {
      timeseries: [
        {
          labels: [L('__name__', 'x')],
          samples: [
            { value: NaN, timestamp: 0 },
            { value: Infinity, timestamp: -1 },
            { value: -0.5, timestamp: -1_000_000_000_000 },
            { value: 1e308, timestamp: 2 ** 53 - 1 },
          ],
        },
      ],
    },
  },
  {
    name: 'exemplars',
    req: {
      timeseries: [
        {
          labels: [L('__name__', 'http_request_duration_seconds_bucket'), L('le', '0.5')],
          samples: [{ value: 10, timestamp: T0 }],
          exemplars: [
            { labels: [L('trace_id', 'abc123')], value: 0.42, timestamp: T0 - 5 },
            { labels: [], value: 0.1, timestamp: 0 },
          ],
        },
      ],
    },
  },
  {
    name: 'native histograms (counted, not decoded)',
    req: {
      timeseries: [
        { labels: [L('__name__', 'h')], histograms: [{ countInt: 3, sum: 1.5, schema: 3, positiveSpans: [{ offset: -2, length: 2 }], positiveDeltas: [1, -1], timestamp: T0 }, { timestamp: T0 + 1 }] },
        { labels: [L('__name__', 'c')], samples: [{ value: 1, timestamp: T0 }] },
      ],
    },
  },
  {
    name: 'metadata only (what Prometheus sends every metadata send_interval)',
    req: {
      timeseries: [],
      metadata: [
        { type: MetricType.Counter, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' },
        { type: MetricType.Gauge, metricFamilyName: 'temperature', help: '', unit: 'celsius' },
      ],
    },
  },
  {
    name: 'unicode and long labels (2-byte lengths)',
    req: { timeseries: [{ labels: [L('__name__', 'ü'), L('desc', '日本語 🚀'.repeat(30)), L('k'.repeat(200), 'v')], samples: [{ value: 1, timestamp: 1 }] }] },
  },
];

describe('RemoteWriteDecoder, remote write 1.0', () => {
  it.each(V1_CASES)('decodes $name', ({ req }) => {
    const decoded = new RemoteWriteDecoder().decode(encodeWriteRequestV1(req), 1);
    expect(materialise(decoded)).toEqual(normaliseV1Input(req));
    expect(decoded.version).toBe(1);
    const n = normaliseV1Input(req);
    expect(decoded.stats()).toEqual({
      samples: n.timeseries.reduce((a, ts) => a + ts.samples.length, 0),
      histograms: n.timeseries.reduce((a, ts) => a + ts.histograms, 0),
      exemplars: n.timeseries.reduce((a, ts) => a + ts.exemplars.length, 0),
    });
    for (let s = 0; s < decoded.seriesCount; s++) {
      const h = seriesHashOfLabels(n.timeseries[s].labels);
      expect([decoded.seriesHashHi[s], decoded.seriesHashLo[s]]).toEqual([h.hi, h.lo]);
    }
  });

  it('points label offsets into the original buffer (no copies)', () => {
    const body = encodeWriteRequestV1({ timeseries: [{ labels: [L('__name__', 'up'), L('job', 'node')] }] });
    const d = new RemoteWriteDecoder().decode(body, 1);
    expect(d.buf).toBe(body);
    const [nameOff, nameLen, valueOff, valueLen] = d.labelRefs.subarray(4, 8);
    expect(body.toString('utf8', nameOff, nameOff + nameLen)).toBe('job');
    expect(body.toString('utf8', valueOff, valueOff + valueLen)).toBe('node');
  });

  it('decodes fields in any order, skips unknown fields and lets the last duplicate win', () => {
    // TimeSeries { samples{ts=5 (before value), value=2}, unknown field 9 (varint), labels{value "b" before name "a"},
    //              unknown field 10 (fixed32), labels{name "n", name "m" (duplicate: last wins)} }
    const body = hex('0a 24' + '12 0b 10 05 09 0000000000000040' + '48 07' + '0a 06 12 01 62 0a 01 61' + '55 01020304' + '0a 06 0a 01 6e 0a 01 6d');
    const d = new RemoteWriteDecoder().decode(body, 1);
    expect(d.seriesLabels(0)).toEqual([L('a', 'b'), L('m', '')]);
    expect([d.timestamps[0], d.values[0]]).toEqual([5, 2]);
    const h = seriesHashOfLabels([L('a', 'b'), L('m', '')]);
    expect([d.seriesHashHi[0], d.seriesHashLo[0]]).toEqual([h.hi, h.lo]);
  });

  it('decodes the 10,000 labels of one series (limits are the distributor\'s job)', () => {
    const labels = Array.from({ length: 10_000 }, (_, i) => L(`label_${String(i).padStart(5, '0')}`, `value-${i}`));
    const d = new RemoteWriteDecoder().decode(encodeWriteRequestV1({ timeseries: [{ labels, samples: [{ value: 1, timestamp: T0 }] }] }), 1);
    expect(d.labelCountOf(0)).toBe(10_000);
    expect(d.labelValue(9_999)).toBe('value-9999');
    expect(d.seriesFlags[0]).toBe(0);
    const h = seriesHashOfLabels(labels);
    expect([d.seriesHashHi[0], d.seriesHashLo[0]]).toEqual([h.hi, h.lo]);
  });
});

describe('RemoteWriteDecoder, remote write 2.0', () => {
  const V2_CASES: Array<{ name: string; req: WriteRequestV2Input }> = [
    { name: 'an empty request', req: { timeseries: [] } },
    {
      name: 'series sharing symbols, with samples',
      req: {
        timeseries: [
          { labels: [L('__name__', 'up'), L('job', 'node')], samples: [{ value: 1, timestamp: T0 }] },
          { labels: [L('__name__', 'up'), L('job', 'api')], samples: [{ value: 0, timestamp: T0 }, { value: 1, timestamp: T0 + 1 }] },
        ],
      },
    },
    { name: 'a series with zero samples', req: { timeseries: [{ labels: [L('__name__', 'up')] }] } },
    {
      name: 'exemplars, metadata and created timestamps',
      req: {
        timeseries: [
          {
            labels: [L('__name__', 'http_requests_total'), L('code', '200')],
            samples: [{ value: 7, timestamp: T0 }],
            exemplars: [{ labels: [L('trace_id', 'abc')], value: 1, timestamp: T0 }],
            metadata: { type: MetricType.Counter, help: 'Requests served.', unit: 'requests' },
            createdTimestamp: T0 - 3_600_000,
          },
          // All-default metadata says nothing, and is not recorded.
          { labels: [L('__name__', 'other')], samples: [{ value: 1, timestamp: T0 }], metadata: { type: 0 } },
        ],
      },
    },
    { name: 'native histograms (counted)', req: { timeseries: [{ labels: [L('__name__', 'h')], histograms: [{ countInt: 1, timestamp: T0 }] }] } },
  ];

  it.each(V2_CASES)('decodes $name', ({ req }) => {
    const decoded = new RemoteWriteDecoder().decode(encodeWriteRequestV2(req), 2);
    expect(materialise(decoded)).toEqual(normaliseV2Input(req));
    expect(decoded.version).toBe(2);
    for (let s = 0; s < decoded.seriesCount; s++) {
      const h = seriesHashOfLabels(normaliseV2Input(req).timeseries[s].labels);
      expect([decoded.seriesHashHi[s], decoded.seriesHashLo[s]]).toEqual([h.hi, h.lo]);
    }
  });

  it('points label offsets at the symbol table entries inside the buffer', () => {
    const body = encodeWriteRequestV2({ timeseries: [{ labels: [L('__name__', 'up')] }, { labels: [L('__name__', 'up')] }] });
    const d = new RemoteWriteDecoder().decode(body, 2);
    expect(d.symbolCount).toBe(3); // "", "__name__", "up"
    expect(d.labelRefs.subarray(0, 4)).toEqual(d.labelRefs.subarray(4, 8)); // same symbol, same bytes
    expect(body.toString('utf8', d.labelRefs[2], d.labelRefs[2] + d.labelRefs[3])).toBe('up');
  });

  it('accepts the symbol table after the series and unpacked labels_refs', () => {
    // timeseries { labels_refs 1 (unpacked), labels_refs 2 (unpacked), samples { value 1.0 } }, then symbols "", "a", "b".
    const body = hex('2a 0f 08 01 08 02 12 09 09 000000000000f03f' + '22 00 22 01 61 22 01 62');
    const d = new RemoteWriteDecoder().decode(body, 2);
    expect(d.seriesLabels(0)).toEqual([L('a', 'b')]);
    expect(d.values[0]).toBe(1);
  });

  it('reads a 1.0 body as an empty 2.0 request, as the spec intends (fields 1-3 are reserved)', () => {
    const v1 = encodeWriteRequestV1({ timeseries: [{ labels: [L('__name__', 'up')], samples: [{ value: 1, timestamp: T0 }] }] });
    const d = new RemoteWriteDecoder().decode(v1, 2);
    expect(d.seriesCount).toBe(0);
  });
});

describe('RemoteWriteDecoder flags', () => {
  it.each([
    { name: 'sorted labels', labels: [L('__name__', 'up'), L('a', '1'), L('b', '2')], flags: 0 },
    { name: 'unsorted labels', labels: [L('b', '2'), L('a', '1')], flags: SERIES_FLAG_UNSORTED_LABELS },
    { name: 'a duplicate label name', labels: [L('a', '1'), L('a', '2')], flags: SERIES_FLAG_UNSORTED_LABELS },
    { name: 'a prefix sorting first', labels: [L('job', '1'), L('jobs', '2')], flags: 0 },
    { name: 'non-ASCII UTF-8', labels: [L('city', 'Zürich'), L('emoji', '🚀')], flags: 0 },
  ])('flags $name with $flags', ({ labels, flags }) => {
    for (const [version, body] of [
      [1, encodeWriteRequestV1({ timeseries: [{ labels }] })],
      [2, encodeWriteRequestV2({ timeseries: [{ labels }] })],
    ] as const) {
      const d = new RemoteWriteDecoder().decode(body, version);
      expect(d.seriesFlags[0]).toBe(flags);
      expect(d.unsortedSeriesCount).toBe(flags & SERIES_FLAG_UNSORTED_LABELS ? 1 : 0);
    }
  });

  it.each([
    { name: 'a lone continuation byte', bytes: [0x61, 0x80, 0x62] },
    { name: 'a truncated 2-byte sequence', bytes: [0xc3] },
    { name: 'an overlong encoding', bytes: [0xc0, 0xaf] },
    { name: 'a UTF-16 surrogate', bytes: [0xed, 0xa0, 0x80] },
    { name: 'byte 0xFF', bytes: [0xff] },
  ])('flags invalid UTF-8 in a label value ($name) and says which label', ({ bytes }) => {
    const labels = [L('__name__', 'up'), { name: 'bad', value: Uint8Array.from(bytes) }, L('z', 'ok')];
    for (const [version, body] of [
      [1, encodeWriteRequestV1({ timeseries: [{ labels: [L('__name__', 'fine')] }, { labels }] })],
      [2, encodeWriteRequestV2({ timeseries: [{ labels: [L('__name__', 'fine')] }, { labels }] })],
    ] as const) {
      const d = new RemoteWriteDecoder().decode(body, version);
      expect(d.seriesFlags[0]).toBe(0);
      expect(d.seriesFlags[1]).toBe(SERIES_FLAG_INVALID_UTF8);
      expect(d.invalidUtf8Count).toBe(1);
      expect(d.invalidUtf8Label(1) - d.seriesLabelStart[1]).toBe(1);
      expect(d.labelName(d.invalidUtf8Label(1))).toBe('bad');
    }
  });

  it('flags invalid UTF-8 in an exemplar label', () => {
    const body = encodeWriteRequestV1({
      timeseries: [{ labels: [L('__name__', 'up')], exemplars: [{ labels: [{ name: 'trace_id', value: Uint8Array.from([0xff]) }], value: 1, timestamp: 1 }] }],
    });
    const d = new RemoteWriteDecoder().decode(body, 1);
    expect(d.exemplarFlags[0]).toBe(SERIES_FLAG_INVALID_UTF8);
    expect(d.seriesFlags[0]).toBe(0);
  });

  it('sortLabels sorts, clears the flag and rehashes like the sorted series', () => {
    const d = new RemoteWriteDecoder().decode(encodeWriteRequestV1({ timeseries: [{ labels: [L('job', 'x'), L('__name__', 'up'), L('a', '1')] }] }), 1);
    expect(d.unsortedSeriesCount).toBe(1);
    d.sortLabels(0);
    expect(d.seriesLabels(0)).toEqual([L('__name__', 'up'), L('a', '1'), L('job', 'x')]);
    expect(d.seriesFlags[0]).toBe(0);
    expect(d.unsortedSeriesCount).toBe(0);
    const h = seriesHashOfLabels(d.seriesLabels(0));
    expect([d.seriesHashHi[0], d.seriesHashLo[0]]).toEqual([h.hi, h.lo]);
  });

  it('dropLabel removes one label of one series and rehashes it, leaving the others alone', () => {
    const body = encodeWriteRequestV1({
      timeseries: [{ labels: [L('__name__', 'up'), L('__replica__', 'r1'), L('job', 'x')] }, { labels: [L('__name__', 'down')] }],
    });
    const d = new RemoteWriteDecoder().decode(body, 1);
    const second = [d.seriesHashHi[1], d.seriesHashLo[1]];
    d.dropLabel(0, d.seriesLabelStart[0] + 1);
    expect(d.seriesLabels(0)).toEqual([L('__name__', 'up'), L('job', 'x')]);
    expect(d.seriesLabels(1)).toEqual([L('__name__', 'down')]);
    const h = seriesHashOfLabels([L('__name__', 'up'), L('job', 'x')]);
    expect([d.seriesHashHi[0], d.seriesHashLo[0]]).toEqual([h.hi, h.lo]);
    expect([d.seriesHashHi[1], d.seriesHashLo[1]]).toEqual(second);
  });

  it('gives helpers for error messages', () => {
    const d = new RemoteWriteDecoder().decode(encodeWriteRequestV1({ timeseries: [{ labels: [L('__name__', 'up'), L('job', 'a"b')] }, { labels: [L('x', 'y')] }] }), 1);
    expect(d.seriesString(0)).toBe('{__name__="up", job="a\\"b"}');
    expect(d.metricName(0)).toBe('up');
    expect(d.metricName(1)).toBeUndefined();
  });
});

describe('RemoteWriteDecoder series keys', () => {
  const labels = [
    { name: '__name__', value: 'up' },
    { name: 'job', value: 'node' },
  ];

  it('points each remote write 1.0 series at its canonical key bytes in the body', () => {
    const body = encodeWriteRequestV1({ timeseries: [{ labels, samples: [{ timestamp: 1, value: 1 }] }, { labels: labels.slice(0, 1) }] });
    const req = new RemoteWriteDecoder().decode(body, 1, 7);
    for (let s = 0; s < 2; s++) {
      expect(req.seriesKeyStart[s]).toBeGreaterThanOrEqual(0);
      // The hash is computed over exactly these bytes.
      const key = body.subarray(req.seriesKeyStart[s], req.seriesKeyEnd[s]);
      const out = new Uint32Array(4);
      murmur3x86_128(key, 0, key.length, 7, out);
      expect([out[0], out[1]]).toEqual([req.seriesHashHi[s], req.seriesHashLo[s]]);
    }
  });

  it.each<[string, () => ReturnType<RemoteWriteDecoder['decode']>]>([
    ['remote write 2.0 (strings in a symbol table)', () => new RemoteWriteDecoder().decode(encodeWriteRequestV2({ timeseries: [{ labels }] }), 2)],
    [
      'a 1.0 series whose labels were changed after decoding',
      () => {
        const req = new RemoteWriteDecoder().decode(encodeWriteRequestV1({ timeseries: [{ labels }] }), 1);
        req.dropLabel(0, req.seriesLabelStart[0] + 1);
        return req;
      },
    ],
  ])('has no key region for %s', (_name, decode) => {
    expect(decode().seriesKeyStart[0]).toBe(-1);
  });
});

describe('RemoteWriteDecoder reuse', () => {
  it('reuses its arrays and forgets the previous request entirely', () => {
    const decoder = new RemoteWriteDecoder({ initialSeriesCapacity: 2, initialSampleCapacity: 2, maxRetainedSeriesCapacity: 1 << 20, maxRetainedSampleCapacity: 1 << 20 });
    const big: WriteRequestV1Input = {
      timeseries: Array.from({ length: 100 }, (_, i) => ({
        labels: [L('__name__', `m${i}`)],
        samples: [{ value: i, timestamp: T0 + i }],
        exemplars: [{ labels: [L('t', String(i))], value: i, timestamp: 1 }],
      })),
      metadata: [{ type: 1, metricFamilyName: 'm0' }],
    };
    const first = decoder.decode(encodeWriteRequestV1(big), 1);
    const timestamps = first.timestamps;
    expect(first.seriesCount).toBe(100);
    const small: WriteRequestV1Input = { timeseries: [{ labels: [L('__name__', 'only')], samples: [{ value: 5, timestamp: T0 }] }] };
    const second = decoder.decode(encodeWriteRequestV1(small), 1);
    expect(second).toBe(first);
    expect(second.timestamps).toBe(timestamps);
    expect(materialise(second)).toEqual(normaliseV1Input(small));
  });

  it('shrinks arrays after a request larger than the retain limit', () => {
    const decoder = new RemoteWriteDecoder({ initialSeriesCapacity: 4, initialSampleCapacity: 4, maxRetainedSeriesCapacity: 16, maxRetainedSampleCapacity: 16 });
    const many = { timeseries: Array.from({ length: 100 }, (_, i) => ({ labels: [L('a', String(i))], samples: [{ value: 1, timestamp: 1 }] })) };
    expect(decoder.decode(encodeWriteRequestV1(many), 1).timestamps.length).toBeGreaterThanOrEqual(100);
    const d = decoder.decode(encodeWriteRequestV1({ timeseries: [] }), 1);
    expect(d.timestamps.length).toBe(4);
    expect(d.seriesHashHi.length).toBe(4);
  });

  it('leaves an empty result behind when decoding fails', () => {
    const decoder = new RemoteWriteDecoder();
    const ok = encodeWriteRequestV1({ timeseries: [{ labels: [L('a', 'b')] }] });
    const d = decoder.decode(ok, 1);
    expect(() => decoder.decode(ok.subarray(0, ok.length - 1), 1)).toThrow(ValidationError);
    expect(d.seriesCount).toBe(0);
    expect(decoder.decode(ok, 1).seriesLabels(0)).toEqual([L('a', 'b')]);
  });
});

describe('RemoteWriteDecoder bad input', () => {
  it.each([
    { name: 'a truncated tag varint', version: 1, body: '8a', message: /truncated varint at byte 0/ },
    { name: 'a varint over 10 bytes', version: 1, body: '0a 0e 12 0c 10 ffffffffffffffffffff01', message: /varint longer than 10 bytes/ },
    { name: 'a length past the end', version: 1, body: '0a 05 0a 01', message: /length 5 runs past the end .* at byte 1/ },
    { name: 'a nested length past its message', version: 1, body: '0a 04 0a 05 0a 01 61 61 61', message: /length 5 runs past the end of the enclosing message \(which ends at byte 6\)/ },
    { name: 'a truncated double', version: 1, body: '0a 06 12 04 09 000000', message: /truncated 8-byte field/ },
    { name: 'timeseries with wire type 0', version: 1, body: '08 01', message: /field 1 of prometheus.WriteRequest has wire type 0, expected 2 at byte 0/ },
    { name: 'a label with wire type 1', version: 1, body: '0a 09 09 0000000000000000', message: /field 1 of prometheus.TimeSeries has wire type 1/ },
    { name: 'a sample value with wire type 0', version: 1, body: '0a 04 12 02 08 01', message: /field 1 of Sample has wire type 0, expected 1/ },
    { name: 'a start-group wire type', version: 1, body: '4b', message: /unsupported wire type 3/ },
    { name: 'wire type 7', version: 1, body: '4f', message: /unsupported wire type 7/ },
    { name: 'field number 0', version: 1, body: '02 00', message: /invalid field number 0/ },
    { name: 'a truncated unknown fixed64', version: 1, body: '49 0102', message: /truncated 8-byte field 9/ },
    { name: 'a truncated unknown fixed32', version: 1, body: '4d 01', message: /truncated 4-byte field 9/ },
    { name: 'a symbol reference out of range', version: 2, body: '22 00 2a 04 0a 02 00 05', message: /symbol reference 5 is out of range \(the symbol table has 1 entries\)/ },
    { name: 'an odd number of labels_refs', version: 2, body: '22 00 2a 03 0a 01 00', message: /odd number \(1\) of labels_refs/ },
    { name: 'metadata help_ref out of range', version: 2, body: '22 00 2a 04 2a 02 18 09', message: /symbol reference 9 is out of range/ },
    { name: 'an exemplar symbol reference out of range', version: 2, body: '22 00 2a 06 22 04 0a 02 00 03', message: /symbol reference 3 is out of range/ },
    { name: 'symbols with wire type 0', version: 2, body: '20 01', message: /field 4 of io.prometheus.write.v2.Request has wire type 0/ },
    { name: 'a 2.0 truncated created_timestamp', version: 2, body: '2a 02 30 80', message: /truncated varint/ },
  ] as const)('rejects $name as malformed_request, naming the offset', ({ version, body, message }) => {
    const err = decodeError(hex(body), version);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.reason).toBe('malformed_request');
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/at byte \d+/);
  });

  it.each([
    { version: 1 as const, body: encodeWriteRequestV1(V1_CASES[1].req) },
    { version: 1 as const, body: encodeWriteRequestV1(V1_CASES[5].req) },
    { version: 2 as const, body: encodeWriteRequestV2({ timeseries: [{ labels: [L('__name__', 'up'), L('job', 'x')], samples: [{ value: 1, timestamp: T0 }], exemplars: [{ labels: [L('t', '1')], value: 1, timestamp: 1 }], metadata: { type: 1, help: 'h' }, createdTimestamp: 5 }] }) },
  ])('rejects the request truncated at every byte (version $version), except at field boundaries', ({ version, body }) => {
    // Cutting exactly between top-level fields leaves a shorter, valid message.
    const boundaries = new Set<number>([0]);
    for (let p = 0; p < body.length; ) {
      p += 1; // one-byte tags here
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = body[p++];
        len += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if (b < 0x80) break;
      }
      p += len;
      boundaries.add(p);
    }
    const decoder = new RemoteWriteDecoder();
    for (let cut = 0; cut < body.length; cut++) {
      const truncated = body.subarray(0, cut);
      if (boundaries.has(cut)) {
        expect(() => decoder.decode(truncated, version)).not.toThrow();
      } else {
        let err: unknown;
        try {
          decoder.decode(truncated, version);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as PanoptesError).reason).toBe('malformed_request');
      }
    }
  });

  it('never throws anything but a ValidationError on random corruptions, and never hangs', () => {
    const v1 = encodeWriteRequestV1(V1_CASES[5].req);
    const v2 = encodeRawWriteRequestV2({
      symbols: ['', '__name__', 'up', 'trace_id', 'x'],
      timeseries: [{ labelsRefs: [1, 2], samples: [{ value: 1, timestamp: T0 }], exemplars: [{ labelsRefs: [3, 4], value: 1, timestamp: 2 }], metadata: { type: 1, helpRef: 4, unitRef: 0 } }],
    });
    const decoder = new RemoteWriteDecoder();
    let x = 42;
    for (let i = 0; i < 4000; i++) {
      const [version, valid] = i % 2 === 0 ? ([1, v1] as const) : ([2, v2] as const);
      const bad = Buffer.from(valid);
      for (let k = 0; k <= i % 3; k++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        bad[x % bad.length] = x >>> 24;
      }
      try {
        decoder.decode(bad, version);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
      }
    }
  });
});

describe('RemoteWriteDecoder.decompress', () => {
  const bodyOf = (series: number, name: string) =>
    encodeWriteRequestV1({
      timeseries: Array.from({ length: series }, (_, i) => ({ labels: [{ name: '__name__', value: name }, { name: 'i', value: String(i) }], samples: [{ timestamp: 1000 + i, value: i }] })),
    });

  it('decompresses every body into the same memory, grown when a body needs more, and decodes it right', () => {
    const decoder = new RemoteWriteDecoder();
    const seen = new Set<ArrayBufferLike>();
    for (const [series, name] of [[10, 'a'], [20, 'b'], [5000, 'c'], [3, 'd'], [4000, 'e']] as const) {
      const raw = bodyOf(series, name);
      const body = decoder.decompress(compressSnappy(raw), 64 << 20);
      expect(Buffer.compare(body, raw)).toBe(0);
      seen.add(body.buffer);
      const req = decoder.decode(body, 1);
      expect(req.seriesCount).toBe(series);
      expect(req.seriesString(series - 1)).toBe(`{__name__="${name}", i="${series - 1}"}`);
    }
    // One allocation for the small bodies, a bigger one from the 5000-series body on.
    expect(seen.size).toBe(2);
  });

  it('refuses a body over the limit before allocating, with the same error as decompressSnappy', () => {
    const decoder = new RemoteWriteDecoder();
    const compressed = compressSnappy(bodyOf(100, 'x'));
    expect(() => decoder.decompress(compressed, 100)).toThrow(expect.objectContaining({ reason: 'request_too_large' }));
    expect(() => decompressSnappy(compressed, 100)).toThrow(expect.objectContaining({ reason: 'request_too_large' }));
  });
});
