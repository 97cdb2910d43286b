import { PartitionRingDesc } from './partition-ring-desc';
import { InstanceDesc, RingDesc } from './ring-desc';
import { formatAge, renderPartitionRingHtml, renderPartitionRingJson, renderRingHtml, renderRingJson } from './status-page';

const NOW = 1_700_000_000_000;

const inst = (zone: string, tokens: number[], heartbeatAgeMs: number, extra: Partial<InstanceDesc> = {}): InstanceDesc => ({
  addr: `10.0.0.1:9095`,
  zone,
  state: 'ACTIVE',
  tokens,
  heartbeatMs: NOW - heartbeatAgeMs,
  registeredAtMs: NOW - 3_600_000,
  ...extra,
});

const ring: RingDesc = {
  instances: {
    'ingester-b': inst('zone-a', [0x40000000], 5_000),
    'ingester-a': inst('zone-b', [0x80000000], 120_000, { state: 'LEAVING' }),
    'ingester-c': inst('zone-a', [0xc0000000, 0xffffffff], 0),
  },
};

describe('renderRingJson', () => {
  const rows = renderRingJson(ring, NOW, 60_000);

  it('gives one row per instance, sorted by zone then id', () => {
    expect(rows.map((r) => r.id)).toEqual(['ingester-b', 'ingester-c', 'ingester-a']);
  });

  it.each([
    { id: 'ingester-b', tokens: 1, ownershipPercent: 25, healthy: true, heartbeatAgeMs: 5_000, state: 'ACTIVE' },
    { id: 'ingester-a', tokens: 1, ownershipPercent: 25, healthy: false, heartbeatAgeMs: 120_000, state: 'LEAVING' },
    { id: 'ingester-c', tokens: 2, ownershipPercent: 50, healthy: true, heartbeatAgeMs: 0, state: 'ACTIVE' },
  ])('$id: $tokens tokens, $ownershipPercent% ownership, healthy=$healthy', ({ ownershipPercent, ...expected }) => {
    const row = rows.find((r) => r.id === expected.id)!;
    expect(row).toMatchObject(expected);
    expect(row.ownershipPercent).toBeCloseTo(ownershipPercent, 6);
  });
});

describe('renderRingHtml', () => {
  it('renders a complete page with a row per instance and the unhealthy one marked', () => {
    const html = renderRingHtml(ring, NOW, 60_000, { title: 'Ingester ring' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Ingester ring</title>');
    expect(html.match(/<tr class="(un)?healthy">/g)).toHaveLength(3);
    expect(html).toContain('<tr class="unhealthy"><td>ingester-a</td><td>zone-b</td><td>LEAVING</td>');
    expect(html).toContain('2m ago <strong>(unhealthy)</strong>');
    expect(html).toContain('<td>50.00%</td>');
    expect(html).not.toContain('<form');
  });

  it('adds a forget button per instance posting forget=<id> when given a forget action', () => {
    const html = renderRingHtml(ring, NOW, 60_000, { forgetAction: '/ingester/ring' });
    expect(html.match(/<form method="post" action="\/ingester\/ring">/g)).toHaveLength(3);
    expect(html).toContain('<input type="hidden" name="forget" value="ingester-a">');
  });

  it('escapes values coming from the ring', () => {
    const evil: RingDesc = { instances: { '<script>x</script>': inst('"z"', [1], 0, { addr: 'a&b' }) } };
    const html = renderRingHtml(evil, NOW, 60_000, { forgetAction: '/r' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;x&#60;/script&#62;');
    expect(html).toContain('a&#38;b');
    expect(html).toContain('value="&#60;script&#62;x&#60;/script&#62;"');
  });
});

describe('partition ring status', () => {
  const desc: PartitionRingDesc = {
    partitions: {
      1: { state: 'ACTIVE', stateChangedAtMs: NOW - 60_000 },
      0: { state: 'ACTIVE', stateChangedAtMs: NOW - 60_000 },
      2: { state: 'INACTIVE', stateChangedAtMs: NOW - 5_000 },
    },
    owners: {
      'ingester-zone-b-0': { ownerId: 'ingester-zone-b-0', partitionId: 0, state: 'ACTIVE', updatedAtMs: NOW },
      'ingester-zone-a-0': { ownerId: 'ingester-zone-a-0', partitionId: 0, state: 'ACTIVE', updatedAtMs: NOW },
      'ingester-zone-a-2': { ownerId: 'ingester-zone-a-2', partitionId: 2, state: 'DELETED', updatedAtMs: NOW },
    },
  };

  it('gives one row per partition with its owners and share of writes', () => {
    const rows = renderPartitionRingJson(desc, NOW);
    expect(rows.map((r) => [r.id, r.state, r.stateAgeMs, r.owners.map((o) => o.ownerId)])).toEqual([
      [0, 'ACTIVE', 60_000, ['ingester-zone-a-0', 'ingester-zone-b-0']],
      [1, 'ACTIVE', 60_000, []],
      [2, 'INACTIVE', 5_000, ['ingester-zone-a-2']],
    ]);
    expect(rows[0].ownershipPercent + rows[1].ownershipPercent).toBeCloseTo(100, 6);
    expect(rows[2].ownershipPercent).toBe(0);
  });

  it('renders a complete page, striking through owners that left', () => {
    const html = renderPartitionRingHtml(desc, NOW);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('3 partitions: 2 ACTIVE, 0 PENDING, 1 INACTIVE');
    expect(html).toContain('<s>ingester-zone-a-2</s>');
    expect(html).toContain('<tr class="inactive"><td>2</td><td>INACTIVE</td><td>5s ago</td>');
  });
});

describe('formatAge', () => {
  it.each([
    { ms: 0, text: '0s ago' },
    { ms: 1_400, text: '1s ago' },
    { ms: 65_000, text: '1m 5s ago' },
    { ms: 3_600_000, text: '1h ago' },
    { ms: 90_061_000, text: '1d 1h ago' },
    { ms: -2_000, text: 'in 2s' },
  ])('$ms ms is "$text"', ({ ms, text }) => {
    expect(formatAge(ms)).toBe(text);
  });
});
