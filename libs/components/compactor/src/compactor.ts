import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { Service } from '@panoptes/services';

/**
 * The compactor: merges and dedupes blocks per tenant, applies retention, maintains the bucket index (compactor issue).
 *
 * Today it is the component's lifecycle shell only: it takes part in the module graph, the service
 * manager and its ring (wired by the modules library); its data path arrives with the issue above.
 */
export class Compactor extends Service {
  constructor(
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('compactor');
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'compactor' });
  }
}
