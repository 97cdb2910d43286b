import { Gauge, type Registry } from 'prom-client';
import { Bucket } from '@panoptes/bucket';
import { listTenants } from '@panoptes/bucket-index';
import { errorMessage } from '@panoptes/common';
import type { Logger } from '@panoptes/log';
import { Service } from '@panoptes/services';
import { BlocksCleaner } from './blocks-cleaner';

export interface CompactorConfig {
  /** How often every owned tenant is processed, ms. */
  compactionIntervalMs: number;
}

export function defaultCompactorConfig(): CompactorConfig {
  return { compactionIntervalMs: 3_600_000 };
}

/** Whether this compactor owns a tenant (the compactor ring; always true for a single instance). */
export type TenantOwnership = (tenant: string) => boolean;

/**
 * The compactor. Each cycle, for every tenant it owns on the compactor ring: the blocks cleaner
 * updates the bucket index, applies retention, deletes blocks whose deletion delay passed and old
 * partial uploads, and carries out tenant deletions. Compaction jobs (merging and deduplicating
 * blocks) plug into the same cycle; they are not built yet.
 */
export class Compactor extends Service {
  private lastTenants: string[] = [];
  private cycle: Promise<void> | undefined;

  constructor(
    private readonly config: CompactorConfig,
    private readonly bucket: Bucket,
    readonly cleaner: BlocksCleaner,
    private readonly owns: TenantOwnership,
    private readonly logger: Logger,
    registry: Registry,
    /** Whether this instance has joined its ring (the first cycle waits for it). */
    private readonly joined: () => boolean = () => true,
  ) {
    super('compactor');
    const ownedCount = () => this.lastTenants.length;
    new Gauge({
      name: 'panoptes_compactor_tenants',
      help: 'Tenants this compactor owned in its last cycle.',
      registers: [registry],
      collect() {
        this.set(ownedCount());
      },
    });
  }

  /** Tenants owned in the last cycle (`/compactor/tenants`). */
  tenants(): string[] {
    return [...this.lastTenants];
  }

  /** Runs one cycle now (or joins the running one). */
  runCycle(): Promise<void> {
    this.cycle ??= this.doCycle().finally(() => {
      this.cycle = undefined;
    });
    return this.cycle;
  }

  protected override async running(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !this.joined()) await sleep(200, signal);
    while (!signal.aborted) {
      await this.runCycle().catch((err: unknown) => this.logger.error('compactor cycle failed', { component: 'compactor', err: errorMessage(err) }));
      await sleep(this.config.compactionIntervalMs, signal);
    }
  }

  private async doCycle(): Promise<void> {
    const owned = (await listTenants(this.bucket)).filter((t) => this.owns(t));
    this.lastTenants = owned;
    for (const tenant of owned) {
      try {
        await this.cleaner.clean(tenant);
      } catch {
        // logged and counted by the cleaner; the next cycle retries
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
