export interface HeadConfig {
  /** Length of a block in ms (Prometheus' chunk range, 2h); chunks never cross a multiple of it. */
  blockRangeMs: number;
  /**
   * Out-of-order window (ms): a sample older than its series' newest one is still accepted when it
   * is not older than the head's newest sample minus this (Prometheus 3's
   * `out_of_order_time_window`). 0 rejects every out-of-order sample (Prometheus' default).
   */
  outOfOrderTimeWindowMs: number;
  /** Out-of-order samples a series buffers before encoding them into chunks (Prometheus: 32). */
  outOfOrderCapMax: number;
  /** Samples per head chunk before a new one is cut (Prometheus: 120). At most 65535. */
  chunkMaxSamples: number;
  /** Rejected samples whose full error (with series labels) an append batch keeps for the reply. */
  maxAppendErrors: number;
}

export function defaultHeadConfig(): HeadConfig {
  return {
    blockRangeMs: 2 * 60 * 60 * 1000,
    outOfOrderTimeWindowMs: 0,
    outOfOrderCapMax: 32,
    chunkMaxSamples: 120,
    maxAppendErrors: 10,
  };
}
