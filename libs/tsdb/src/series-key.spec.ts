import { readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { RemoteWriteDecoder, encodeWriteRequestV1, murmur3x86_128, seriesHashOfLabels, seriesHash53 } from '@panoptes/proto';
import { defaultHeadConfig } from './head-config';
import { readHeadSnapshot, writeHeadSnapshot } from './head-snapshot';
import { SeriesKeyBuilder, viewBytesEqual } from './series-key';
import { newHead, seriesRef, split } from './testing/head-test-util';

/** Series of a remote write 1.0 body as the ingester sees them: key region and hash per series. */
function decoded(series: Array<Record<string, string>>) {
  const body = encodeWriteRequestV1({
    timeseries: series.map((s) => {
      const [names, values] = split(s);
      return { labels: names.map((name, i) => ({ name, value: values[i] })), samples: [{ timestamp: 1, value: 1 }] };
    }),
  });
  const req = new RemoteWriteDecoder().decode(body, 1, 0);
  return series.map((_, s) => ({
    buf: req.buf,
    refs: req.labelRefs,
    from: req.seriesLabelStart[s],
    to: req.seriesLabelEnd[s],
    keyStart: req.seriesKeyStart[s],
    keyEnd: req.seriesKeyEnd[s],
    hash: seriesHash53(req.seriesHashHi[s], req.seriesHashLo[s]),
  }));
}

const CASES: Array<[string, Record<string, string>]> = [
  ['ASCII labels', { __name__: 'up', job: 'node', instance: '10.0.0.1:9100' }],
  ['non-ASCII values', { __name__: 'temp', city: 'Zürich', icon: '🌡️' }],
  ['a value over 127 bytes (two-byte length varints)', { __name__: 'long', v: 'x'.repeat(300) }],
];

describe('SeriesKeyBuilder', () => {
  it.each(CASES)('builds the bytes a remote write 1.0 body carries and the series hash covers: %s', (_name, labels) => {
    const [names, values] = split(labels);
    const key = Buffer.from(new SeriesKeyBuilder().build(names, values));
    const [d] = decoded([labels]);
    expect(d.keyStart).toBeGreaterThanOrEqual(0);
    expect(key).toEqual(d.buf.subarray(d.keyStart, d.keyEnd));
    const out = new Uint32Array(4);
    murmur3x86_128(key, 0, key.length, 0, out);
    const want = seriesHashOfLabels(names.map((name, i) => ({ name, value: values[i] })));
    expect([out[0], out[1]]).toEqual([want.hi, want.lo]);
  });
});

describe('Head.lookupSeriesKey', () => {
  it.each(CASES)('finds a series created from strings by its key bytes in a request: %s', (_name, labels) => {
    const head = newHead();
    const ref = seriesRef(head, labels);
    const [d] = decoded([labels]);
    expect(head.lookupSeriesKey(d.hash, d.buf, d.keyStart, d.keyEnd)).toBe(ref);
  });

  it('returns 0 for a series the head does not hold', () => {
    const head = newHead();
    seriesRef(head, { __name__: 'up', job: 'a' });
    const [d] = decoded([{ __name__: 'up', job: 'b' }]);
    expect(head.lookupSeriesKey(d.hash, d.buf, d.keyStart, d.keyEnd)).toBe(0);
  });

  it('tells series with the same hash apart by their keys', () => {
    const head = newHead();
    const HASH = 0x1234_5678_9abc;
    const series: Array<Record<string, string>> = [{ a: '1' }, { a: '2' }, { a: '1', b: '2' }];
    const refs = series.map((s) => {
      const [names, values] = split(s);
      return head.getOrCreateSeries(HASH, names, values);
    });
    const found = decoded(series).map((d) => head.lookupSeriesKey(HASH, d.buf, d.keyStart, d.keyEnd));
    expect(found).toEqual(refs);
    expect(new Set(refs).size).toBe(3);
  });

  it('keeps the key a series was created with from request bytes', () => {
    const head = newHead();
    const labels = { __name__: 'up', job: 'node' };
    const [d] = decoded([labels]);
    const ref = head.getOrCreateSeriesFromBytes(d.hash, d.buf, d.refs, d.from, d.to, d.keyStart, d.keyEnd);
    d.buf.fill(0); // the request's buffer is reused for the next request
    const [again] = decoded([labels]);
    expect(head.lookupSeriesKey(again.hash, again.buf, again.keyStart, again.keyEnd)).toBe(ref);
    expect(seriesRef(head, labels)).toBe(ref);
  });

  it('finds series by key after a snapshot round trip (keys are rebuilt, not stored)', async () => {
    const head = newHead({}, new Registry());
    const series = Array.from({ length: 2500 }, (_, i) => ({ __name__: `m_${i % 7}`, pod: `pod-${i}`, zone: i % 2 ? 'eu' : 'üs' }));
    const refs = series.map((s) => seriesRef(head, s));
    const dir = await mkdtemp(join(tmpdir(), 'series-key-'));
    try {
      const file = join(dir, 'snap');
      await writeHeadSnapshot(file, 1, [head]);
      expect((await readFile(file)).length).toBeGreaterThan(0);
      const loaded = (await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, () => new Registry())).heads.get(head.tenant)!;
      const found = decoded(series).map((d) => loaded.lookupSeriesKey(d.hash, d.buf, d.keyStart, d.keyEnd));
      expect(found).toEqual(refs);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Head.getOrCreateSeriesFromBytes', () => {
  const fromBytes = (head: ReturnType<typeof newHead>, d: ReturnType<typeof decoded>[number]) =>
    head.getOrCreateSeriesFromBytes(d.hash, d.buf, d.refs, d.from, d.to, d.keyStart, d.keyEnd);

  it.each(CASES)('creates the series the string path would, found by strings, key and postings: %s', (_name, labels) => {
    const head = newHead();
    const [d] = decoded([labels]);
    const ref = fromBytes(head, d);
    expect(ref).toBeGreaterThan(0);
    d.buf.fill(0); // the request's buffer is reused for the next request
    expect(seriesRef(head, labels)).toBe(ref);
    const [again] = decoded([labels]);
    expect(head.lookupSeriesKey(again.hash, again.buf, again.keyStart, again.keyEnd)).toBe(ref);
    for (const [name, value] of Object.entries(labels)) expect(head.seriesCountWith(name, value)).toBe(1);
    expect(head.numSeries).toBe(1);
  });

  it('returns the series a string-made twin already is, without a second one', () => {
    const head = newHead();
    const labels = { __name__: 'up', job: 'node', city: 'Zürich' };
    const ref = seriesRef(head, labels);
    expect(fromBytes(head, decoded([labels])[0])).toBe(ref);
    expect(head.numSeries).toBe(1);
  });

  it('shares symbols among series and with the string path (label values listed once)', () => {
    const head = newHead();
    const series = Array.from({ length: 3000 }, (_, i) => ({ __name__: `m_${i % 7}`, pod: `pod-${i}`, zone: i % 2 ? 'eu' : 'üs' }));
    const made = decoded(series).map((d) => fromBytes(head, d));
    expect(new Set(made).size).toBe(series.length);
    expect(series.map((s) => seriesRef(head, s))).toEqual(made);
    expect(head.labelValues('zone').sort()).toEqual(['eu', 'üs']);
    expect(head.labelValues('__name__').length).toBe(7);
    expect(head.seriesCountWith('zone', 'üs')).toBe(1500);
  });

  it.each([
    { name: 'unsorted names', labels: [['b', '1'], ['a', '2']], problem: /not sorted or repeat/ },
    { name: 'a repeated name', labels: [['a', '1'], ['a', '2']], problem: /not sorted or repeat/ },
    { name: 'an empty value', labels: [['__name__', 'up'], ['job', '']], problem: /empty name or value/ },
  ])('refuses $name with the string path\'s error', ({ labels, problem }) => {
    const head = newHead();
    const body = encodeWriteRequestV1({ timeseries: [{ labels: labels.map(([name, value]) => ({ name, value })), samples: [{ timestamp: 1, value: 1 }] }] });
    const req = new RemoteWriteDecoder().decode(body, 1, 0);
    const hash = seriesHash53(req.seriesHashHi[0], req.seriesHashLo[0]);
    expect(() =>
      head.getOrCreateSeriesFromBytes(hash, req.buf, req.labelRefs, req.seriesLabelStart[0], req.seriesLabelEnd[0], req.seriesKeyStart[0], req.seriesKeyEnd[0]),
    ).toThrow(problem);
    expect(head.numSeries).toBe(0);
  });
});

describe('viewBytesEqual', () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  const copyAt = (offset: number) => {
    const out = new Uint8Array(offset + bytes.length + 3);
    out.set(bytes, offset);
    return out;
  };
  const view = (a: Uint8Array) => new DataView(a.buffer, a.byteOffset, a.byteLength);

  it.each([0, 1, 3, 4, 5, 7, 8, 13, 64].flatMap((len) => [0, 1, 2, 3].map((shift) => ({ name: `${len} bytes, offsets 5 and ${shift}`, len, shift }))))(
    'equal ranges compare equal whatever their alignment: $name',
    ({ len, shift }) => {
      expect(viewBytesEqual(view(copyAt(5)), 5, view(copyAt(shift)), shift, len)).toBe(true);
    },
  );

  it.each([0, 1, 2, 3, 4, 30, 59, 60, 61, 62, 63].map((at) => ({ name: `byte ${at} of 64`, at })))('one different byte makes them differ: $name', ({ at }) => {
    const other = copyAt(2);
    other[2 + at] ^= 0x80;
    expect(viewBytesEqual(view(copyAt(1)), 1, view(other), 2, 64)).toBe(false);
  });
});
