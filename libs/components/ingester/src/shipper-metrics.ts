import { Counter, Gauge, Registry } from 'prom-client';

/** The block shipper's metrics, labelled by tenant (remove a tenant's series with `forget`). */
export class ShipperMetrics {
  readonly uploads: Counter<'tenant'>;
  readonly uploadFailures: Counter<'tenant'>;
  readonly pendingBlocks: Gauge<'tenant'>;

  constructor(registry: Registry) {
    this.uploads = new Counter({
      name: 'panoptes_ingester_shipper_uploads_total',
      help: 'Blocks uploaded to object storage by the ingester (meta.json written last).',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.uploadFailures = new Counter({
      name: 'panoptes_ingester_shipper_upload_failures_total',
      help: 'Block uploads that failed; the block is retried whole on the next ship.',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.pendingBlocks = new Gauge({
      name: 'panoptes_ingester_shipper_pending_blocks',
      help: 'Complete local blocks not uploaded yet, as of the end of the last ship.',
      labelNames: ['tenant'],
      registers: [registry],
    });
  }

  forget(tenant: string): void {
    this.uploads.remove({ tenant });
    this.uploadFailures.remove({ tenant });
    this.pendingBlocks.remove({ tenant });
  }
}
