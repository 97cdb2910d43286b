import type { DistributorLimits } from '../distributor';

/** Limits no test request reaches (Prometheus' label limits, rate and burst of a billion samples). */
export function generousLimits(): DistributorLimits {
  return {
    maxLabelNamesPerSeries: 30,
    maxLabelNameLength: 1024,
    maxLabelValueLength: 2048,
    creationGracePeriodMs: 600_000,
    pastGracePeriodMs: 0,
    maxExemplarLabelsLength: 128,
    ingestionRate: 1e9,
    ingestionBurstSize: 1e9,
    acceptHaSamples: false,
    haMaxClusters: 0,
  };
}
