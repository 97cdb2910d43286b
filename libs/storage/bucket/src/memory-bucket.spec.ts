import { FakeClock } from '@panoptes/common';
import { InMemoryBucket } from './memory-bucket';
import { PrefixedBucket } from './prefixed-bucket';
import { runBucketContract } from './testing/bucket.contract';

runBucketContract('InMemoryBucket', () => new InMemoryBucket());
runBucketContract('PrefixedBucket over InMemoryBucket', () => new PrefixedBucket(new InMemoryBucket(), 'tenant-1'));

describe('InMemoryBucket', () => {
  it('stamps objects with the injected clock', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const bucket = new InMemoryBucket('mem', clock);
    await bucket.put('a', Buffer.from('x'));
    expect(await bucket.attributes('a')).toEqual({ size: 1, lastModifiedMs: 1_700_000_000_000 });
  });

  it('keeps its own copies: mutating what was put or got does not change the object', async () => {
    const bucket = new InMemoryBucket();
    const body = Buffer.from('abc');
    await bucket.put('a', body);
    body[0] = 0x7a;
    (await bucket.get('a'))[1] = 0x7a;
    expect((await bucket.get('a')).toString()).toBe('abc');
  });
});
