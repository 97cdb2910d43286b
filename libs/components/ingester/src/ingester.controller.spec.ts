import { IngesterController, IngesterPartition } from './ingester.controller';
import type { Ingester } from './ingester';

describe('IngesterController partition downscale', () => {
  const ingester = { prepareShutdown: false } as Ingester;

  it('refuses with a validation error (400) in classic mode, where the ingester owns no partition', async () => {
    const controller = new IngesterController(ingester);
    await expect(controller.preparePartitionDownscale()).rejects.toMatchObject({ kind: 'bad_request', reason: 'not_ingest_storage' });
    await expect(controller.getPartitionDownscale()).rejects.toMatchObject({ reason: 'not_ingest_storage' });
  });

  it('answers the INACTIVE time in unix seconds, as Mimir does', async () => {
    let inactiveSince = 0;
    const partition: IngesterPartition = {
      prepareDownscale: async (prepare) => (inactiveSince = prepare ? 1_763_700_000_500 : 0),
      downscaleState: async () => inactiveSince,
    };
    const controller = new IngesterController(ingester, partition);
    expect(await controller.getPartitionDownscale()).toEqual({ timestamp: 0 });
    expect(await controller.preparePartitionDownscale()).toEqual({ timestamp: 1_763_700_000 });
    expect(await controller.getPartitionDownscale()).toEqual({ timestamp: 1_763_700_000 });
    expect(await controller.cancelPartitionDownscale()).toEqual({ timestamp: 0 });
  });
});
