import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Registry } from 'prom-client';
import { BlockMeta, parseMeta, SOURCE_RECEIVE, TENANT_ID_EXTERNAL_LABEL } from '@panoptes/block-formats';
import { Bucket, FilesystemBucket, InMemoryBucket, listAll, S3Bucket, ScratchS3Bucket } from '@panoptes/bucket';
import { FakeClock, ValidationError } from '@panoptes/common';
import { createLogger, nopLogger } from '@panoptes/log';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { BlockShipper, defaultBlockShipperConfig, tenantExternalLabels } from './shipper';
import { FailingBucket, HOUR, T0, writeTestBlock } from './testing/shipper-test-util';

const TENANT = 'tenant-1';

/** Every file of a local block directory, as object keys below `<tenant>/<ulid>/`. */
async function localFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)).split('\\').join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

async function metricValue(registry: Registry, name: string, tenant = TENANT): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values.find((v) => v.labels.tenant === tenant)?.value ?? 0;
}

interface Fixture {
  dataDir: string;
  inner: Bucket;
  bucket: FailingBucket;
  registry: Registry;
  logs: string[];
  shipper: BlockShipper;
  blocksDir: string;
  /** A new shipper over the same data dir and bucket (a restarted ingester). */
  restart(): BlockShipper;
  cleanup(): Promise<void>;
}

type BucketKind = 'InMemoryBucket' | 'FilesystemBucket';

async function fixture(kind: BucketKind): Promise<Fixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ingester-shipper-'));
  const bucketDir = await mkdtemp(join(tmpdir(), 'ingester-shipper-bucket-'));
  const inner: Bucket = kind === 'InMemoryBucket' ? new InMemoryBucket() : new FilesystemBucket({ dir: bucketDir });
  const bucket = new FailingBucket(inner);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', sink: { write: (line) => logs.push(line) } });
  const clock = new FakeClock(T0 + 10 * HOUR);
  const make = (registry: Registry) => new BlockShipper({ ...defaultBlockShipperConfig(), dataDir }, bucket, clock, logger, registry);
  const registry = new Registry();
  const shipper = make(registry);
  bucket.expectedKeys = (metaKey) => {
    const [tenant, ulid] = metaKey.split('/');
    return localFiles(join(shipper.blocksDir(tenant), ulid)).then((files) =>
      files.filter((x) => x !== 'meta.json').map((x) => `${tenant}/${ulid}/${x}`),
    );
  };
  return {
    dataDir,
    inner,
    bucket,
    registry,
    logs,
    shipper,
    blocksDir: shipper.blocksDir(TENANT),
    restart: () => make(new Registry()),
    cleanup: async () => {
      await rm(dataDir, { recursive: true, force: true });
      await rm(bucketDir, { recursive: true, force: true });
    },
  };
}

