import { nopLogger } from '@panoptes/log';
import { RemoteWriteDecoder, encodeWriteRequestV1, tenantHashSeed } from '@panoptes/proto';
import { Matcher, defaultHeadConfig } from '@panoptes/tsdb';
import { TenantDb } from './tenant-db';

const T0 = 1_700_000_000_000;
const NO_LIMITS = { maxSeries: 0, maxSeriesPerMetric: 0 };

function request(series: Array<{ labels: Record<string, string>; samples: Array<[number, number]> }>) {
  const body = encodeWriteRequestV1({
    timeseries: series.map((s) => ({
      labels: Object.keys(s.labels)
        .sort()
        .map((name) => ({ name, value: s.labels[name] })),
      samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
    })),
  });
  return new RemoteWriteDecoder().decode(body, 1, tenantHashSeed('t'));
}

function dump(db: TenantDb, name: string) {
  return [...db.head.select([new Matcher('=', '__name__', name)], -Infinity, Infinity)].map((s) => {
    const it = s.iterator();
    const samples: Array<[number, number]> = [];
    while (it.next()) samples.push([it.t, it.v]);
    return { labels: Object.fromEntries(s.labels), samples };
  });
}

describe('TenantDb', () => {
  const newDb = () => TenantDb.create('t', defaultHeadConfig(), nopLogger);

  it('finds known series from label bytes, including non-ASCII labels, across requests', () => {
    const db = newDb();
    const labels = { __name__: 'température', ville: 'Zürich', 絵: '文字' };
    db.append(request([{ labels, samples: [[T0, 1]] }]), NO_LIMITS);
    db.append(request([{ labels, samples: [[T0 + 1000, 2]] }]), NO_LIMITS);
    expect(db.head.numSeries).toBe(1);
    expect(dump(db, 'température')).toEqual([{ labels, samples: [[T0, 1], [T0 + 1000, 2]] }]);
  });

  it('keeps two series apart when their hashes collide', () => {
    const db = newDb();
    const req = request([
      { labels: { __name__: 'a', i: '1' }, samples: [[T0, 1]] },
      { labels: { __name__: 'a', i: '2' }, samples: [[T0, 2]] },
    ]);
    req.seriesHashHi[1] = req.seriesHashHi[0];
    req.seriesHashLo[1] = req.seriesHashLo[0];
    db.append(req, NO_LIMITS);
    expect(dump(db, 'a')).toEqual([
      { labels: { __name__: 'a', i: '1' }, samples: [[T0, 1]] },
      { labels: { __name__: 'a', i: '2' }, samples: [[T0, 2]] },
    ]);
  });

  it.each([
    { name: 'per tenant', limits: { maxSeries: 2, maxSeriesPerMetric: 0 }, reason: 'per_user_series_limit', stored: 2 },
    { name: 'per metric', limits: { maxSeries: 0, maxSeriesPerMetric: 1 }, reason: 'per_metric_series_limit', stored: 2 },
  ])('refuses new series over the $name limit with a typed 400, keeping existing series writable', ({ limits, reason, stored }) => {
    const db = newDb();
    const result = db.append(
      request([
        { labels: { __name__: 'a', i: '1' }, samples: [[T0, 1]] },
        { labels: { __name__: 'b', i: '1' }, samples: [[T0, 1]] },
        { labels: { __name__: 'a', i: '2' }, samples: [[T0, 1], [T0 + 1, 2]] },
      ]),
      limits,
    );
    expect(db.head.numSeries).toBe(stored);
    expect(result.appended).toBe(2);
    expect(result.rejected).toBe(2);
    expect(result.rejectedByReason).toEqual({ [reason]: 2 });
    expect(result.error?.reason).toBe(reason);
    expect(result.error?.message).toMatch(/tenant "t"/);
    const again = db.append(request([{ labels: { __name__: 'a', i: '1' }, samples: [[T0 + 5, 3]] }]), limits);
    expect(again.error).toBeUndefined();
    expect(again.appended).toBe(1);
  });

  it('recounts series per metric after truncation collected some', () => {
    const db = newDb();
    const limits = { maxSeries: 0, maxSeriesPerMetric: 1 };
    db.append(request([{ labels: { __name__: 'a', i: '1' }, samples: [[T0, 1]] }]), limits);
    db.head.truncate(T0 + 1);
    db.recountPerMetric();
    expect(db.head.numSeries).toBe(0);
    const result = db.append(request([{ labels: { __name__: 'a', i: '2' }, samples: [[T0 + 10, 1]] }]), limits);
    expect(result.error).toBeUndefined();
  });

  it('keeps the metadata a request carries, by metric family', () => {
    const db = newDb();
    const body = encodeWriteRequestV1({
      timeseries: [],
      metadata: [{ type: 1, metricFamilyName: 'http_requests_total', help: 'Requests.', unit: '' }],
    });
    db.append(new RemoteWriteDecoder().decode(body, 1), NO_LIMITS);
    expect(db.metadata.list({ limit: -1, limitPerMetric: 0, metric: '' })).toEqual([{ metricFamilyName: 'http_requests_total', type: 1, help: 'Requests.', unit: '' }]);
  });
});
