import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { Service } from '@panoptes/services';

/**
 * The ingester: keeps recent data in memory with a WAL, cuts blocks and uploads them, answers queries for recent data (metrics write-path issue).
 *
 * Today it is the component's lifecycle shell only: it takes part in the module graph, the service
 * manager and its ring (wired by the modules library); its data path arrives with the issue above.
 */
export class Ingester extends Service {
  constructor(
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('ingester');
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'ingester' });
  }
}
