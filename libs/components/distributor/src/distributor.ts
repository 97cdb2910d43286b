import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { Service } from '@panoptes/services';

/**
 * The distributor: receives writes, validates them, applies tenant limits and shards them to the ingest log or to ingesters (metrics write-path issue).
 *
 * Today it is the component's lifecycle shell only: it takes part in the module graph, the service
 * manager and its ring (wired by the modules library); its data path arrives with the issue above.
 */
export class Distributor extends Service {
  constructor(
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('distributor');
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'distributor' });
  }
}
