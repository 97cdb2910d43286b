export interface HeadConfig {
  /** Length of a block in ms (Prometheus' chunk range, 2h); chunks never cross a multiple of it. */
  blockRangeMs: number;
  /**
   * How far behind a series' newest sample (ms) an older sample is still accepted. 0 rejects every
   * out-of-order sample (Prometheus' default). Out-of-order ingestion is not implemented yet: the
   * head refuses a value above 0 rather than silently ignoring it.
   */
  outOfOrderTimeWindowMs: number;
  /** Samples per head chunk before a new one is cut (Prometheus: 120). At most 65535. */
  chunkMaxSamples: number;
  /** Rejected samples whose full error (with series labels) an append batch keeps for the reply. */
  maxAppendErrors: number;
}

export function defaultHeadConfig(): HeadConfig {
  return {
    blockRangeMs: 2 * 60 * 60 * 1000,
    outOfOrderTimeWindowMs: 0,
    chunkMaxSamples: 120,
    maxAppendErrors: 10,
  };
}
