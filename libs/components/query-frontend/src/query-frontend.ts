import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { Service } from '@panoptes/services';

/**
 * The query-frontend: serves the public query API, splits, caches and queues queries fairly per tenant (metrics read-path issue).
 *
 * Today it is the component's lifecycle shell only: it takes part in the module graph, the service
 * manager and its ring (wired by the modules library); its data path arrives with the issue above.
 */
export class QueryFrontend extends Service {
  constructor(
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('query-frontend');
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'query-frontend' });
  }
}
