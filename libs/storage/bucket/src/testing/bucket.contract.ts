import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { NotFoundError, ValidationError } from '@panoptes/common';
import { Bucket, listAll, readAll } from '../bucket';
import { InvalidRangeError, ObjectNotFoundError, isObjectNotFound } from '../errors';
import { compareKeys } from '../object-key';

/**
 * The behaviour every Bucket implementation promises, run by each implementation's spec.
 * `factory` is called once per suite; the bucket may be shared with other suites (each case
 * works under its own directory), so cases never assume the whole bucket is empty.
 */
export function runBucketContract(name: string, factory: () => Bucket | Promise<Bucket>): void {
  describe(`${name} (bucket contract)`, () => {
    let bucket: Bucket;
    let caseNo = 0;
    const run = `contract-${Date.now().toString(36)}`;
    // A fresh directory per case, so cases never see each other's objects.
    const dir = () => `${run}/case-${++caseNo}`;

    beforeAll(async () => {
      bucket = await factory();
    });
    afterAll(async () => {
      await bucket?.close();
    });

    describe('put and get', () => {
      it.each([
        ['an empty object', Buffer.alloc(0)],
        ['a binary object holding every byte value', Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256))],
        ['a text object', Buffer.from('hello\nworld\n', 'utf8')],
      ])('returns %s unchanged through get, getStream and attributes', async (_case, body) => {
        const key = `${dir()}/object`;
        await bucket.put(key, body);
        expect((await bucket.get(key)).equals(body)).toBe(true);
        expect((await readAll(await bucket.getStream(key))).equals(body)).toBe(true);
        expect((await bucket.attributes(key)).size).toBe(body.length);
        expect(await bucket.exists(key)).toBe(true);
      });

      it('streams a 10 MB object from a Readable and reads back the same bytes', async () => {
        const key = `${dir()}/big`;
        const size = 10 * 1024 * 1024;
        await bucket.put(key, patternStream(size, 64 * 1024));
        const expectedHash = sha256(patternBytes(0, size));
        const got = await bucket.get(key);
        expect(got.length).toBe(size);
        expect(sha256(got)).toBe(expectedHash);
        expect(sha256(await readAll(await bucket.getStream(key)))).toBe(expectedHash);
        expect((await bucket.attributes(key)).size).toBe(size);
        const mid = 5 * 1024 * 1024 - 3;
        expect((await bucket.getRange(key, mid, 100_000)).equals(patternBytes(mid, 100_000))).toBe(true);
      });

      it('accepts a Readable that yields strings and Uint8Arrays', async () => {
        const key = `${dir()}/mixed`;
        await bucket.put(key, Readable.from(['ab', new Uint8Array([99, 100]), Buffer.from('ef')]));
        expect((await bucket.get(key)).toString()).toBe('abcdef');
      });

      it('replaces an object on overwrite', async () => {
        const key = `${dir()}/object`;
        await bucket.put(key, Buffer.from('the first, longer version'));
        await bucket.put(key, Buffer.from('v2'));
        expect((await bucket.get(key)).toString()).toBe('v2');
        expect((await bucket.attributes(key)).size).toBe(2);
      });

      it('writes concurrent puts to different keys without mixing them up', async () => {
        const d = dir();
        const bodies = Array.from({ length: 16 }, (_, i) => patternBytes(i * 1000, 1024 * (i + 1)));
        await Promise.all(bodies.map((body, i) => bucket.put(`${d}/obj-${i}`, body)));
        for (const [i, body] of bodies.entries()) {
          expect((await bucket.get(`${d}/obj-${i}`)).equals(body)).toBe(true);
        }
        expect(await listAll(bucket, d)).toHaveLength(16);
      });

      it('leaves no object when the body stream fails', async () => {
        const key = `${dir()}/broken`;
        const body = new Readable({
          read() {
            this.push(Buffer.alloc(1024, 1));
            this.destroy(new Error('disk on fire'));
          },
        });
        await expect(bucket.put(key, body)).rejects.toThrow();
        expect(await bucket.exists(key)).toBe(false);
      });

      it('leaves no object when the put is aborted before it starts', async () => {
        const key = `${dir()}/aborted`;
        const controller = new AbortController();
        controller.abort();
        await expect(bucket.put(key, Buffer.from('x'), { signal: controller.signal })).rejects.toThrow();
        expect(await bucket.exists(key)).toBe(false);
      });

      it.each([
        ['spaces', 'with space/file name.txt'],
        ['unicode', 'unicode/日本語/ключ-ü.bin'],
        ['characters outside the BMP', 'emoji/😀/x'],
        ['URL-special characters', 'special/a+b=c&d?e#f%20g;h,i:j@k~!$()'],
      ])('stores keys with %s', async (_case, rel) => {
        const d = dir();
        const key = `${d}/${rel}`;
        await bucket.put(key, Buffer.from(rel));
        expect((await bucket.get(key)).toString()).toBe(rel);
        expect(await bucket.exists(key)).toBe(true);
        expect((await bucket.attributes(key)).size).toBe(Buffer.byteLength(rel));
        expect(await listAll(bucket, d, { recursive: true })).toEqual([key]);
        await bucket.delete(key);
        expect(await bucket.exists(key)).toBe(false);
      });
    });

    describe('missing objects', () => {
      it.each([
        ['get', (b: Bucket, k: string) => b.get(k)],
        ['getStream', (b: Bucket, k: string) => b.getStream(k)],
        ['getRange', (b: Bucket, k: string) => b.getRange(k, 0, 10)],
        ['getRange with zero length', (b: Bucket, k: string) => b.getRange(k, 0, 0)],
        ['attributes', (b: Bucket, k: string) => b.attributes(k)],
      ])('%s of a missing object throws ObjectNotFoundError', async (_op, call) => {
        const key = `${dir()}/missing`;
        const err = await call(bucket, key).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ObjectNotFoundError);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(isObjectNotFound(err)).toBe(true);
        expect((err as ObjectNotFoundError).reason).toBe('object_not_found');
      });

      it('exists of a missing object is false', async () => {
        expect(await bucket.exists(`${dir()}/missing`)).toBe(false);
      });
    });

    describe('getRange', () => {
      const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
      let key: string;
      beforeAll(async () => {
        key = `${dir()}/hundred-bytes`;
        await bucket.put(key, body);
      });

      it.each([
        ['the start', 0, 10, 0, 10],
        ['the middle', 40, 20, 40, 60],
        ['the end', 90, 10, 90, 100],
        ['the whole object', 0, 100, 0, 100],
        ['a length running past the end (what exists)', 95, 20, 95, 100],
        ['a huge length from the start', 0, 1_000_000, 0, 100],
        ['zero length (empty)', 10, 0, 10, 10],
        ['an offset at the end (empty)', 100, 5, 100, 100],
        ['zero length at the end (empty)', 100, 0, 100, 100],
      ])('reads %s', async (_case, offset, length, from, to) => {
        const got = await bucket.getRange(key, offset, length);
        expect([...got]).toEqual([...body.subarray(from, to)]);
      });

      it.each([
        ['one past the end', 101, 1],
        ['far past the end', 1000, 10],
        ['past the end with zero length', 101, 0],
      ])('throws InvalidRangeError for an offset %s', async (_case, offset, length) => {
        const err = await bucket.getRange(key, offset, length).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidRangeError);
        expect(err).toBeInstanceOf(ValidationError);
      });

      it.each([
        ['a negative offset', -1, 10],
        ['a negative length', 0, -1],
        ['a fractional offset', 1.5, 10],
      ])('rejects %s with a ValidationError', async (_case, offset, length) => {
        await expect(bucket.getRange(key, offset, length)).rejects.toBeInstanceOf(ValidationError);
      });

      it('reads an empty range of an empty object and rejects offsets past its end', async () => {
        const empty = `${dir()}/empty`;
        await bucket.put(empty, Buffer.alloc(0));
        expect((await bucket.getRange(empty, 0, 10)).length).toBe(0);
        await expect(bucket.getRange(empty, 1, 1)).rejects.toBeInstanceOf(InvalidRangeError);
      });
    });

    describe('list', () => {
      let d: string;
      beforeAll(async () => {
        d = dir();
        for (const rel of ['a', 'b/c', 'b/d/e', 'b.x', 'c.txt', 'z/y/x/w']) {
          await bucket.put(`${d}/${rel}`, Buffer.from(rel));
        }
      });

      it.each([
        ['one level under a prefix ending in /', '/', false, ['a', 'b.x', 'b/', 'c.txt', 'z/']],
        ['one level under a prefix without the trailing /', '', false, ['a', 'b.x', 'b/', 'c.txt', 'z/']],
        ['one level under a nested prefix', '/b/', false, ['b/c', 'b/d/']],
        ['every object under a prefix (recursive)', '/', true, ['a', 'b.x', 'b/c', 'b/d/e', 'c.txt', 'z/y/x/w']],
        ['every object under a nested prefix (recursive)', '/b', true, ['b/c', 'b/d/e']],
        ['a deep single-child chain', '/z/y/', false, ['z/y/x/']],
        ['a prefix with no objects', '/nothing/', false, []],
        ['a prefix with no objects (recursive)', '/nothing/', true, []],
        ['a prefix naming an object, not a directory', '/a', false, []],
      ])('lists %s, sorted', async (_case, suffix, recursive, expected) => {
        expect(await listAll(bucket, d + suffix, { recursive })).toEqual(expected.map((rel) => `${d}/${rel}`));
      });

      it('lists the root: this case directory appears once, and the listing is sorted', async () => {
        const top = await listAll(bucket, '');
        expect(top).toContain(`${run}/`);
        expect(top).toEqual([...top].sort(compareKeys));
        const underRun = await listAll(bucket, run);
        expect(underRun).toContain(`${d}/`);
        expect(underRun.filter((k) => k === `${d}/`)).toHaveLength(1);
      });

      it('lists in UTF-8 byte order, as S3 does (U+FFFD before U+1F600)', async () => {
        const d2 = dir();
        for (const rel of ['\u{1F600}', '\uFFFD', 'a/c', 'a.b']) await bucket.put(`${d2}/${rel}`, Buffer.from('x'));
        expect(await listAll(bucket, d2, { recursive: true })).toEqual(
          ['a.b', 'a/c', '\uFFFD', '\u{1F600}'].map((rel) => `${d2}/${rel}`),
        );
      });
    });

    describe('delete', () => {
      it('removes the object: exists is false, get throws, list omits it, siblings stay', async () => {
        const d = dir();
        await bucket.put(`${d}/x/gone`, Buffer.from('1'));
        await bucket.put(`${d}/x/kept`, Buffer.from('2'));
        await bucket.delete(`${d}/x/gone`);
        expect(await bucket.exists(`${d}/x/gone`)).toBe(false);
        await expect(bucket.get(`${d}/x/gone`)).rejects.toBeInstanceOf(ObjectNotFoundError);
        expect(await listAll(bucket, d, { recursive: true })).toEqual([`${d}/x/kept`]);
        expect((await bucket.get(`${d}/x/kept`)).toString()).toBe('2');
      });

      it('removes the last object of a directory, and the directory leaves the listing', async () => {
        const d = dir();
        await bucket.put(`${d}/only/child`, Buffer.from('1'));
        await bucket.put(`${d}/other`, Buffer.from('1'));
        await bucket.delete(`${d}/only/child`);
        expect(await listAll(bucket, d)).toEqual([`${d}/other`]);
      });

      it('succeeds for a missing object', async () => {
        await expect(bucket.delete(`${dir()}/never-written`)).resolves.toBeUndefined();
      });
    });

    describe('attributes', () => {
      it('reports the size and a last-modified time close to now', async () => {
        const key = `${dir()}/obj`;
        const before = Date.now();
        await bucket.put(key, Buffer.alloc(1234, 1));
        const after = Date.now();
        const attrs = await bucket.attributes(key);
        expect(attrs.size).toBe(1234);
        // S3 keeps whole seconds; allow for that and for a little clock skew with the server.
        expect(attrs.lastModifiedMs).toBeGreaterThanOrEqual(before - 10_000);
        expect(attrs.lastModifiedMs).toBeLessThanOrEqual(after + 10_000);
      });
    });

    describe('key validation', () => {
      it.each([
        ['an empty key', ''],
        ['an absolute key', '/etc/passwd'],
        ['a key with ..', 'a/../b'],
        ['a key starting with ..', '../escape'],
        ['a key that is ..', '..'],
        ['a key with .', './a'],
        ['a key with an empty segment', 'a//b'],
        ['a key with a trailing /', 'dir/'],
        ['a key with a NUL', 'a\0b'],
        ['a key using the reserved temp-file prefix', 'x/.panoptes-tmp-123'],
        ['a key longer than 1024 bytes', 'k'.repeat(1025)],
      ])('rejects %s with a ValidationError on put and get', async (_case, key) => {
        await expect(bucket.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(ValidationError);
        await expect(bucket.get(key)).rejects.toBeInstanceOf(ValidationError);
        await expect(bucket.exists(key)).rejects.toBeInstanceOf(ValidationError);
      });

      it('rejects a list prefix with ..', async () => {
        await expect(listAll(bucket, '../')).rejects.toBeInstanceOf(ValidationError);
      });
    });
  });
}

/** Deterministic, non-repeating-looking bytes: byte i of the stream is a function of i. */
export function patternBytes(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let j = 0; j < length; j++) {
    const i = offset + j;
    out[j] = (i * 31 + (i >>> 8) * 7 + (i >>> 16) * 13) & 0xff;
  }
  return out;
}

/** A Readable producing patternBytes(0, size) in chunks, generated on demand (never whole). */
export function patternStream(size: number, chunkSize: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, size - offset);
      this.push(patternBytes(offset, n));
      offset += n;
    },
  });
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