describe.each<BucketKind>(['InMemoryBucket', 'FilesystemBucket'])('BlockShipper over %s', (kind) => {
  let f: Fixture;

  beforeEach(async () => {
    f = await fixture(kind);
  });

  afterEach(async () => {
    await f.cleanup();
  });

  it('uploads every local block file under <tenant>/<ulid>/ with the same bytes, meta.json last', async () => {
    const b1 = await writeTestBlock(f.blocksDir, T0, { maxSegmentBytes: 1024 });
    const b2 = await writeTestBlock(f.blocksDir, T0 + 2 * HOUR);

    const result = await f.shipper.ship(TENANT);

    expect(result).toEqual({ uploaded: [b1.ulid, b2.ulid], failed: [] });
    for (const b of [b1, b2]) {
      const dir = join(f.blocksDir, b.ulid);
      const files = await localFiles(dir);
      expect(files).toEqual(expect.arrayContaining(['chunks/000001', 'index', 'meta.json', 'tombstones']));
      expect(await listAll(f.inner, `${TENANT}/${b.ulid}/`, { recursive: true })).toEqual(files.map((x) => `${TENANT}/${b.ulid}/${x}`));
      for (const file of files.filter((x) => x !== 'meta.json')) {
        expect((await f.inner.get(`${TENANT}/${b.ulid}/${file}`)).equals(await readFile(join(dir, file)))).toBe(true);
      }
      const puts = f.bucket.puts.filter((k) => k.startsWith(`${TENANT}/${b.ulid}/`));
      expect(puts[puts.length - 1]).toBe(`${TENANT}/${b.ulid}/meta.json`);
      expect(puts.indexOf(`${TENANT}/${b.ulid}/index`)).toBeGreaterThan(Math.max(...puts.map((k, i) => (k.includes('/chunks/') ? i : -1))));
    }
    // The first block spans several chunk segments; all of them are uploaded.
    expect((await localFiles(join(f.blocksDir, b1.ulid))).filter((x) => x.startsWith('chunks/')).length).toBeGreaterThan(1);
    expect(f.bucket.missingAtMetaPut).toEqual([[], []]);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_uploads_total')).toBe(2);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_pending_blocks')).toBe(0);
  });

  it.each<{ name: string; local?: Record<string, string> }>([
    { name: 'a block cut without external labels', local: undefined },
    { name: 'a block cut with the tenant label and another one', local: { [TENANT_ID_EXTERNAL_LABEL]: TENANT, replica: 'a' } },
  ])('uploads meta.json with the tenant label and source receive for $name', async ({ local }) => {
    const b = await writeTestBlock(f.blocksDir, T0, { externalLabels: local });
    await f.shipper.ship(TENANT);

    const uploaded = parseMeta((await f.inner.get(`${TENANT}/${b.ulid}/meta.json`)).toString('utf8'));
    expect(uploaded.thanos?.labels).toEqual({ ...(local ?? {}), [TENANT_ID_EXTERNAL_LABEL]: TENANT });
    expect(uploaded.thanos?.source).toBe(SOURCE_RECEIVE);
    expect(uploaded.thanos?.files?.map((x) => x.rel_path)).toEqual(['chunks/000001', 'index', 'meta.json']);
    expect({ ...uploaded, thanos: undefined }).toEqual({ ...b, thanos: undefined });
    // The local copy is left as BlockWriter wrote it.
    expect(parseMeta(await readFile(join(f.blocksDir, b.ulid, 'meta.json'), 'utf8'))).toEqual(b);
  });

  it('uploads nothing on the next ship once every block is shipped', async () => {
    await writeTestBlock(f.blocksDir, T0);
    await f.shipper.ship(TENANT);
    const before = f.bucket.attempts.length;

    expect(await f.shipper.ship(TENANT)).toEqual({ uploaded: [], failed: [] });
    expect(f.bucket.attempts.length).toBe(before);
  });

  it('does not upload again after a restart over the same data dir, but uploads blocks cut since', async () => {
    const b1 = await writeTestBlock(f.blocksDir, T0);
    await f.shipper.ship(TENANT);
    const state = JSON.parse(await readFile(join(f.dataDir, 'tenants', TENANT, 'shipper.json'), 'utf8')) as {
      version: number;
      shipped: Record<string, number>;
    };
    expect(state).toEqual({ version: 1, shipped: { [b1.ulid]: T0 + 10 * HOUR } });
    const b2 = await writeTestBlock(f.blocksDir, T0 + 2 * HOUR);
    f.bucket.attempts.length = 0;

    const restarted = f.restart();
    expect(await restarted.ship(TENANT)).toEqual({ uploaded: [b2.ulid], failed: [] });
    expect(f.bucket.attempts.every((k) => k.startsWith(`${TENANT}/${b2.ulid}/`))).toBe(true);
    expect(await restarted.shippedBlocks(TENANT)).toEqual([b1.ulid, b2.ulid].sort());
  });

  it('uploads every block again when shipper.json is corrupt (uploads are idempotent)', async () => {
    const b = await writeTestBlock(f.blocksDir, T0);
    await f.shipper.ship(TENANT);
    await writeFile(join(f.dataDir, 'tenants', TENANT, 'shipper.json'), '{not json');

    const restarted = f.restart();
    expect(await restarted.ship(TENANT)).toEqual({ uploaded: [b.ulid], failed: [] });
    expect(f.logs.some((l) => l.includes('msg="shipper state unreadable; blocks will be uploaded again"'))).toBe(true);
  });

  it.each<{ name: string; fails: (key: string) => boolean; partialLeft: boolean }>([
    { name: 'a chunk segment', fails: (k) => k.endsWith('/chunks/000002'), partialLeft: false },
    { name: 'the index', fails: (k) => k.endsWith('/index'), partialLeft: false },
    { name: 'meta.json', fails: (k) => k.endsWith('/meta.json'), partialLeft: true },
  ])('retries the whole block on the next ship after uploading $name failed, never exposing meta.json early', async ({ fails, partialLeft }) => {
    const b = await writeTestBlock(f.blocksDir, T0, { maxSegmentBytes: 1024 });
    const prefix = `${TENANT}/${b.ulid}/`;
    f.bucket.failPut = fails;

    const first = await f.shipper.ship(TENANT);

    expect(first.uploaded).toEqual([]);
    expect(first.failed.map((x) => x.ulid)).toEqual([b.ulid]);
    expect(first.failed[0].error.message).toContain('injected failure');
    expect(await f.inner.exists(`${prefix}meta.json`)).toBe(false);
    const left = await listAll(f.inner, prefix, { recursive: true });
    if (partialLeft) expect(left.length).toBeGreaterThan(0);
    else expect(left).toEqual([]); // cleaned up: nothing of the block lingers
    expect(await f.shipper.shippedBlocks(TENANT)).toEqual([]);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_upload_failures_total')).toBe(1);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_pending_blocks')).toBe(1);
    const failureLogs = f.logs.filter((l) => l.includes('block upload failed'));
    expect(failureLogs).toHaveLength(1);
    expect(failureLogs[0]).toMatch(/ level=error component=ingester tenant=tenant-1 msg="block upload failed; retrying on the next ship" block=\w{26} err=/);

    f.bucket.failPut = () => false;
    f.bucket.puts.length = 0;
    const second = await f.shipper.ship(TENANT);

    expect(second).toEqual({ uploaded: [b.ulid], failed: [] });
    const files = await localFiles(join(f.blocksDir, b.ulid));
    expect([...f.bucket.puts].sort()).toEqual(files.map((x) => prefix + x)); // every file again
    expect(f.bucket.puts[f.bucket.puts.length - 1]).toBe(`${prefix}meta.json`);
    expect(f.bucket.missingAtMetaPut).toEqual([[]]);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_uploads_total')).toBe(1);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_pending_blocks')).toBe(0);
  });

  it('ships the other blocks when one fails, and reports only the failed one', async () => {
    const b1 = await writeTestBlock(f.blocksDir, T0);
    const b2 = await writeTestBlock(f.blocksDir, T0 + 2 * HOUR);
    const b3 = await writeTestBlock(f.blocksDir, T0 + 4 * HOUR);
    f.bucket.failPut = (k) => k.startsWith(`${TENANT}/${b2.ulid}/`);

    const result = await f.shipper.ship(TENANT);

    expect(result.uploaded).toEqual([b1.ulid, b3.ulid]);
    expect(result.failed.map((x) => x.ulid)).toEqual([b2.ulid]);
  });

  it('reports a block with a corrupt meta.json as failed instead of throwing', async () => {
    const good = await writeTestBlock(f.blocksDir, T0);
    const other = await writeTestBlock(f.blocksDir, T0 + 2 * HOUR, { externalLabels: { [TENANT_ID_EXTERNAL_LABEL]: 'someone-else' } });

    const result = await f.shipper.ship(TENANT);

    expect(result.uploaded).toEqual([good.ulid]);
    expect(result.failed.map((x) => x.ulid)).toEqual([other.ulid]);
    expect(result.failed[0].error.message).toContain('belongs to tenant "someone-else"');
    expect(await listAll(f.inner, `${TENANT}/${other.ulid}/`, { recursive: true })).toEqual([]);
  });

  it('ignores incomplete block directories, and cleanupIncomplete removes them and nothing else', async () => {
    const b = await writeTestBlock(f.blocksDir, T0);
    const noMeta = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
    await mkdir(join(f.blocksDir, noMeta, 'chunks'), { recursive: true });
    await writeFile(join(f.blocksDir, noMeta, 'index'), 'partial');
    const creating = `${noMeta.slice(0, -1)}Y.tmp-for-creation`;
    await mkdir(join(f.blocksDir, creating, 'chunks'), { recursive: true });
    await writeFile(join(f.blocksDir, creating, 'meta.json'), '{}');
    await mkdir(join(f.blocksDir, `${b.ulid.slice(0, -1)}X.tmp-for-deletion`));
    await mkdir(join(f.blocksDir, 'not-a-block'));

    expect(await f.shipper.ship(TENANT)).toEqual({ uploaded: [b.ulid], failed: [] });
    expect(await listAll(f.inner, `${TENANT}/`)).toEqual([`${TENANT}/${b.ulid}/`]);

    const removed = await f.restart().cleanupIncomplete();

    expect(removed.map((p) => relative(f.blocksDir, p)).sort()).toEqual(
      [noMeta, creating, `${b.ulid.slice(0, -1)}X.tmp-for-deletion`].sort(),
    );
    expect((await readdir(f.blocksDir)).sort()).toEqual([b.ulid, 'not-a-block'].sort());
  });

  it('deleteShippedBefore removes shipped blocks ending at or before t and keeps unshipped ones', async () => {
    const b1 = await writeTestBlock(f.blocksDir, T0);
    const b2 = await writeTestBlock(f.blocksDir, T0 + 2 * HOUR);
    const b3 = await writeTestBlock(f.blocksDir, T0 + 4 * HOUR);
    f.bucket.failPut = (k) => k.startsWith(`${TENANT}/${b3.ulid}/`);
    await f.shipper.ship(TENANT);

    // b1 ends (exclusive) one ms after its last sample, T0 + 2h - 15 s + 1.
    expect(await f.shipper.deleteShippedBefore(TENANT, b1.maxTime - 1)).toEqual([]);
    expect(await f.shipper.deleteShippedBefore(TENANT, b1.maxTime)).toEqual([b1.ulid]);
    expect(await f.shipper.deleteShippedBefore(TENANT, T0 + 100 * HOUR)).toEqual([b2.ulid]);

    expect(await readdir(f.blocksDir)).toEqual([b3.ulid]);
    expect(await f.shipper.shippedBlocks(TENANT)).toEqual([]);
    const state = JSON.parse(await readFile(join(f.dataDir, 'tenants', TENANT, 'shipper.json'), 'utf8')) as { shipped: object };
    expect(state.shipped).toEqual({});
    // Still in the bucket: local retention never touches uploaded objects.
    expect(await f.inner.exists(`${TENANT}/${b1.ulid}/meta.json`)).toBe(true);
  });

  it('runs concurrent ships of one tenant one after the other, uploading each file once', async () => {
    const b = await writeTestBlock(f.blocksDir, T0);
    const [r1, r2] = await Promise.all([f.shipper.ship(TENANT), f.shipper.ship(TENANT)]);

    expect([...r1.uploaded, ...r2.uploaded]).toEqual([b.ulid]);
    expect(f.bucket.attempts.length).toBe((await localFiles(join(f.blocksDir, b.ulid))).length);
  });

  it('stops at an abort without counting it as a failure', async () => {
    await writeTestBlock(f.blocksDir, T0);
    await writeTestBlock(f.blocksDir, T0 + 2 * HOUR);
    const controller = new AbortController();
    f.bucket.failPut = (k) => {
      if (!k.endsWith('/index')) return false;
      controller.abort(new Error('shutting down'));
      return true;
    };

    const result = await f.shipper.ship(TENANT, { signal: controller.signal });

    expect(result.uploaded).toEqual([]);
    expect(result.failed).toHaveLength(1);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_upload_failures_total')).toBe(0);
    expect(await metricValue(f.registry, 'panoptes_ingester_shipper_pending_blocks')).toBe(2);
  });

  it('shipAll ships every tenant with local data under its own prefix', async () => {
    const a = await writeTestBlock(f.shipper.blocksDir('tenant-a'), T0);
    const b = await writeTestBlock(f.shipper.blocksDir('tenant-b'), T0);

    const results = await f.shipper.shipAll();

    expect([...results.entries()]).toEqual([
      ['tenant-a', { uploaded: [a.ulid], failed: [] }],
      ['tenant-b', { uploaded: [b.ulid], failed: [] }],
    ]);
    expect(await f.inner.exists(`tenant-a/${a.ulid}/meta.json`)).toBe(true);
    expect(await f.inner.exists(`tenant-b/${b.ulid}/meta.json`)).toBe(true);
  });
});

