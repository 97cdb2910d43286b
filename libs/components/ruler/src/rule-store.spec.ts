import { type Bucket, InMemoryBucket, PrefixedBucket, S3Bucket, ScratchS3Bucket, listAll } from '@panoptes/bucket';
import { NotFoundError } from '@panoptes/common';
import { nopLogger } from '@panoptes/log';
import { describeWithService, uniqueName } from '@panoptes/testing';
import { parseRuleGroup } from './rulefmt';
import { RuleStore } from './rule-store';

const group = (name: string, expr = 'up') => parseRuleGroup(`name: ${JSON.stringify(name)}\nrules:\n  - record: r\n    expr: ${expr}\n`);

/** The store's behaviour on any bucket. */
function ruleStoreContract(bucket: () => Bucket) {
  let store: RuleStore;
  beforeEach(() => {
    store = new RuleStore(bucket(), nopLogger);
  });

  it("keeps each group under Mimir's key: rules/<tenant>/<base64url namespace>/<base64url group>", async () => {
    await store.setRuleGroup('t1', 'team/a b', group('cpu?'));
    expect(await listAll(bucket(), 'rules/t1/', { recursive: true })).toEqual(['rules/t1/dGVhbS9hIGI=/Y3B1Pw==']);
    expect(RuleStore.groupKey('t1', 'ns', '>>>')).toBe('rules/t1/bnM=/Pj4-');
  });

  it('lists, gets and replaces groups per tenant and namespace', async () => {
    await store.setRuleGroup('t1', 'b', group('g2'));
    await store.setRuleGroup('t1', 'a', group('g1'));
    await store.setRuleGroup('t1', 'a', group('g0'));
    await store.setRuleGroup('t2', 'a', group('other'));
    await store.setRuleGroup('t1', 'a', group('g1', 'down'));
    expect(await store.listTenants()).toEqual(['t1', 't2']);
    expect(await store.listRuleGroups('t1')).toEqual([
      { namespace: 'a', name: 'g0' },
      { namespace: 'a', name: 'g1' },
      { namespace: 'b', name: 'g2' },
    ]);
    expect(await store.listRuleGroups('t1', 'b')).toEqual([{ namespace: 'b', name: 'g2' }]);
    expect((await store.getRuleGroup('t1', 'a', 'g1')).rules[0].expr).toBe('down');
    const loaded = await store.loadRuleGroups('t1');
    expect([...loaded.keys()]).toEqual(['a', 'b']);
    expect(loaded.get('a')!.map((g) => g.name)).toEqual(['g0', 'g1']);
  });

  it('deletes groups and namespaces, and says which does not exist', async () => {
    await store.setRuleGroup('t1', 'a', group('g1'));
    await store.setRuleGroup('t1', 'a', group('g2'));
    await store.setRuleGroup('t1', 'b', group('g3'));
    await store.deleteRuleGroup('t1', 'a', 'g1');
    await expect(store.deleteRuleGroup('t1', 'a', 'g1')).rejects.toThrow(new NotFoundError('rule_group_not_found', 'group does not exist'));
    await store.deleteNamespace('t1', 'a');
    await expect(store.deleteNamespace('t1', 'a')).rejects.toThrow('group namespace does not exist');
    await expect(store.getRuleGroup('t1', 'a', 'g2')).rejects.toThrow('group does not exist');
    expect(await store.listRuleGroups('t1')).toEqual([{ namespace: 'b', name: 'g3' }]);
  });

  it('skips stored groups that no longer validate when loading', async () => {
    await store.setRuleGroup('t1', 'a', group('good'));
    await bucket().put(RuleStore.groupKey('t1', 'a', 'bad'), Buffer.from('name: bad\nrules:\n  - record: r\n    expr: sum(\n'));
    const loaded = await store.loadRuleGroups('t1');
    expect(loaded.get('a')!.map((g) => g.name)).toEqual(['good']);
  });

  it('rejects tenant IDs that are unsafe as key prefixes', async () => {
    await expect(store.setRuleGroup('../x', 'a', group('g'))).rejects.toThrow('unsupported characters');
  });
}

describe('RuleStore on an in-memory bucket', () => {
  let bucket: InMemoryBucket;
  beforeEach(() => {
    bucket = new InMemoryBucket();
  });
  ruleStoreContract(() => bucket);
});

describeWithService('s3', 'RuleStore on S3', (env) => {
  const scratch = new ScratchS3Bucket(env, uniqueName('panoptes-ruler-test'));
  let s3: S3Bucket;
  let n = 0;
  let current: Bucket;

  beforeAll(async () => {
    await scratch.create();
    s3 = new S3Bucket(scratch.config());
  });

  beforeEach(() => {
    // A fresh key space per test inside the one scratch bucket.
    current = new PrefixedBucket(s3, `case-${++n}`);
  });

  afterAll(async () => {
    await s3?.close();
    await scratch.destroy();
  });

  ruleStoreContract(() => current);
});
