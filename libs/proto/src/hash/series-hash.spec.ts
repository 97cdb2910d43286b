import { RemoteWriteDecoder } from '../remote-write/decoder';
import { encodeWriteRequestV1, encodeWriteRequestV2 } from '../remote-write/encoder';
import { seriesHash53, seriesHash53OfLabels, seriesHashHex, seriesHashOfLabels, tenantHashSeed } from './series-hash';

const UP = [
  { name: '__name__', value: 'up' },
  { name: 'instance', value: 'localhost:9090' },
  { name: 'job', value: 'prometheus' },
];

describe('series hash', () => {
  // Expected values computed independently in Python: mmh3.hash_bytes(canonical, seed, x64arch=False)
  // over the canonical prometheus.Labels encoding built by hand (see series-hash.ts).
  it.each([
    { name: 'up{instance,job}', labels: UP, seed: 0, hex: '4d68d0f48ddb847d' },
    { name: 'seeded', labels: [UP[0], UP[2]], seed: 12345, hex: '57458cdc60cb6dee' },
    { name: 'a 200-byte value (2-byte lengths) and an empty value', labels: [{ name: 'a', value: 'x'.repeat(200) }, { name: 'b', value: '' }], seed: 0, hex: 'e0d9dbb65a72f8e4' },
    { name: 'no labels', labels: [], seed: 0, hex: '0000000000000000' },
  ])('is MurmurHash3_x86_128 of the canonical labels encoding: $name', ({ labels, seed, hex }) => {
    const h = seriesHashOfLabels(labels, seed);
    expect(seriesHashHex(h.hi, h.lo)).toBe(hex);
  });

  it('is the same whether the series came as remote write 1.0, 2.0 or strings', () => {
    const labels = [...UP, { name: 'zone', value: 'eu-west-1' }, { name: 'zz', value: 'é日本' }];
    const decoder = new RemoteWriteDecoder();
    const seed = tenantHashSeed('tenant-1');
    const expected = seriesHashOfLabels(labels, seed);
    const v1 = decoder.decode(encodeWriteRequestV1({ timeseries: [{ labels }] }), 1, seed);
    expect([v1.seriesHashHi[0], v1.seriesHashLo[0]]).toEqual([expected.hi, expected.lo]);
    const v2 = decoder.decode(encodeWriteRequestV2({ timeseries: [{ labels }] }), 2, seed);
    expect([v2.seriesHashHi[0], v2.seriesHashLo[0]]).toEqual([expected.hi, expected.lo]);
  });

  it('differs between tenants for the same series', () => {
    const a = seriesHashOfLabels(UP, tenantHashSeed('a'));
    const b = seriesHashOfLabels(UP, tenantHashSeed('b'));
    expect(seriesHashHex(a.hi, a.lo)).not.toBe(seriesHashHex(b.hi, b.lo));
  });

  it('depends on label boundaries, not just on the concatenated bytes', () => {
    const a = seriesHashOfLabels([{ name: 'ab', value: 'c' }]);
    const b = seriesHashOfLabels([{ name: 'a', value: 'bc' }]);
    expect(seriesHashHex(a.hi, a.lo)).not.toBe(seriesHashHex(b.hi, b.lo));
  });
});

describe('seriesHash53', () => {
  it.each([
    ['zero', 0, 0, 0],
    ['low word only', 0, 0xffffffff, 0xffffffff],
    ['keeps the low 21 bits of hi', 0xffffffff, 0, 0x1fffff * 2 ** 32],
    ['largest value is exactly representable', 0xffffffff, 0xffffffff, Number.MAX_SAFE_INTEGER],
  ])('folds (hi, lo) into an exact 53-bit integer: %s', (_n, hi, lo, expected) => {
    expect(seriesHash53(hi, lo)).toBe(expected);
    expect(Number.isSafeInteger(seriesHash53(hi, lo))).toBe(true);
  });

  it('gives the head the same number for label strings as the decoder computes from a request', () => {
    const names = ['__name__', 'instance', 'job'];
    const values = ['up', 'host:9100', 'node'];
    const decoder = new RemoteWriteDecoder();
    const body = encodeWriteRequestV1({ timeseries: [{ labels: names.map((name, i) => ({ name, value: values[i] })) }] });
    const decoded = decoder.decode(body, 1, 0);
    expect(seriesHash53OfLabels(names, values)).toBe(seriesHash53(decoded.seriesHashHi[0], decoded.seriesHashLo[0]));
  });
});
