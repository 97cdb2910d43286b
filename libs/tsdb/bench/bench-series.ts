/**
 * The series the tsdb benches share: 10 labels shaped like a Kubernetes target's (a few
 * high-cardinality values such as pod and instance, most low), deterministic from the index.
 */
import { seriesHash53OfLabels } from '@panoptes/proto';
import { Head } from '../src';

/** First sample time of every bench, ms (a multiple of 2h). */
export const T0 = 1_700_006_400_000;
export const NAMES = ['__name__', 'cluster', 'container', 'env', 'instance', 'job', 'namespace', 'pod', 'region', 'team'];

export function labelValues(i: number): string[] {
  return [
    `metric_name_${i % 100}_total`,
    `cluster-${i % 10}`,
    `container-${i % 20}`,
    ['prod', 'staging', 'dev'][i % 3],
    `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${Math.floor(i / 10) & 255}:9100`,
    `job-${i % 20}`,
    `namespace-${i % 50}`,
    `pod-${i.toString(36)}-x7k2p`,
    `region-${i % 5}`,
    `team-${i % 8}`,
  ];
}

/** Creates series 0..count-1 in the head; their refs by index. */
export function createSeries(head: Head, count: number): Uint32Array {
  const refs = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const values = labelValues(i);
    refs[i] = head.getOrCreateSeries(seriesHash53OfLabels(NAMES, values), NAMES, values);
  }
  return refs;
}

/** A full collection (twice, so finalizers run); needs `node --expose-gc`. */
export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run node with --expose-gc');
  collect();
  collect();
}
