import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { ValidationError } from '@panoptes/common';
import { eventually } from '@panoptes/testing';
import { listAll, readAll } from './bucket';
import { ObjectNotFoundError } from './errors';
import { FilesystemBucket } from './filesystem-bucket';
import { PrefixedBucket } from './prefixed-bucket';
import { runBucketContract } from './testing/bucket.contract';

let tmpRoot: string;

beforeAll(async () => {
  tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'panoptes-fs-bucket-'));
});

afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

runBucketContract('FilesystemBucket', () => new FilesystemBucket({ dir: path.join(tmpRoot, 'contract') }));
runBucketContract(
  'PrefixedBucket over FilesystemBucket',
  () => new PrefixedBucket(new FilesystemBucket({ dir: path.join(tmpRoot, 'prefixed') }), 'tenant-1/'),
);

describe('FilesystemBucket', () => {
  let root: string;
  let bucket: FilesystemBucket;
  let n = 0;

  beforeEach(async () => {
    root = path.join(tmpRoot, `case-${++n}`, 'data');
    bucket = new FilesystemBucket({ dir: root });
  });

  const tempFilesIn = async (dir: string) =>
    (await fs.readdir(dir).catch(() => [] as string[])).filter((name) => name.startsWith('.panoptes-tmp-'));

  it.each([
    ['a new key: the object stays missing', undefined],
    ['an overwrite: readers keep seeing the old object whole', Buffer.alloc(1024 * 1024, 'a')],
  ])('never lets a reader observe a partial object while a large put is in flight (%s)', async (_case, before) => {
    const key = 'big/object';
    if (before) await bucket.put(key, before);
    const body = new PassThrough();
    const putting = bucket.put(key, body);
    body.write(Buffer.alloc(512 * 1024, 'b'));
    // The first half is on disk in a temporary file: the write is in flight.
    await eventually(async () => {
      const [tmp] = await tempFilesIn(path.join(root, 'big'));
      return tmp !== undefined && (await fs.stat(path.join(root, 'big', tmp))).size >= 512 * 1024;
    });

    if (before) {
      expect((await bucket.get(key)).equals(before)).toBe(true);
      expect((await bucket.attributes(key)).size).toBe(before.length);
      expect((await bucket.getRange(key, 0, 4)).toString()).toBe('aaaa');
      expect(await listAll(bucket, 'big')).toEqual([key]);
    } else {
      await expect(bucket.get(key)).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await bucket.exists(key)).toBe(false);
      expect(await listAll(bucket, '', { recursive: true })).toEqual([]);
      expect(await listAll(bucket, '')).toEqual([]);
    }

    body.end(Buffer.alloc(512 * 1024, 'b'));
    await putting;
    expect((await bucket.get(key)).equals(Buffer.alloc(1024 * 1024, 'b'))).toBe(true);
    expect(await tempFilesIn(path.join(root, 'big'))).toEqual([]);
  });

  // Filesystem-specific (not in the contract) because the in-memory bucket still waits for the
  // body's end; the S3 bucket passes this case (checked against MinIO).
  it.each([
    ['the default abort reason', undefined],
    ['a caller-given reason', new Error('ingester shutting down')],
  ])('rejects an aborted put with %s promptly when its body stalls, leaving no object or temp file', async (_c, reason) => {
    const key = 'stalled/object';
    const body = new PassThrough();
    const controller = new AbortController();
    const putting = bucket.put(key, body, { signal: controller.signal });
    const outcome = putting.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    // One chunk then silence: the chunk is written, the put waits for a next one that never comes.
    body.write(Buffer.alloc(1024, 'a'));
    await eventually(async () => {
      const [tmp] = await tempFilesIn(path.join(root, 'stalled'));
      return tmp !== undefined && (await fs.stat(path.join(root, 'stalled', tmp))).size >= 1024;
    });

    controller.abort(reason);
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise((resolve) => {
      timer = setTimeout(() => resolve('still pending 2 s after the abort'), 2000);
    });
    const err = await Promise.race([outcome, stuck]).finally(() => clearTimeout(timer));

    expect(err).toBe(controller.signal.reason);
    if (!reason) expect((err as Error).name).toBe('AbortError');
    expect(body.destroyed).toBe(true);
    expect(await bucket.exists(key)).toBe(false);
    expect(await tempFilesIn(path.join(root, 'stalled'))).toEqual([]);
  });

  it('keeps serving an already opened stream the old version when the object is replaced', async () => {
    await bucket.put('obj', Buffer.alloc(256 * 1024, 'a'));
    const stream = await bucket.getStream('obj');
    await bucket.put('obj', Buffer.alloc(10, 'b'));
    expect((await readAll(stream)).equals(Buffer.alloc(256 * 1024, 'a'))).toBe(true);
  });

  const outside = path.join(os.tmpdir(), `panoptes-escape-${process.pid}`);
  it.each([
    ['a .. segment', '../escape'],
    ['.. in the middle', 'a/../../escape'],
    ['an absolute path', outside],
  ])('rejects a key with %s and writes nothing outside the root', async (_case, key) => {
    await expect(bucket.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(ValidationError);
    await expect(bucket.delete(key)).rejects.toBeInstanceOf(ValidationError);
    await expect(fs.stat(path.join(root, '..', 'escape'))).rejects.toThrow();
    await expect(fs.stat(path.join(root, '..', '..', 'escape'))).rejects.toThrow();
    await expect(fs.stat(outside)).rejects.toThrow();
  });

  it('removes the directories a delete leaves empty, but not the root or non-empty ones', async () => {
    await bucket.put('t/01ABC/chunks/000001', Buffer.from('x'));
    await bucket.put('t/keep', Buffer.from('x'));
    await bucket.delete('t/01ABC/chunks/000001');
    await expect(fs.stat(path.join(root, 't', '01ABC'))).rejects.toThrow();
    expect((await fs.stat(path.join(root, 't'))).isDirectory()).toBe(true);
    await bucket.delete('t/keep');
    await expect(fs.stat(path.join(root, 't'))).rejects.toThrow();
    expect((await fs.stat(root)).isDirectory()).toBe(true);
  });

  it('skips temporary files left by a crash in listings, and their directories too', async () => {
    await bucket.put('t/real', Buffer.from('x'));
    await fs.mkdir(path.join(root, 'crashed'), { recursive: true });
    await fs.writeFile(path.join(root, 'crashed', '.panoptes-tmp-deadbeef'), 'partial');
    await fs.writeFile(path.join(root, 't', '.panoptes-tmp-cafebabe'), 'partial');
    expect(await listAll(bucket, '')).toEqual(['t/']);
    expect(await listAll(bucket, '', { recursive: true })).toEqual(['t/real']);
    expect(await listAll(bucket, 't')).toEqual(['t/real']);
  });

  it.each([
    ['an object where a directory of objects is', 'a/b', 'a'],
    ['an object below an existing object', 'a', 'a/b'],
  ])('rejects %s with a ValidationError (a path cannot be both)', async (_case, first, second) => {
    await bucket.put(first, Buffer.from('1'));
    const err = await bucket.put(second, Buffer.from('2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).reason).toBe('object_key_conflict');
    expect((await bucket.get(first)).toString()).toBe('1');
    expect(await tempFilesIn(root)).toEqual([]);
  });

  it('treats a directory as no object', async () => {
    await bucket.put('dir/obj', Buffer.from('1'));
    expect(await bucket.exists('dir')).toBe(false);
    await expect(bucket.get('dir')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(bucket.getRange('dir', 0, 1)).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(bucket.attributes('dir')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await bucket.delete('dir');
    expect(await bucket.exists('dir/obj')).toBe(true);
  });

  it('lists nothing before the root directory exists, and creates it on the first put', async () => {
    expect(await listAll(bucket, '', { recursive: true })).toEqual([]);
    await bucket.put('x/y', Buffer.from('1'));
    expect((await fs.stat(path.join(root, 'x', 'y'))).isFile()).toBe(true);
  });

  it('stores objects at their key path under the root, so the directory is browsable', async () => {
    await bucket.put('tenant/01ABC/meta.json', Buffer.from('{}'));
    expect(await fs.readFile(path.join(root, 'tenant', '01ABC', 'meta.json'), 'utf8')).toBe('{}');
  });

  it('keeps every put whole when concurrent puts and deletes share a directory', async () => {
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await bucket.put(`shared/dir/obj-${i}`, Buffer.from(`v${i}`));
        if (i % 2 === 0) await bucket.delete(`shared/dir/obj-${i}`);
      }),
    );
    const keys = await listAll(bucket, 'shared/dir');
    expect(keys).toHaveLength(10);
    for (const key of keys) expect((await bucket.get(key)).toString()).toBe(`v${key.split('-')[1]}`);
  });
});
