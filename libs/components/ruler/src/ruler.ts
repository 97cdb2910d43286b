import type { Logger } from '@panoptes/log';
import type { Registry } from 'prom-client';
import { Service } from '@panoptes/services';

/**
 * The ruler: evaluates recording and alerting rules per tenant (ruler and alert-router issue).
 *
 * Today it is the component's lifecycle shell only: it takes part in the module graph, the service
 * manager and its ring (wired by the modules library); its data path arrives with the issue above.
 */
export class Ruler extends Service {
  constructor(
    private readonly logger: Logger,
    _registry: Registry,
  ) {
    super('ruler');
  }

  protected override async starting(): Promise<void> {
    this.logger.info('component starting', { component: 'ruler' });
  }
}
