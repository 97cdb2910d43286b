import { Registry } from 'prom-client';
import { SystemClock, UnavailableError, ValidationError } from '@panoptes/common';
import type { ConsumedRecord, IngestConsumer, StartPosition } from '@panoptes/ingest';
import { nopLogger } from '@panoptes/log';
import { defaultHeadConfig } from '@panoptes/tsdb';
import { Ingester, defaultIngesterConfig } from './ingester';

/** A partition that fails its first `failures` start calls with `error`. */
class FlakyConsumer implements IngestConsumer {
  readonly partition = 0;
  readonly consumerGroup = 'g';
  starts = 0;
  constructor(
    private failures: number,
    private readonly error: Error,
  ) {}
  async start(_from: StartPosition): Promise<void> {
    this.starts++;
    if (this.failures-- > 0) throw this.error;
  }
  position(): number {
    return 0;
  }
  async poll(_n: number, maxWaitMs: number, signal?: AbortSignal): Promise<ConsumedRecord[]> {
    await new Promise<void>((r) => {
      const t = setTimeout(r, maxWaitMs);
      signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
    });
    return [];
  }
  commits: number[] = [];
  async commit(next: number): Promise<void> {
    this.commits.push(next);
  }
  async committedOffset(): Promise<number | undefined> {
    return undefined;
  }
  async highWatermark(): Promise<number> {
    return 0;
  }
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

const make = (consumer: IngestConsumer) =>
  new Ingester(
    { ...defaultIngesterConfig(defaultHeadConfig()), consumeMaxWaitMs: 10 },
    consumer,
    undefined,
    () => ({ maxSeries: 0, maxSeriesPerMetric: 0 }),
    {},
    undefined,
    new SystemClock(),
    nopLogger,
    new Registry(),
  );

describe('Ingester start-up against an ingest log that is not ready yet', () => {
  it('retries while the log answers unavailable (e.g. a new partition without a leader yet), then runs', async () => {
    const consumer = new FlakyConsumer(2, new UnavailableError('ingest_log_unavailable', 'not the leader for that topic-partition'));
    const ingester = make(consumer);
    await ingester.start();
    expect(consumer.starts).toBe(3);
    expect(ingester.state).toBe('Running');
    await ingester.stop();
  });

  it('fails at once on an error that waiting cannot fix', async () => {
    const consumer = new FlakyConsumer(1, new ValidationError('invalid_offset', 'bad start offset'));
    await expect(make(consumer).start()).rejects.toThrow(/bad start offset/);
    expect(consumer.starts).toBe(1);
  });
});
