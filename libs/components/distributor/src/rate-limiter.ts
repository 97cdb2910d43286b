import { Counter, type Registry } from 'prom-client';
import { Clock, LimitError } from '@panoptes/common';

/** A tenant's rate and burst, read on every call so runtime overrides apply at once. */
export interface RateLimit {
  /** Items per second. */
  rate: number;
  /** Largest number of items admitted at once; a request above it can never pass. */
  burst: number;
}

/**
 * Per-tenant ingestion rate limits as token buckets (Mimir's ingestion rate limiter).
 *
 * Strategy `local` applies the tenant's limit in each distributor; `global` applies it to the
 * whole cluster by giving each distributor an equal share (rate and burst divided by the number of
 * healthy distributors, which the caller supplies from the distributor ring).
 *
 * A bucket starts full and refills continuously; a request of n items passes when n tokens are
 * available and takes them, otherwise it is rejected whole and takes nothing.
 */
export class IngestionRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number; rate: number; burst: number }>();
  private readonly rejected: Counter<'tenant'>;

  constructor(
    private readonly limitOf: (tenant: string) => RateLimit,
    private readonly clock: Clock,
    registry: Registry,
    private readonly strategy: 'local' | 'global' = 'local',
    private readonly healthyDistributors: () => number = () => 1,
  ) {
    this.rejected = new Counter({
      name: 'panoptes_distributor_rate_limited_requests_total',
      help: 'Write requests rejected by the per-tenant ingestion rate limit.',
      labelNames: ['tenant'],
      registers: [registry],
    });
  }

  /** Takes `n` tokens for the tenant or throws a typed 429 naming the limit. */
  take(tenant: string, n: number): void {
    const limit = this.effective(tenant);
    const now = this.clock.now();
    let b = this.buckets.get(tenant);
    if (!b || b.rate !== limit.rate || b.burst !== limit.burst) {
      // New tenant or a changed limit: start full at the new size (as a restart would).
      b = { tokens: limit.burst, updatedMs: now, rate: limit.rate, burst: limit.burst };
      this.buckets.set(tenant, b);
    }
    b.tokens = Math.min(b.burst, b.tokens + ((now - b.updatedMs) / 1000) * b.rate);
    b.updatedMs = now;
    if (n <= b.tokens) {
      b.tokens -= n;
      return;
    }
    this.rejected.inc({ tenant });
    const configured = this.limitOf(tenant);
    const scope =
      this.strategy === 'global'
        ? `across all distributors (this one's share: ${round(limit.rate)}/s, burst ${round(limit.burst)})`
        : 'in each distributor';
    throw new LimitError(
      'rate_limited',
      `ingestion rate limit of ${configured.rate} samples/s with a burst of ${configured.burst} exceeded for tenant "${tenant}" ${scope} while adding ${n} samples; ` +
        'raise -distributor.ingestion-rate-limit or -distributor.ingestion-burst-size for this tenant, or send less',
      { tenant },
    );
  }

  private effective(tenant: string): RateLimit {
    const l = this.limitOf(tenant);
    if (this.strategy === 'local') return l;
    const n = Math.max(1, this.healthyDistributors());
    return { rate: l.rate / n, burst: l.burst / n };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
