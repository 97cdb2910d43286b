import { ValidationError } from '@panoptes/common';
import { listAll } from './bucket';
import { ObjectNotFoundError } from './errors';
import { InMemoryBucket } from './memory-bucket';
import { PrefixedBucket } from './prefixed-bucket';

describe('PrefixedBucket', () => {
  it('writes under the prefix in the inner bucket and reads back by relative key', async () => {
    const inner = new InMemoryBucket();
    const view = new PrefixedBucket(inner, 'tenant-1');
    await view.put('01ABC/meta.json', Buffer.from('{}'));
    expect(await listAll(inner, '', { recursive: true })).toEqual(['tenant-1/01ABC/meta.json']);
    expect(await listAll(view, '')).toEqual(['01ABC/']);
    expect((await view.get('01ABC/meta.json')).toString()).toBe('{}');
  });

  it('never shows another tenant, even one whose name starts with the same characters', async () => {
    const inner = new InMemoryBucket();
    await inner.put('tenant-10/x', Buffer.from('other'));
    await inner.put('tenant-1.x', Buffer.from('other'));
    const view = new PrefixedBucket(inner, 'tenant-1/');
    await view.put('mine', Buffer.from('mine'));
    expect(await listAll(view, '', { recursive: true })).toEqual(['mine']);
    expect(await view.exists('../tenant-10/x').catch((e: unknown) => e)).toBeInstanceOf(ValidationError);
  });

  it('names the relative key in not-found errors', async () => {
    const view = new PrefixedBucket(new InMemoryBucket('inner'), 'tenant-1');
    const err = await view.get('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectNotFoundError);
    expect((err as ObjectNotFoundError).key).toBe('missing');
    expect((err as ObjectNotFoundError).bucketName).toBe('inner/tenant-1/');
  });

  it.each([
    ['an empty prefix', ''],
    ['a prefix with ..', '../other'],
    ['an absolute prefix', '/tenant'],
  ])('rejects %s', (_case, prefix) => {
    expect(() => new PrefixedBucket(new InMemoryBucket(), prefix)).toThrow(ValidationError);
  });

  it('does not close the inner bucket it does not own', async () => {
    class RecordingBucket extends InMemoryBucket {
      closed = false;
      override async close(): Promise<void> {
        this.closed = true;
      }
    }
    const inner = new RecordingBucket();
    await new PrefixedBucket(inner, 't').close();
    expect(inner.closed).toBe(false);
  });
});
