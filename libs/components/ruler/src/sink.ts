import { UnavailableError, ValidationError } from '@panoptes/common';
import { compressSnappy, encodeWriteRequestV1, type TimeSeriesV1Input } from '@panoptes/proto';
import type { RuleSample, SampleSink } from './contracts';
import { labelsKey } from './labels';

/** Prometheus's staleness marker, the NaN with bit pattern `0x7ff0000000000002`. */
export const STALE_NAN: number = (() => {
  const v = new DataView(new ArrayBuffer(8));
  v.setUint32(0, 0x7ff00000);
  v.setUint32(4, 0x00000002);
  return v.getFloat64(0);
})();

/**
 * Rule output as an uncompressed remote write 1.0 `WriteRequest`: one time series per label set
 * (samples in time order), staleness markers as the StaleNaN bit pattern.
 */
export function encodeRuleSamples(samples: readonly RuleSample[]): Buffer {
  const bySeries = new Map<string, TimeSeriesV1Input & { samples: { timestamp: number; value: number }[] }>();
  for (const s of samples) {
    const key = labelsKey(s.labels);
    let ts = bySeries.get(key);
    if (!ts) {
      ts = { labels: s.labels.map(([name, value]) => ({ name, value })), samples: [] };
      bySeries.set(key, ts);
    }
    ts.samples.push({ timestamp: s.t, value: s.stale ? STALE_NAN : s.v });
  }
  for (const ts of bySeries.values()) ts.samples.sort((a, b) => a.timestamp - b.timestamp);
  return encodeWriteRequestV1({ timeseries: [...bySeries.values()] });
}

/**
 * Delivers one tenant's uncompressed remote write 1.0 body; resolves once every sample was
 * accepted, rejects otherwise (the rules that produced it are then marked unhealthy).
 */
export type WriteRequestSender = (tenant: string, body: Buffer, signal?: AbortSignal) => Promise<void>;

/**
 * The ruler's SampleSink over the distributor's write path: recorded series, ALERTS and
 * ALERTS_FOR_STATE go in as a remote write 1.0 request, to the distributor of the same process
 * or to remote distributors over HTTP (`httpRemoteWriteSender`).
 */
export class RemoteWriteSampleSink implements SampleSink {
  constructor(private readonly send: WriteRequestSender) {}

  async push(tenant: string, samples: readonly RuleSample[], signal?: AbortSignal): Promise<void> {
    if (samples.length === 0) return;
    await this.send(tenant, encodeRuleSamples(samples), signal);
  }
}

export interface HttpRemoteWriteConfig {
  /** Base URL of the distributors; requests go to `<url>/api/v1/push`. */
  url: string;
  /** Timeout of one request, ms. */
  timeoutMs: number;
}

/**
 * Remote write 1.0 over HTTP (snappy, `X-Scope-OrgID`), one attempt per evaluation: a failed
 * write fails the rule's evaluation, as a failed commit does in Prometheus, and the next
 * evaluation writes again. 4xx is the distributor refusing the samples (ValidationError), anything
 * else is an UnavailableError.
 */
export function httpRemoteWriteSender(config: HttpRemoteWriteConfig, fetchFn: typeof fetch = fetch): WriteRequestSender {
  const url = `${config.url.replace(/\/+$/, '')}/api/v1/push`;
  return async (tenant, body, signal) => {
    const timeout = AbortSignal.timeout(config.timeoutMs);
    let res: Response;
    try {
      res = await fetchFn(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'User-Agent': 'Panoptes-ruler',
          'X-Scope-OrgID': tenant,
        },
        body: compressSnappy(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      throw new UnavailableError('remote_write_failed', `remote write of rule results to ${url} failed: ${(err as Error).message}; check -ruler.distributor-url`, { tenant, cause: err });
    }
    const text = (await res.text()).trim();
    if (res.status >= 200 && res.status < 300) return;
    const message = `remote write of rule results to ${url} answered ${res.status}: ${text}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new ValidationError('remote_write_refused', message, { tenant });
    throw new UnavailableError('remote_write_failed', message, { tenant });
  };
}
