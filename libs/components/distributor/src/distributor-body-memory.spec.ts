import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { defaultOtlpTranslationConfig } from '@panoptes/otlp';
import { DecodedWriteRequest, compressSnappy, encodeWriteRequestV1 } from '@panoptes/proto';
import { Distributor } from './distributor';
import { generousLimits } from './testing/limits';
import { SeriesSink } from './series-sink';

const NOW = 1_700_000_000_000;
const HEADERS = { contentType: 'application/x-protobuf', contentEncoding: 'snappy' };

/** Keeps every unchanged body it was given; each write waits for `gate` when one is set. */
class KeepingSink implements SeriesSink {
  readonly bodies: Buffer[] = [];
  gate: Promise<void> | undefined;
  constructor(readonly releasesBody: boolean) {}
  async write(_tenant: string, _req: DecodedWriteRequest, _series: Uint32Array, _count: number, unchangedBody: Buffer | undefined): Promise<undefined> {
    this.bodies.push(unchangedBody!);
    await this.gate;
    return undefined;
  }
}

function distributor(sink: SeriesSink): Distributor {
  const config = { maxRecvMsgSizeBytes: 1 << 20, otlp: defaultOtlpTranslationConfig(), maxErrorsPerRequest: 10 };
  return new Distributor(config, generousLimits, sink, undefined, { cluster: 'cluster', replica: '__replica__' }, new FakeClock(NOW), nopLogger, new Registry());
}

/** Request k: a few series whose bytes differ from every other request's. */
const raw = (k: number) =>
  encodeWriteRequestV1({
    timeseries: Array.from({ length: 3 + k }, (_, i) => ({ labels: [{ name: '__name__', value: `m${k}` }, { name: 'i', value: String(i) }], samples: [{ timestamp: NOW - i, value: k }] })),
  });

describe('Distributor body memory', () => {
  it('decompresses request after request into one memory when the sink keeps no body', async () => {
    const sink = new KeepingSink(true);
    const d = distributor(sink);
    for (let k = 0; k < 5; k++) {
      await d.pushRemoteWrite('t', HEADERS, compressSnappy(raw(k)));
      expect(Buffer.compare(sink.bodies[k], raw(k))).toBe(0);
    }
    expect(new Set(sink.bodies.map((b) => b.buffer)).size).toBe(1);
  });

  it('gives each request memory of its own when the sink may keep the body', async () => {
    const sink = new KeepingSink(false);
    const d = distributor(sink);
    for (let k = 0; k < 5; k++) await d.pushRemoteWrite('t', HEADERS, compressSnappy(raw(k)));
    sink.bodies.forEach((b, k) => expect(Buffer.compare(b, raw(k))).toBe(0));
  });

  it('never lets requests in flight together share memory', async () => {
    const sink = new KeepingSink(true);
    let open!: () => void;
    sink.gate = new Promise<void>((resolve) => (open = resolve));
    const d = distributor(sink);
    const pushes = Array.from({ length: 7 }, (_, k) => d.pushRemoteWrite('t', HEADERS, compressSnappy(raw(k))));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.bodies).toHaveLength(7);
    // All seven writes are pending: each body still holds its own request's bytes.
    sink.bodies.forEach((b, k) => expect(Buffer.compare(b, raw(k))).toBe(0));
    open();
    await Promise.all(pushes);
  });
});
