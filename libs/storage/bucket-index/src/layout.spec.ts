import { blockId } from './testing/blocks';
import { globalMarkerKey, isBlockId, parseGlobalMarkerName } from './layout';
import { isReservedTenantDir } from './tenants';

const ID = blockId(1);

describe('object layout', () => {
  it.each([
    ['a ULID as Prometheus writes it', ID, true],
    ['a lower-case ULID', ID.toLowerCase(), false],
    ['a ULID past the 48-bit time range', `8${ID.slice(1)}`, false],
    ['a ULID with a letter Crockford leaves out', `${ID.slice(0, 25)}U`, false],
    ['a ULID with a suffix', `${ID}.tmp-for-creation`, false],
    ['the markers directory', 'markers', false],
  ])('isBlockId: %s → %s', (_case, name, want) => {
    expect(isBlockId(name)).toBe(want);
  });

  it.each([
    ['a deletion mark', `${ID}-deletion-mark.json`, { id: ID, kind: 'deletion' }],
    ['a no-compact mark', `${ID}-no-compact-mark.json`, { id: ID, kind: 'no-compact' }],
    ['a tenant deletion mark', 'tenant-deletion-mark.json', undefined],
    ['a mark of an unknown kind', `${ID}-other-mark.json`, undefined],
    ['a mark of a name that is not a ULID', `x${ID.slice(1)}-deletion-mark.json`, undefined],
  ])('parseGlobalMarkerName: %s', (_case, name, want) => {
    expect(parseGlobalMarkerName(name)).toEqual(want);
  });

  it('names global markers as Mimir does', () => {
    expect(globalMarkerKey('t1', ID, 'deletion')).toBe(`t1/markers/${ID}-deletion-mark.json`);
    expect(globalMarkerKey('t1', ID, 'no-compact')).toBe(`t1/markers/${ID}-no-compact-mark.json`);
  });

  it.each([
    ['a tenant', 'tenant-1', false],
    ['a tenant with every allowed punctuation', "a!-_.*'()", false],
    ['a bucket-wide directory starting with __', '__markers__', true],
    ['another __ name', '__debug__', true],
    ['a name a tenant cannot have', 'a b', true],
    ['a name longer than a tenant ID', 'x'.repeat(151), true],
  ])('isReservedTenantDir: %s', (_case, name, want) => {
    expect(isReservedTenantDir(name)).toBe(want);
  });
});
