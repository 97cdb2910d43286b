import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { Service } from '@panoptes/services';

/**
 * The querier: evaluates queries over ingesters and blocks in object storage (metrics read-path issue).
 *
 * Today it is the component's lifecycle shell only: it takes part in the module graph, the service
 * manager and its ring (wired by the modules library); its data path arrives with the issue above.
 */
export class Querier extends Service {
  constructor(
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('querier');
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'querier' });
  }
}
