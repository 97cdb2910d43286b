import { Registry } from 'prom-client';
import { FakeClock, httpStatusOf } from '@panoptes/common';
import { IngestionRateLimiter, RateLimit } from './rate-limiter';

function limiter(limits: Record<string, RateLimit>, strategy: 'local' | 'global' = 'local', distributors = 1) {
  const clock = new FakeClock(0);
  const registry = new Registry();
  const l = new IngestionRateLimiter((t) => limits[t] ?? limits.default, clock, registry, strategy, () => distributors);
  const status = (tenant: string, n: number) => {
    try {
      l.take(tenant, n);
      return 200;
    } catch (err) {
      return httpStatusOf(err);
    }
  };
  return { l, clock, registry, status };
}

describe('IngestionRateLimiter', () => {
  it('admits the burst at once, then the rate', async () => {
    const { clock, status } = limiter({ default: { rate: 100, burst: 500 } });
    expect(status('t1', 500)).toBe(200);
    expect(status('t1', 1)).toBe(429);
    await clock.advance(1000);
    expect(status('t1', 100)).toBe(200);
    expect(status('t1', 1)).toBe(429);
    await clock.advance(10_000);
    expect(status('t1', 500)).toBe(200); // refilled, capped at the burst
    expect(status('t1', 1)).toBe(429);
  });

  it('rejects a request larger than the burst whole, taking nothing', () => {
    const { status } = limiter({ default: { rate: 100, burst: 500 } });
    expect(status('t1', 501)).toBe(429);
    expect(status('t1', 500)).toBe(200);
  });

  it('keeps tenants apart and applies per-tenant overrides', () => {
    const { status } = limiter({ default: { rate: 10, burst: 10 }, big: { rate: 1000, burst: 1000 } });
    expect(status('small', 10)).toBe(200);
    expect(status('small', 1)).toBe(429);
    expect(status('big', 1000)).toBe(200);
  });

  it('says which limit was exceeded, for which tenant, and what to change', () => {
    const { l } = limiter({ default: { rate: 10, burst: 20 } });
    expect(() => l.take('t1', 21)).toThrow(
      'ingestion rate limit of 10 samples/s with a burst of 20 exceeded for tenant "t1" in each distributor while adding 21 samples; raise -distributor.ingestion-rate-limit',
    );
  });

  it('global strategy gives each of N distributors a 1/N share', () => {
    const { status, l } = limiter({ default: { rate: 300, burst: 300 } }, 'global', 3);
    expect(status('t1', 100)).toBe(200);
    expect(status('t1', 1)).toBe(429);
    expect(() => l.take('t1', 1)).toThrow("across all distributors (this one's share: 100/s, burst 100)");
  });

  it('a changed limit takes effect on the next request', () => {
    const limits: Record<string, RateLimit> = { default: { rate: 10, burst: 10 } };
    const { status } = limiter(limits);
    expect(status('t1', 10)).toBe(200);
    expect(status('t1', 5)).toBe(429);
    limits.default = { rate: 100, burst: 100 };
    expect(status('t1', 50)).toBe(200);
  });

  it('counts rejected requests per tenant', async () => {
    const { status, registry } = limiter({ default: { rate: 1, burst: 1 } });
    status('t1', 5);
    status('t1', 5);
    expect(await registry.getSingleMetricAsString('panoptes_distributor_rate_limited_requests_total')).toContain('tenant="t1"} 2');
  });

  it('rate and burst of 0 admit nothing (a way to block a tenant), as a token bucket does', () => {
    const { status } = limiter({ default: { rate: 0, burst: 0 } });
    expect(status('t1', 1)).toBe(429);
  });
});