describe('BlockShipper tenant IDs', () => {
  it.each(['../escape', '', '__reserved', 'a/b'])('refuses tenant ID %j before touching the disk', async (tenant) => {
    const shipper = new BlockShipper(defaultBlockShipperConfig(), new InMemoryBucket(), new FakeClock(), nopLogger, new Registry());
    expect(() => shipper.blocksDir(tenant)).toThrow(ValidationError);
    await expect(shipper.ship(tenant)).rejects.toBeInstanceOf(ValidationError);
  });

  it('gives Head.cutBlock the tenant as its external label', () => {
    expect(tenantExternalLabels('t1')).toEqual({ __org_id__: 't1' });
  });
});

describeWithService('s3', 'BlockShipper over S3Bucket', (env) => {
  const scratch = new ScratchS3Bucket(env, uniqueName('panoptes-shipper-test'));
  let dataDir: string;
  let s3: S3Bucket;

  beforeAll(async () => {
    await scratch.create();
    s3 = new S3Bucket(scratch.config());
    dataDir = await mkdtemp(join(tmpdir(), 'ingester-shipper-s3-'));
  });

  afterAll(async () => {
    await s3?.close();
    await rm(dataDir, { recursive: true, force: true });
    await scratch.destroy();
  });

  it('uploads blocks to MinIO byte for byte, retries a failed meta.json, and never re-uploads after a restart', async () => {
    const bucket = new FailingBucket(s3);
    const make = () => new BlockShipper({ dataDir }, bucket, new FakeClock(T0), nopLogger, new Registry());
    const shipper = make();
    const blocks: BlockMeta[] = [
      await writeTestBlock(shipper.blocksDir(TENANT), T0, { maxSegmentBytes: 1024 }),
      await writeTestBlock(shipper.blocksDir(TENANT), T0 + 2 * HOUR),
    ];
    bucket.failPut = (k) => k === `${TENANT}/${blocks[1].ulid}/meta.json`;

    const first = await shipper.ship(TENANT);
    expect(first.uploaded).toEqual([blocks[0].ulid]);
    expect(first.failed.map((x) => x.ulid)).toEqual([blocks[1].ulid]);
    expect(await s3.exists(`${TENANT}/${blocks[1].ulid}/meta.json`)).toBe(false);

    bucket.failPut = () => false;
    expect(await shipper.ship(TENANT)).toEqual({ uploaded: [blocks[1].ulid], failed: [] });

    for (const b of blocks) {
      const dir = join(shipper.blocksDir(TENANT), b.ulid);
      const files = await localFiles(dir);
      expect(await listAll(s3, `${TENANT}/${b.ulid}/`, { recursive: true })).toEqual(files.map((x) => `${TENANT}/${b.ulid}/${x}`));
      for (const file of files.filter((x) => x !== 'meta.json')) {
        expect((await s3.get(`${TENANT}/${b.ulid}/${file}`)).equals(await readFile(join(dir, file)))).toBe(true);
      }
      const meta = parseMeta((await s3.get(`${TENANT}/${b.ulid}/meta.json`)).toString('utf8'));
      expect(meta.thanos?.labels).toEqual({ [TENANT_ID_EXTERNAL_LABEL]: TENANT });
      expect(meta.thanos?.source).toBe(SOURCE_RECEIVE);
    }

    bucket.attempts.length = 0;
    expect(await make().ship(TENANT)).toEqual({ uploaded: [], failed: [] });
    expect(bucket.attempts).toEqual([]);
  });
});
