import { InMemoryBucket } from '@panoptes/bucket';
import { FakeClock, NotFoundError, UnavailableError, ValidationError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { SeriesDeletionRequestCorruptError } from './errors';
import { listGlobalMarkers, markForDeletion } from './markers';
import {
  SeriesDeletionRequest,
  SeriesDeletionStore,
  SeriesDeletionStoreConfig,
  decodeSeriesDeletionRequest,
  defaultSeriesDeletionStoreConfig,
  encodeSeriesDeletionRequest,
  listSeriesDeletionRequests,
  newSeriesDeletionRequest,
  readSeriesDeletionGeneration,
  readSeriesDeletionRequest,
  writeSeriesDeletionGeneration,
  writeSeriesDeletionRequest,
} from './series-deletion';
import { listTenants } from './tenants';
import { T0, blockId, putBlock, testBlock } from './testing/blocks';
import { CountingBucket } from './testing/test-bucket';
import { BucketIndexUpdater, defaultBucketIndexUpdaterConfig } from './updater';

const T = 't1';
const PREFIX = `${T}/markers/series-deletion/`;

describe('series deletion requests in the bucket', () => {
  let clock: FakeClock;
  let bucket: CountingBucket;
  const request = (overrides: Partial<SeriesDeletionRequest> = {}): SeriesDeletionRequest => ({
    ...newSeriesDeletionRequest(T, ['up{job="api"}'], T0, T0 + 60_000, clock),
    ...overrides,
  });

  beforeEach(() => {
    clock = new FakeClock(T0 + 3_600_000);
    bucket = new CountingBucket(new InMemoryBucket('memory', clock));
  });

  it('stores a request as JSON under <tenant>/markers/series-deletion/<id>.json and reads it back', async () => {
    const r = request();
    await writeSeriesDeletionRequest(bucket, r);
    expect(JSON.parse((await bucket.get(`${PREFIX}${r.id}.json`)).toString())).toEqual({ version: 1, ...r });
    expect(await readSeriesDeletionRequest(bucket, T, r.id)).toEqual(r);
  });

  it('mints a ULID from the clock, so request IDs sort by creation time', async () => {
    const first = request();
    await clock.advance(1);
    const second = request();
    expect(first.id < second.id).toBe(true);
    expect(first).toMatchObject({ tenant: T, createdAt: T0 + 3_600_000, state: 'pending' });
  });

  it('answers a missing request with a 404 error', async () => {
    await expect(readSeriesDeletionRequest(bucket, T, blockId(1))).rejects.toThrow(NotFoundError);
  });

  it.each([
    { name: 'no matchers', change: { matchers: [] } },
    { name: 'an empty selector', change: { matchers: [''] } },
    { name: 'start after end', change: { startMs: T0 + 2, endMs: T0 + 1 } },
    { name: 'a processed request without processedAt', change: { state: 'processed' as const } },
    { name: 'an unknown state', change: { state: 'done' as unknown as 'pending' } },
    { name: 'an ID that is not a ULID', change: { id: 'abc' } },
    { name: 'an invalid tenant', change: { tenant: '../x' } },
  ])('refuses to encode a request with $name', ({ change }) => {
    expect(() => encodeSeriesDeletionRequest(request(change))).toThrow(ValidationError);
  });

  it.each([
    { name: 'not JSON', body: 'garbage', problem: 'not valid JSON' },
    { name: 'an array', body: '[]', problem: 'not a JSON object' },
    { name: 'an unknown version', patch: { version: 2 }, problem: 'unsupported version 2' },
    { name: 'another request ID', patch: { id: blockId(9) }, problem: 'it names request' },
    { name: 'another tenant', patch: { tenant: 't2' }, problem: 'it names tenant "t2"' },
    { name: 'matchers that are not strings', patch: { matchers: [1] }, problem: '"matchers" must be a non-empty list' },
    { name: 'a start that is not a number', patch: { startMs: '0' }, problem: '"startMs" is not a number' },
  ])('decodes an object with $name as corrupt', ({ body, patch, problem }) => {
    const r = request();
    const data = body ?? JSON.stringify({ version: 1, ...r, ...patch });
    const decode = () => decodeSeriesDeletionRequest(Buffer.from(data), `${PREFIX}${r.id}.json`, T, r.id);
    expect(decode).toThrow(SeriesDeletionRequestCorruptError);
    expect(decode).toThrow(problem);
  });

  it('lists the tenant requests sorted by ID, skipping foreign keys and reporting corrupt objects', async () => {
    const a = request();
    await clock.advance(10);
    const b = request({ state: 'processed', processedAt: clock.now() });
    await writeSeriesDeletionRequest(bucket, b);
    await writeSeriesDeletionRequest(bucket, a);
    await bucket.put(`${PREFIX}README.txt`, Buffer.from('x'));
    await bucket.put(`${PREFIX}${blockId(7)}.json`, Buffer.from('{'));
    await writeSeriesDeletionRequest(bucket, { ...request(), tenant: 't2' });

    const listing = await listSeriesDeletionRequests(bucket, T);

    expect(listing.requests).toEqual([a, b]);
    expect(listing.corrupted).toEqual([{ id: blockId(7), key: `${PREFIX}${blockId(7)}.json`, error: expect.stringContaining('not valid JSON') }]);
  });
});

describe('series deletion requests are invisible to the rest of the bucket layout', () => {
  it('leaves the bucket index, the global marker listing and the tenant listing unchanged', async () => {
    const clock = new FakeClock(T0 + 86_400_000);
    const bucket = new InMemoryBucket('memory', clock);
    const block = testBlock(1);
    await putBlock(bucket, T, block);
    await markForDeletion(bucket, T, block.id, 'test', clock);
    const updater = new BucketIndexUpdater(defaultBucketIndexUpdaterConfig(), bucket, clock, nopLogger);
    const before = await updater.update(T);

    await writeSeriesDeletionRequest(bucket, newSeriesDeletionRequest(T, ['up'], T0, T0 + 1, clock));
    const after = await updater.update(T);

    expect(after).toEqual(before);
    expect(after.corrupted).toEqual([]);
    expect(await listGlobalMarkers(bucket, T)).toEqual({ deletion: [block.id], noCompact: [] });
    expect(await listTenants(bucket)).toEqual([T]);
  });
});

describe('SeriesDeletionStore', () => {
  let clock: FakeClock;
  let bucket: CountingBucket;
  const store = (config: Partial<SeriesDeletionStoreConfig> = {}) =>
    new SeriesDeletionStore({ ...defaultSeriesDeletionStoreConfig(), cacheTtlMs: 5_000, ...config }, bucket, clock, nopLogger);
  const lists = () => bucket.count('list');

  beforeEach(() => {
    clock = new FakeClock(T0 + 3_600_000);
    bucket = new CountingBucket(new InMemoryBucket('memory', clock));
  });

  it('serves pending requests from its cache until the TTL passed', async () => {
    const s = store();
    const other = store();
    expect(await s.pending(T)).toEqual([]);
    const made = await other.create(T, ['up'], T0, T0 + 1);
    bucket.reset();

    expect(await s.pending(T)).toEqual([]);
    await clock.advance(4_999);
    expect(await s.pending(T)).toEqual([]);
    expect(lists()).toBe(0);

    await clock.advance(1);
    expect(await s.pending(T)).toEqual([made]);
    expect(lists()).toBe(1);
  });

  it('sees its own writes at once: creating, processing and removing invalidate the tenant', async () => {
    const s = store();
    expect(await s.pending(T)).toEqual([]);
    const made = await s.create(T, ['up{job="a"}'], T0, T0 + 1);
    expect(await s.pending(T)).toEqual([made]);
    await s.write({ ...made, state: 'processed', processedAt: clock.now() });
    expect(await s.pending(T)).toEqual([]);
    expect(await s.list(T)).toEqual([{ ...made, state: 'processed', processedAt: clock.now() }]);
    await s.remove(T, made.id);
    expect(await s.list(T)).toEqual([]);
  });

  it('returns the same frozen list instance until it reads again, so callers can cache per request', async () => {
    const s = store();
    await s.create(T, ['up'], T0, T0 + 1);
    const first = await s.pending(T);
    expect(await s.pending(T)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first[0])).toBe(true);
  });

  it('shares one read between concurrent callers', async () => {
    const s = store();
    bucket.reset();
    await Promise.all([s.pending(T), s.pending(T), s.pending(T)]);
    expect(lists()).toBe(1);
  });

  it('keeps serving the last list when a re-read fails, and throws when the first read fails', async () => {
    const s = store();
    const made = await s.create(T, ['up'], T0, T0 + 1);
    expect(await s.pending(T)).toEqual([made]);
    bucket.fail = (op) => (op === 'list' ? new UnavailableError('s3_unavailable', 'down') : undefined);
    await clock.advance(5_000);
    expect(await s.pending(T)).toEqual([made]);

    await expect(store().pending(T)).rejects.toThrow(UnavailableError);
  });

  it('refuses to read a request by an ID that is not a ULID', async () => {
    await expect(store().get(T, 'nope')).rejects.toThrow(ValidationError);
  });

  it('keeps the generation beside the requests, where no listing of requests or markers sees it', async () => {
    expect(await readSeriesDeletionGeneration(bucket, T)).toBe(0);
    await writeSeriesDeletionGeneration(bucket, T, 1_234);
    expect(await bucket.get(`${T}/markers/series-deletion-generation.json`)).toEqual(Buffer.from('{"version":1,"changedAt":1234}'));
    expect(await readSeriesDeletionGeneration(bucket, T)).toBe(1_234);
    expect(await listSeriesDeletionRequests(bucket, T)).toEqual({ requests: [], corrupted: [] });
    expect(await listGlobalMarkers(bucket, T)).toEqual({ deletion: [], noCompact: [] });
  });

  it.each([['not JSON', '{'], ['another version', '{"version":2,"changedAt":1}'], ['no time', '{"version":1}'], ['a negative time', '{"version":1,"changedAt":-1}']])(
    'refuses a generation object that holds %s',
    async (_, body) => {
      await bucket.put(`${T}/markers/series-deletion-generation.json`, Buffer.from(body));
      await expect(readSeriesDeletionGeneration(bucket, T)).rejects.toThrow(/series deletion generation "t1\/markers\/series-deletion-generation.json" is corrupt/);
    },
  );

  it("bumps the generation to its clock, sees its own bump at once and another store's within the TTL", async () => {
    const s = store();
    const other = store();
    expect(await s.generation(T)).toBe(0);
    expect(await other.generation(T)).toBe(0);
    await clock.advance(1_000);
    expect(await s.bumpGeneration(T)).toBe(clock.now());
    expect(await s.generation(T)).toBe(clock.now());
    const bumped = clock.now();

    bucket.reset();
    expect(await other.generation(T)).toBe(0);
    await clock.advance(5_000);
    expect(await other.generation(T)).toBe(bumped);
    expect(bucket.count('get')).toBe(1);
  });

  it('keeps serving the last generation when a re-read fails, and throws when the first read fails', async () => {
    const s = store();
    await s.bumpGeneration(T);
    expect(await s.generation(T)).toBe(clock.now());
    bucket.fail = (op) => (op === 'get' ? new UnavailableError('s3_unavailable', 'down') : undefined);
    await clock.advance(5_000);
    expect(await s.generation(T)).toBe(clock.now() - 5_000);
    await expect(store().generation(T)).rejects.toThrow(UnavailableError);
  });
});
