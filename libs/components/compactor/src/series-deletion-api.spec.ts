import { Registry } from 'prom-client';
import { InMemoryBucket } from '@panoptes/bucket';
import { SeriesDeletionStore, defaultSeriesDeletionStoreConfig, readSeriesDeletionGeneration } from '@panoptes/bucket-index';
import { FakeClock, UnavailableError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { MAX_TIME_MS, MIN_TIME_MS } from '@panoptes/prom-api';
import { SeriesDeletionApi } from './series-deletion-api';
import { SeriesDeletions, defaultSeriesDeletionsConfig } from './series-deletions';

const NOW = Date.UTC(2024, 5, 1, 12);
const T = 'team-a';

/** A parameter list: `[['match[]', 'up'], ['start', '1']]`. */
type Params = [string, string][];

describe('SeriesDeletionApi (delete_series)', () => {
  let clock: FakeClock;
  let bucket: InMemoryBucket;
  let store: SeriesDeletionStore;
  let deletions: SeriesDeletions;
  let api: SeriesDeletionApi;

  const call = async (method: string, params: Params = [], tenant = T) => {
    const res = await api.handle({ tenant, method, params: new URLSearchParams(params) });
    const json = res.headers['Content-Type'] === 'application/json' ? (JSON.parse(res.body) as Record<string, unknown>) : undefined;
    return { status: res.status, headers: res.headers, json, body: res.body };
  };
  const list = async (tenant = T) => (await call('GET', [], tenant)).json!.data as Record<string, unknown>[];

  beforeEach(() => {
    clock = new FakeClock(NOW);
    bucket = new InMemoryBucket('memory', clock);
    store = new SeriesDeletionStore(defaultSeriesDeletionStoreConfig(), bucket, clock, nopLogger);
    deletions = new SeriesDeletions(defaultSeriesDeletionsConfig(), store, clock, nopLogger, new Registry());
    api = new SeriesDeletionApi(deletions, clock, nopLogger);
  });

  it.each(['POST', 'PUT'])('takes a request with %s, answers 204 and lists it as pending', async (method) => {
    const res = await call(method, [
      ['match[]', 'up{job="api"}'],
      ['match[]', 'http_requests_total'],
      ['start', String((NOW - 3_600_000) / 1000)],
      ['end', new Date(NOW - 60_000).toISOString()],
    ]);
    expect(res).toMatchObject({ status: 204, body: '' });
    const [r] = await list();
    expect(r).toEqual({
      request_id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      match: ['up{job="api"}', 'http_requests_total'],
      start_time: NOW - 3_600_000,
      end_time: NOW - 60_000,
      created_at: NOW,
      state: 'pending',
    });
  });

  it.each([
    { name: 'start and end absent: from the earliest time to now', params: [] as Params, start: MIN_TIME_MS, end: NOW },
    { name: 'an end after now is taken as now', params: [['end', String((NOW + 3_600_000) / 1000)]] as Params, start: MIN_TIME_MS, end: NOW },
    { name: "Prometheus's widest end is taken as now", params: [['end', String(MAX_TIME_MS / 1000)]] as Params, start: MIN_TIME_MS, end: NOW },
  ])('defaults times like Prometheus, never past now: $name', async ({ params, start, end }) => {
    expect((await call('POST', [['match[]', 'up'], ...params])).status).toBe(204);
    expect(await list()).toMatchObject([{ start_time: start, end_time: end }]);
  });

  it.each([
    { name: 'no match[]', params: [['start', '1']] as Params, error: 'no match[] parameter provided' },
    { name: 'a selector that does not parse', params: [['match[]', 'up{']] as Params, error: 'invalid parameter "match[]": ' },
    { name: 'an expression that is not a selector', params: [['match[]', 'rate(up[5m])']] as Params, error: 'invalid parameter "match[]": ' },
    { name: 'a selector with an offset', params: [['match[]', 'up offset 5m']] as Params, error: 'offset and @ modifiers are not allowed' },
    { name: 'an empty selector', params: [['match[]', '{}']] as Params, error: 'at least one non-empty matcher' },
    { name: 'a selector matching every series', params: [['match[]', '{job=~".*"}']] as Params, error: 'at least one non-empty matcher' },
    { name: 'one bad selector among good ones', params: [['match[]', 'up'], ['match[]', '{']] as Params, error: 'invalid parameter "match[]"' },
    { name: 'a start that is not a time', params: [['match[]', 'up'], ['start', 'yesterday']] as Params, error: 'invalid parameter "start": cannot parse "yesterday" to a valid timestamp' },
    { name: 'an end that is not a time', params: [['match[]', 'up'], ['end', '1h']] as Params, error: 'invalid parameter "end": cannot parse "1h" to a valid timestamp' },
    { name: 'an end before the start', params: [['match[]', 'up'], ['start', '200'], ['end', '100']] as Params, error: 'end timestamp must not be before start time' },
    { name: 'a start in the future', params: [['match[]', 'up'], ['start', String(NOW / 1000 + 60)]] as Params, error: 'invalid parameter "start": start timestamp is in the future' },
  ])('refuses $name with 400 bad_data and stores nothing', async ({ params, error }) => {
    const res = await call('POST', params);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ status: 'error', errorType: 'bad_data' });
    expect(res.json!.error).toContain(error);
    expect(await list()).toEqual([]);
  });

  it('cancels a pending request with DELETE ?request_id=', async () => {
    await call('POST', [['match[]', 'up']]);
    const [r] = await list();
    expect(await call('DELETE', [['request_id', r.request_id as string]])).toMatchObject({ status: 204, body: '' });
    expect(await list()).toEqual([]);
  });

  it("moves the tenant's deletion generation (results caches key on it) when a request is made or cancelled, not when one is processed", async () => {
    expect(await readSeriesDeletionGeneration(bucket, T)).toBe(0);
    await call('POST', [['match[]', 'up']]);
    expect(await readSeriesDeletionGeneration(bucket, T)).toBe(NOW);
    const [r] = await list();
    await clock.advance(1_000);
    await call('DELETE', [['request_id', r.request_id as string]]);
    expect(await readSeriesDeletionGeneration(bucket, T)).toBe(NOW + 1_000);

    await call('POST', [['match[]', 'up']]);
    const [made] = await store.list(T);
    await clock.advance(1_000);
    await store.write({ ...made, state: 'processed', processedAt: clock.now() });
    expect(await readSeriesDeletionGeneration(bucket, T)).toBe(NOW + 1_000);
    expect(await readSeriesDeletionGeneration(bucket, 'team-b')).toBe(0);
  });

  it('makes no request when the generation cannot be written', async () => {
    const put = bucket.put.bind(bucket);
    bucket.put = async (key, data) => {
      if (key.endsWith('series-deletion-generation.json')) throw new UnavailableError('s3_unavailable', 'object storage unavailable');
      return put(key, data);
    };
    expect((await call('POST', [['match[]', 'up']])).status).toBe(503);
    expect(await list()).toEqual([]);
  });

  it.each([
    { name: 'without request_id', params: [] as Params, status: 400, errorType: 'bad_data', error: 'no request_id parameter provided' },
    { name: 'with an ID that is not a ULID', params: [['request_id', 'abc']] as Params, status: 400, errorType: 'bad_data', error: 'is not a series deletion request ID' },
    { name: 'of an unknown request', params: [['request_id', '01J00000000000000000000000']] as Params, status: 404, errorType: 'not_found', error: 'not found' },
  ])('refuses a cancel $name', async ({ params, status, errorType, error }) => {
    const res = await call('DELETE', params);
    expect(res.status).toBe(status);
    expect(res.json).toMatchObject({ status: 'error', errorType });
    expect(res.json!.error).toContain(error);
  });

  it('refuses to cancel a processed request: its samples are gone', async () => {
    const made = await store.create(T, ['up'], 0, NOW);
    await store.write({ ...made, state: 'processed', processedAt: NOW });
    const res = await call('DELETE', [['request_id', made.id]]);
    expect(res.status).toBe(400);
    expect(res.json!.error).toContain('already processed');
    expect(await list()).toMatchObject([{ request_id: made.id, state: 'processed', processed_at: NOW }]);
  });

  it("keeps tenants apart: one tenant neither lists nor cancels another's requests", async () => {
    await call('POST', [['match[]', 'up']], 'team-b');
    const [r] = await list('team-b');
    expect(await list()).toEqual([]);
    expect((await call('DELETE', [['request_id', r.request_id as string]])).status).toBe(404);
    expect(await list('team-b')).toHaveLength(1);
  });

  it('answers other methods with 405 and the allowed ones', async () => {
    const res = await call('PATCH');
    expect(res.status).toBe(405);
    expect(res.headers.Allow).toBe('GET, POST, PUT, DELETE');
  });

  it('answers a store failure with 503 unavailable', async () => {
    bucket.put = async () => {
      throw new UnavailableError('s3_unavailable', 'object storage unavailable');
    };
    const res = await call('POST', [['match[]', 'up']]);
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ status: 'error', errorType: 'unavailable' });
  });
});
