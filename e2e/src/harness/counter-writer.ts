import { TimeSeriesV1Input } from '@panoptes/proto';
import { PushOutcome, pushRemoteWrite } from './remote-write';

export interface CounterWriterOptions {
  /** Base URL of the distributor (or an all-in-one process). */
  baseUrl: string;
  tenant: string;
  /** Metric name of every series; the series differ in the label `series` ("00", "01", …). */
  metric: string;
  series: number;
  /** Milliseconds to wait after an acknowledged request before the next one. */
  pauseAfterAckMs?: number;
  /** Milliseconds to wait after a failed request before the next one. */
  pauseAfterFailureMs?: number;
  /** Timeout of one request in milliseconds. */
  requestTimeoutMs?: number;
}

/** One request the writer sent. */
export interface SentRequest {
  /** Request number; also the value of every sample it carries. */
  i: number;
  /** Timestamp (ms) of every sample it carries; strictly increasing with i. */
  t: number;
  outcome: PushOutcome;
  /** The distributor answered 2xx: every sample of the request must be stored. */
  acked: boolean;
  /** When the request was sent, ms since the epoch. */
  sentAt: number;
  /** When the answer (or the failure) came, ms since the epoch. */
  answeredAt: number;
}

/**
 * Pushes one remote-write 1.0 request after another, each carrying one sample for each of
 * `series` series, all at timestamp t_i with value i, and records which ones were acknowledged.
 * It keeps trying while the write path is down; those attempts are recorded as not acknowledged.
 * What was acknowledged is the ground truth of the no-loss checks: an acknowledged sample must be
 * stored exactly once, an unacknowledged one may be stored (the answer was lost) or not.
 */
export class CounterWriter {
  readonly sent: SentRequest[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: CounterWriterOptions) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  get acked(): SentRequest[] {
    return this.sent.filter((r) => r.acked);
  }

  /** The label set of series k, as a Prometheus API answer writes it. */
  seriesLabels(k: number): Record<string, string> {
    return { __name__: this.options.metric, series: String(k).padStart(2, '0') };
  }

  private async run(): Promise<void> {
    const o = this.options;
    let lastT = 0;
    while (!this.stopped) {
      const i = this.sent.length;
      const t = Math.max(lastT + 1, Date.now());
      lastT = t;
      const timeseries: TimeSeriesV1Input[] = [];
      for (let k = 0; k < o.series; k++) {
        timeseries.push({
          labels: Object.entries(this.seriesLabels(k)).map(([name, value]) => ({ name, value })),
          samples: [{ value: i, timestamp: t }],
        });
      }
      const sentAt = Date.now();
      const outcome = await pushRemoteWrite(o.baseUrl, o.tenant, { timeseries }, o.requestTimeoutMs ?? 3000);
      const acked = 'status' in outcome && outcome.status >= 200 && outcome.status < 300;
      this.sent.push({ i, t, outcome, acked, sentAt, answeredAt: Date.now() });
      await sleep(acked ? (o.pauseAfterAckMs ?? 5) : (o.pauseAfterFailureMs ?? 25));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
