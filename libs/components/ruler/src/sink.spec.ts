import { UnavailableError, ValidationError } from '@panoptes/common';
import { RemoteWriteDecoder, decompressSnappy } from '@panoptes/proto';
import { type HttpSink, startHttpSink, stopAllPeers } from '@panoptes/testing';
import { RemoteWriteSampleSink, STALE_NAN, encodeRuleSamples, httpRemoteWriteSender } from './sink';
import { lbls } from './testing/harness';

const bits = (v: number): string => {
  const d = new DataView(new ArrayBuffer(8));
  d.setFloat64(0, v);
  return d.getBigUint64(0).toString(16);
};

function decode(body: Buffer) {
  const req = new RemoteWriteDecoder().decode(body, 1);
  return Array.from({ length: req.seriesCount }, (_, s) => ({
    labels: req.seriesLabels(s).map((l) => `${l.name}=${l.value}`).join(','),
    samples: Array.from({ length: req.sampleCountOf(s) }, (_, i) => {
      const at = req.seriesSampleStart[s] + i;
      return [req.timestamps[at], bits(req.values[at])];
    }),
  }));
}

describe('rule samples as remote write 1.0', () => {
  it('writes one time series per label set with its samples in time order', () => {
    const up = lbls({ __name__: 'job:up:sum', job: 'a' });
    const alerts = lbls({ __name__: 'ALERTS', alertname: 'X', alertstate: 'firing' });
    const body = encodeRuleSamples([
      { labels: up, t: 2000, v: 2 },
      { labels: alerts, t: 1000, v: 1 },
      { labels: up, t: 1000, v: 1 },
    ]);
    expect(decode(body)).toEqual([
      { labels: '__name__=job:up:sum,job=a', samples: [[1000, bits(1)], [2000, bits(2)]] },
      { labels: '__name__=ALERTS,alertname=X,alertstate=firing', samples: [[1000, bits(1)]] },
    ]);
  });

  it('writes staleness markers as the StaleNaN bit pattern, not a plain NaN', () => {
    expect(bits(STALE_NAN)).toBe('7ff0000000000002');
    const body = encodeRuleSamples([{ labels: lbls({ __name__: 'gone' }), t: 5000, v: NaN, stale: true }]);
    expect(decode(body)[0].samples).toEqual([[5000, '7ff0000000000002']]);
    // Protobuf doubles are little-endian.
    expect(body.includes(Buffer.from('020000000000f07f', 'hex'))).toBe(true);
  });

  it('sends nothing for an empty push and hands the tenant to the sender', async () => {
    const sent: string[] = [];
    const sink = new RemoteWriteSampleSink(async (tenant) => void sent.push(tenant));
    await sink.push('t1', []);
    await sink.push('t2', [{ labels: lbls({ __name__: 'r' }), t: 1, v: 1 }]);
    expect(sent).toEqual(['t2']);
  });
});

describe('httpRemoteWriteSender', () => {
  let receiver: HttpSink;
  beforeEach(async () => {
    receiver = await startHttpSink();
  });
  afterEach(async () => {
    await stopAllPeers();
  });

  it('POSTs snappy remote write 1.0 to <url>/api/v1/push with the tenant header', async () => {
    const send = httpRemoteWriteSender({ url: `${receiver.url}/`, timeoutMs: 5_000 });
    const body = encodeRuleSamples([{ labels: lbls({ __name__: 'r' }), t: 1, v: 1 }]);
    await send('tenant-1', body);
    const [req] = receiver.requests;
    expect(req.url).toBe('/api/v1/push');
    expect(req.headers).toMatchObject({
      'x-scope-orgid': 'tenant-1',
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
    });
    expect(decompressSnappy(req.body, 1 << 20).equals(body)).toBe(true);
  });

  it.each([
    { name: '400 is a refusal (ValidationError)', status: 400, type: ValidationError },
    { name: '429 is worth retrying later (UnavailableError)', status: 429, type: UnavailableError },
    { name: '500 is worth retrying later (UnavailableError)', status: 500, type: UnavailableError },
  ])('rejects when the distributor answers $name', async ({ status, type }) => {
    receiver.setResponder(() => status);
    const send = httpRemoteWriteSender({ url: receiver.url, timeoutMs: 5_000 });
    await expect(send('t1', encodeRuleSamples([{ labels: lbls({ __name__: 'r' }), t: 1, v: 1 }]))).rejects.toBeInstanceOf(type);
  });

  it('rejects with UnavailableError when the distributors cannot be reached', async () => {
    const url = receiver.url;
    await receiver.stop();
    await expect(httpRemoteWriteSender({ url, timeoutMs: 5_000 })('t1', Buffer.alloc(0))).rejects.toBeInstanceOf(UnavailableError);
  });
});
