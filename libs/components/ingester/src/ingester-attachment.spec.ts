import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import type { ConsumedRecord } from '@panoptes/ingest';
import { nopLogger } from '@panoptes/log';
import { DecodedAttachment, RemoteWriteDecoder, encodeIngestRecordValue, encodeWriteRequestV1, tenantHashSeed } from '@panoptes/proto';
import { Matcher, defaultHeadConfig } from '@panoptes/tsdb';
import { Ingester, defaultIngesterConfig } from './ingester';

// A record from a distributor of the same process carries its request decoded: the ingester
// applies that instead of decoding the value, with the same outcome, and decodes the value
// whenever the attachment no longer describes it.

const NOW = 1_700_000_000_000;
const TENANT = 'team-a';

function ingester(): Ingester {
  return new Ingester(
    defaultIngesterConfig(defaultHeadConfig()),
    undefined,
    undefined,
    () => ({ maxSeries: 0, maxSeriesPerMetric: 0 }),
    {},
    undefined,
    new FakeClock(NOW),
    nopLogger,
    new Registry(),
  );
}

function body(name: string, samples: Array<[number, number]>): Buffer {
  return encodeWriteRequestV1({
    timeseries: [
      {
        labels: [
          { name: '__name__', value: name },
          { name: 'job', value: 'api' },
        ],
        samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
      },
    ],
  });
}

function record(offset: number, b: Buffer, attachment?: unknown, tenant = TENANT): ConsumedRecord {
  return { partition: 0, tenant, offset, value: encodeIngestRecordValue(1, b), timestampMs: NOW, ...(attachment ? { attachment } : {}) };
}

/** Every sample of the tenant's head as `labels t=v` lines. */
function dump(i: Ingester, tenant = TENANT): string[] {
  const out: string[] = [];
  for (const s of i.select(tenant, [new Matcher('=', 'job', 'api')], -Infinity, Infinity)) {
    const it = s.iterator();
    while (it.next()) out.push(`${s.labels.map(([n, v]) => `${n}=${v}`).join(',')} ${it.t}=${it.v}`);
  }
  return out;
}

describe('Ingester records with a decoded attachment', () => {
  it('applies a valid attachment with the same outcome and head as decoding the value', () => {
    const withAttachment = ingester();
    const plain = ingester();
    const decoder = new RemoteWriteDecoder();
    const bodies = [body('up', [[NOW, 1], [NOW + 15_000, 2]]), body('up', [[NOW + 5_000, 9], [NOW + 30_000, 3]])];
    bodies.forEach((b, offset) => {
      const req = decoder.decode(b, 1, tenantHashSeed(TENANT));
      const a = withAttachment.applyRecord(record(offset, b, new DecodedAttachment(req)));
      const p = plain.applyRecord(record(offset, b));
      expect(a).toEqual(p);
    });
    expect(dump(withAttachment)).toEqual(dump(plain));
    expect(dump(plain)).toHaveLength(3); // the out-of-order sample was refused by both
  });

  it.each([
    { name: 'the decoder was refilled with another request', refill: true, seedTenant: TENANT },
    { name: 'the request was hashed for another tenant', refill: false, seedTenant: 'other' },
  ])('decodes the value when $name', ({ refill, seedTenant }) => {
    const i = ingester();
    const decoder = new RemoteWriteDecoder();
    const b = body('up', [[NOW, 1]]);
    const attachment = new DecodedAttachment(decoder.decode(b, 1, tenantHashSeed(seedTenant)));
    if (refill) decoder.decode(body('down', [[NOW, 7]]), 1, tenantHashSeed(TENANT));
    expect(i.applyRecord(record(0, b, attachment))?.appended).toBe(1);
    expect(dump(i)).toEqual([`__name__=up,job=api ${NOW}=1`]);
  });
});
