import { ValidationError } from '@panoptes/common';
import { formatShardId, LabelsShardHasher, validateShard, xxhash64 } from './compact-shard';

const hex = (h: { hi: number; lo: number }) => h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');

describe('compactor shards', () => {
  // Expected values from github.com/cespare/xxhash/v2 (what Prometheus' labels.Hash uses).
  it.each([
    { name: 'empty', input: Buffer.from(''), want: 'ef46db3751d8e999' },
    { name: 'one byte', input: Buffer.from('a'), want: 'd24ec4f1a98c6e5b' },
    { name: 'tail of 4 and 1 bytes', input: Buffer.from('abc'), want: '44bc2cf5ad770999' },
    { name: '39 bytes: one 32-byte stripe', input: Buffer.from('Nobody inspects the spammish repetition'), want: 'fbcea83c8a378bf1' },
    { name: '100 bytes: three stripes and tails', input: new Uint8Array(100).map((_, i) => (i * 7) & 0xff), want: '8e2272c08247d5db' },
  ])('xxhash64 matches the Go implementation ($name)', ({ input, want }) => {
    expect(hex(xxhash64(input))).toBe(want);
  });

  it.each([
    { name: 'ascii', labels: [['__name__', 'up'], ['instance', 'host-1:9100'], ['job', 'node']] as const, want: '2f275dee978830e5' },
    { name: 'utf-8', labels: [['__name__', 'temperature_celsius'], ['place', 'zürich 東京 😀']] as const, want: '652e1563c9bcaeec' },
  ])('hashes labels as Prometheus labels.Hash does ($name)', ({ labels, want }) => {
    expect(hex(new LabelsShardHasher().hash(labels))).toBe(want);
  });

  it.each([
    { count: 1, want: 0 },
    { count: 3, want: 0 },
    { count: 16, want: 5 },
    { count: 1000, want: 221 },
  ])('puts a series in shard labels.Hash() % $count = $want, as Go computes it', ({ count, want }) => {
    const labels = [['__name__', 'up'], ['instance', 'host-1:9100'], ['job', 'node']] as const;
    expect(new LabelsShardHasher().shardOf(labels, count)).toBe(want);
  });

  it('formats shard ids as Mimir does: 1-based "<i>_of_<n>"', () => {
    expect(formatShardId(0, 4)).toBe('1_of_4');
    expect(formatShardId(3, 4)).toBe('4_of_4');
  });

  it.each([
    { name: 'index equal to count', index: 2, count: 2 },
    { name: 'negative index', index: -1, count: 2 },
    { name: 'zero shards', index: 0, count: 0 },
    { name: 'fractional count', index: 0, count: 1.5 },
  ])('rejects an invalid shard ($name)', ({ index, count }) => {
    expect(() => validateShard(index, count)).toThrow(ValidationError);
  });
});
