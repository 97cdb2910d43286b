import { Gauge, Registry } from 'prom-client';
import { INSTANCE_STATES, RingDesc } from './ring-desc';

/** Ring gauges, created once per registry and shared by every ring (label `name`). */
export class RingMetrics {
  readonly members: Gauge<'name' | 'state'>;
  readonly tokens: Gauge<'name'>;

  constructor(registry: Registry) {
    this.members =
      (registry.getSingleMetric('panoptes_ring_members') as Gauge<'name' | 'state'>) ??
      new Gauge({
        name: 'panoptes_ring_members',
        help: 'Instances in the ring by state; "Unhealthy" counts those whose heartbeat is too old.',
        labelNames: ['name', 'state'],
        registers: [registry],
      });
    this.tokens =
      (registry.getSingleMetric('panoptes_ring_tokens_total') as Gauge<'name'>) ??
      new Gauge({
        name: 'panoptes_ring_tokens_total',
        help: 'Tokens held by all instances of the ring.',
        labelNames: ['name'],
        registers: [registry],
      });
  }

  /** Sets the gauges from a ring; heartbeat health is judged at `nowMs`. */
  update(name: string, desc: RingDesc, nowMs: number, heartbeatTimeoutMs: number): void {
    const counts = new Map<string, number>([...INSTANCE_STATES, 'Unhealthy'].map((s) => [s, 0]));
    let tokens = 0;
    for (const inst of Object.values(desc.instances)) {
      counts.set(inst.state, (counts.get(inst.state) ?? 0) + 1);
      if (heartbeatTimeoutMs > 0 && nowMs - inst.heartbeatMs > heartbeatTimeoutMs) {
        counts.set('Unhealthy', (counts.get('Unhealthy') ?? 0) + 1);
      }
      tokens += inst.tokens.length;
    }
    for (const [state, n] of counts) this.members.set({ name, state }, n);
    this.tokens.set({ name }, tokens);
  }
}
