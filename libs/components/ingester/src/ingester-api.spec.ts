import { Registry } from 'prom-client';
import { FakeClock } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { encodeWriteRequestV1 } from '@panoptes/proto';
import { defaultHeadConfig } from '@panoptes/tsdb';
import { Ingester, defaultIngesterConfig } from './ingester';
import { IngesterGrpcApi } from './ingester-api';

const ALL = { limit: -1, limitPerMetric: 0, metric: '' };

describe('IngesterGrpcApi metricsMetadata', () => {
  const clock = new FakeClock(1_700_000_000_000);
  let ingester: Ingester;
  let api: IngesterGrpcApi;

  beforeAll(async () => {
    ingester = new Ingester(defaultIngesterConfig(defaultHeadConfig()), undefined, undefined, () => ({ maxSeries: 0, maxSeriesPerMetric: 0 }), {}, undefined, clock, nopLogger, new Registry());
    api = new IngesterGrpcApi(ingester, clock);
    await ingester.start();
  });

  afterAll(async () => {
    await ingester.stop();
  });

  it('answers the metadata remote write brought for the tenant, and none for another tenant', async () => {
    const body = encodeWriteRequestV1({
      timeseries: [],
      metadata: [
        { type: 2, metricFamilyName: 'node_load1', help: '1m load average.', unit: '' },
        { type: 1, metricFamilyName: 'node_cpu_seconds_total', help: 'Seconds the CPUs spent in each mode.', unit: '' },
      ],
    });
    await api.push('t1', body);
    expect(await api.metricsMetadata('t1', ALL)).toEqual([
      { metricFamilyName: 'node_cpu_seconds_total', type: 1, help: 'Seconds the CPUs spent in each mode.', unit: '' },
      { metricFamilyName: 'node_load1', type: 2, help: '1m load average.', unit: '' },
    ]);
    expect(await api.metricsMetadata('t1', { ...ALL, metric: 'node_load1' })).toEqual([{ metricFamilyName: 'node_load1', type: 2, help: '1m load average.', unit: '' }]);
    expect(await api.metricsMetadata('t2', ALL)).toEqual([]);
  });

  it('refuses reads while the ingester is not running', async () => {
    const stopped = new Ingester(defaultIngesterConfig(defaultHeadConfig()), undefined, undefined, () => ({ maxSeries: 0, maxSeriesPerMetric: 0 }), {}, undefined, clock, nopLogger, new Registry());
    await expect(new IngesterGrpcApi(stopped, clock).metricsMetadata('t1', ALL)).rejects.toMatchObject({ kind: 'unavailable', reason: 'ingester_not_running' });
  });
});
