import { UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import type { GrpcServer } from '@panoptes/server';
import { eventually } from '@panoptes/testing';
import { Registry } from 'prom-client';
import { defaultIngesterClientPoolConfig, IngesterClientPool, IngesterClientPoolConfig } from './pool';
import { FakeIngesterApi, startIngesterServer } from './testing/fake-ingester-api';

describe('IngesterClientPool', () => {
  let servers: GrpcServer[] = [];
  let pools: IngesterClientPool[] = [];

  async function ingester(): Promise<{ server: GrpcServer; address: string }> {
    const started = await startIngesterServer(new FakeIngesterApi());
    servers.push(started.server);
    return started;
  }

  function pool(addresses?: () => Iterable<string>, overrides: Partial<IngesterClientPoolConfig> = {}, registry = new Registry()): IngesterClientPool {
    const p = new IngesterClientPool({ ...defaultIngesterClientPoolConfig(), healthCheckTimeoutMs: 500, ...overrides }, addresses, nopLogger, registry);
    pools.push(p);
    return p;
  }

  afterEach(async () => {
    for (const p of pools) await p.stop();
    for (const s of servers) await s.stop();
    pools = [];
    servers = [];
  });

  it('makes a client on first use and hands the same one out afterwards', async () => {
    const { address } = await ingester();
    const p = pool();
    const client = p.getClientFor(address);
    expect(p.getClientFor(address)).toBe(client);
    expect(p.registeredAddresses()).toEqual([address]);
    await expect(client.userStats('t1')).resolves.toMatchObject({ numSeries: 0 });
  });

  it('keeps healthy clients and drops the client of an ingester that went away', async () => {
    const a = await ingester();
    const b = await ingester();
    const registry = new Registry();
    const p = pool(undefined, {}, registry);
    const clientA = p.getClientFor(a.address);
    const clientB = p.getClientFor(b.address);
    await expect(clientB.userStats('t1')).resolves.toBeDefined();

    await b.server.stop();
    await p.cleanUp();

    expect(p.registeredAddresses()).toEqual([a.address]);
    expect(p.getClientFor(a.address)).toBe(clientA);
    // The dropped client is closed; asking again makes a fresh one.
    await expect(clientB.userStats('t1')).rejects.toMatchObject({ kind: 'unavailable', reason: 'client_closed' });
    expect(p.getClientFor(b.address)).not.toBe(clientB);
    expect(await registry.getSingleMetricAsString('panoptes_ingester_client_pool_removed_total')).toContain('reason="unhealthy"} 1');
  });

  it('drops clients of addresses that left the ring', async () => {
    const a = await ingester();
    const b = await ingester();
    let ring = [a.address, b.address];
    const p = pool(() => ring, { healthCheckEnabled: false });
    p.getClientFor(a.address);
    p.getClientFor(b.address);

    ring = [a.address];
    await p.cleanUp();

    expect(p.registeredAddresses()).toEqual([a.address]);
  });

  it('keeps every client when the address source fails', async () => {
    const a = await ingester();
    const p = pool(
      () => {
        throw new Error('ring KV unreachable');
      },
      { healthCheckEnabled: false },
    );
    p.getClientFor(a.address);
    await p.cleanUp();
    expect(p.size).toBe(1);
  });

  it('cleans up on its own interval while running and closes every client when stopped', async () => {
    const a = await ingester();
    const b = await ingester();
    const p = pool(undefined, { cleanupIntervalMs: 20 });
    await p.start();
    p.getClientFor(a.address);
    p.getClientFor(b.address);

    await b.server.stop();
    await eventually(() => p.size === 1, 3000);
    expect(p.registeredAddresses()).toEqual([a.address]);

    await p.stop();
    expect(p.size).toBe(0);
    expect(() => p.getClientFor(a.address)).toThrow(UnavailableError);
  });

  it('close() closes all clients', async () => {
    const a = await ingester();
    const p = pool();
    const client = p.getClientFor(a.address);
    p.close();
    expect(p.size).toBe(0);
    await expect(client.userStats('t1')).rejects.toMatchObject({ kind: 'unavailable', reason: 'client_closed' });
  });

  it('exports the number of open clients', async () => {
    const a = await ingester();
    const registry = new Registry();
    const p = pool(undefined, {}, registry);
    p.getClientFor(a.address);
    expect(await registry.getSingleMetricAsString('panoptes_ingester_client_pool_clients')).toContain('panoptes_ingester_client_pool_clients 1');
  });
});
