import { Registry } from 'prom-client';

/**
 * The value of one series (summed over the series that match `labels`), 0 when absent. For a
 * histogram, ask for `<name>_count` or `<name>_sum`.
 */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const family = name.replace(/_(count|sum|bucket)$/, '');
  const direct = registry.getSingleMetric(name);
  const metric = direct ?? registry.getSingleMetric(family);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => (('metricName' in v && v.metricName) || (direct ? name : family)) === name)
    .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}
