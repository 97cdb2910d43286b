import { errorMessage, sleep, UnavailableError } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { Counter, Gauge, Registry } from 'prom-client';
import { defaultIngesterClientConfig, IngesterClient, IngesterClientConfig, IngesterClientMetrics } from './client';
import { type IngesterClientApi, LocalIngesterClient } from './local-client';
import type { IngesterApi } from './server';

export interface IngesterClientPoolConfig {
  /** How often the pool drops clients of addresses that left the ring and health-checks the rest, in milliseconds. */
  cleanupIntervalMs: number;
  /** Whether a client that fails a health check (grpc.health.v1, not SERVING) is closed and dropped. */
  healthCheckEnabled: boolean;
  /** Deadline of one health check, in milliseconds. */
  healthCheckTimeoutMs: number;
  /** Settings of every client the pool makes. */
  client: IngesterClientConfig;
}

export function defaultIngesterClientPoolConfig(): IngesterClientPoolConfig {
  return { cleanupIntervalMs: 15_000, healthCheckEnabled: true, healthCheckTimeoutMs: 1_000, client: defaultIngesterClientConfig() };
}

/**
 * The addresses that should keep their clients, e.g. every instance of the ingester ring:
 * `() => Object.values(ring.snapshot().desc.instances).map((i) => i.addr)`.
 */
export type IngesterAddressSource = () => Iterable<string> | Promise<Iterable<string>>;

/**
 * Clients by ingester address, made on first use, as dskit's client pool. Every
 * `cleanupIntervalMs` while running it closes the clients of addresses the address source no
 * longer lists and those that fail a health check; the next `getClientFor` of such an address makes
 * a fresh client. Stopping (or `close()`) closes them all; a closed pool makes no more clients.
 */
export class IngesterClientPool extends Service {
  private readonly clients = new Map<string, IngesterClientApi>();
  private local: { address: string; api: IngesterApi } | undefined;
  private readonly clientMetrics: IngesterClientMetrics;
  private readonly removed: Counter<'reason'>;
  private closed = false;

  constructor(
    private readonly config: IngesterClientPoolConfig,
    private readonly addressSource: IngesterAddressSource | undefined,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    super('ingester-client-pool');
    this.clientMetrics = new IngesterClientMetrics(registry);
    const clients = this.clients;
    new Gauge({
      name: 'panoptes_ingester_client_pool_clients',
      help: 'Ingester clients currently open in the pool.',
      registers: [registry],
      collect() {
        this.set(clients.size);
      },
    });
    this.removed = new Counter({
      name: 'panoptes_ingester_client_pool_removed_total',
      help: 'Ingester clients closed by the pool, by reason (stale: the address left the ring; unhealthy: failed a health check).',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  /**
   * The ingester of this process, served at `address`: calls to that address go to `api` directly
   * (`LocalIngesterClient`) instead of over gRPC.
   */
  setLocal(address: string, api: IngesterApi): void {
    this.local = { address, api };
    this.removeClientFor(address);
  }

  /** The client of `address`, made now if there is none. */
  getClientFor(address: string): IngesterClientApi {
    let client = this.clients.get(address);
    if (client) return client;
    if (this.closed) {
      throw new UnavailableError('client_pool_closed', `the ingester client pool is closed; no client for ${address} (the process is shutting down)`);
    }
    client =
      this.local?.address === address
        ? new LocalIngesterClient(address, this.local.api, this.clientMetrics)
        : new IngesterClient(address, this.config.client, this.clientMetrics);
    this.clients.set(address, client);
    return client;
  }

  /** Closes and forgets the client of `address`, if any. */
  removeClientFor(address: string): void {
    const client = this.clients.get(address);
    if (!client) return;
    this.clients.delete(address);
    client.close();
  }

  /** Addresses that have a client, sorted. */
  registeredAddresses(): string[] {
    return [...this.clients.keys()].sort();
  }

  get size(): number {
    return this.clients.size;
  }

  /**
   * One cleanup round (what the running service does every `cleanupIntervalMs`): drops clients of
   * addresses the source no longer lists, then health-checks the others and drops those that fail.
   */
  async cleanUp(): Promise<void> {
    await this.removeStaleClients();
    if (this.config.healthCheckEnabled) await this.removeUnhealthyClients();
  }

  /** Closes every client; later `getClientFor` calls throw. */
  close(): void {
    this.closed = true;
    for (const address of [...this.clients.keys()]) this.removeClientFor(address);
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.config.cleanupIntervalMs, signal);
      if (signal.aborted) break;
      try {
        await this.cleanUp();
      } catch (err) {
        this.logger.warn('ingester client pool cleanup failed', { component: 'ingester-client-pool', err: errorMessage(err) });
      }
    }
  }

  protected override async stopping(): Promise<void> {
    this.close();
  }

  private async removeStaleClients(): Promise<void> {
    if (!this.addressSource || this.clients.size === 0) return;
    let wanted: Set<string>;
    try {
      wanted = new Set(await this.addressSource());
    } catch (err) {
      // Without a current list nothing is known to be stale; health checks still run.
      this.logger.warn('ingester client pool could not list ingester addresses', { component: 'ingester-client-pool', err: errorMessage(err) });
      return;
    }
    for (const address of [...this.clients.keys()]) {
      if (wanted.has(address)) continue;
      this.logger.info('closing ingester client of an address that left the ring', { component: 'ingester-client-pool', addr: address });
      this.removeClientFor(address);
      this.removed.inc({ reason: 'stale' });
    }
  }

  private async removeUnhealthyClients(): Promise<void> {
    const checks = [...this.clients].map(async ([address, client]) => {
      if (await client.checkHealth(this.config.healthCheckTimeoutMs)) return;
      // A client made for the address while the check ran is not the one that failed.
      if (this.clients.get(address) !== client) return;
      this.logger.warn('closing ingester client that failed its health check', {
        component: 'ingester-client-pool',
        addr: address,
        timeoutMs: this.config.healthCheckTimeoutMs,
      });
      this.removeClientFor(address);
      this.removed.inc({ reason: 'unhealthy' });
    });
    await Promise.all(checks);
  }
}
