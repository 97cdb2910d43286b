import { ValidationError } from '@panoptes/common';
import { InstanceDesc, RingDesc, decodeRingDesc, encodeRingDesc, updateInstance } from './ring-desc';
import { RandomTokenGenerator, seededRandom } from './tokens';

const inst = (tokens: number[], extra: Partial<InstanceDesc> = {}): InstanceDesc => ({
  addr: 'a:1',
  zone: 'z',
  state: 'ACTIVE',
  tokens,
  heartbeatMs: 5,
  registeredAtMs: 1,
  ...extra,
});

describe('ring desc codec', () => {
  it('round-trips a ring through JSON bytes', () => {
    const desc: RingDesc = { instances: { a: inst([1, 2, 0xffffffff]), b: inst([3], { readOnly: true, state: 'LEAVING' }) } };
    expect(decodeRingDesc(encodeRingDesc(desc))).toEqual(desc);
  });

  it('reads a missing or empty value as an empty ring', () => {
    expect(decodeRingDesc(undefined)).toEqual({ instances: {} });
    expect(decodeRingDesc(Buffer.alloc(0))).toEqual({ instances: {} });
  });

  it('sorts tokens it reads', () => {
    const raw = Buffer.from(JSON.stringify({ instances: { a: inst([9, 3, 5]) } }));
    expect(decodeRingDesc(raw).instances.a.tokens).toEqual([3, 5, 9]);
  });

  it.each([
    { name: 'not JSON', raw: '{nope' },
    { name: 'no instances object', raw: '{"ingesters":{}}' },
    { name: 'an unknown state', raw: JSON.stringify({ instances: { a: { ...inst([1]), state: 'DANCING' } } }) },
    { name: 'a token beyond uint32', raw: JSON.stringify({ instances: { a: inst([2 ** 32]) } }) },
    { name: 'a negative token', raw: JSON.stringify({ instances: { a: inst([-1]) } }) },
  ])('rejects a corrupt ring ($name) with ValidationError', ({ raw }) => {
    expect(() => decodeRingDesc(Buffer.from(raw))).toThrow(ValidationError);
  });

  it('updateInstance changes only the named entry and leaves the input untouched', () => {
    const desc: RingDesc = { instances: { a: inst([1]), b: inst([2]) } };
    const next = updateInstance(desc, 'a', (cur) => ({ ...cur!, state: 'LEAVING', tokens: [7, 4] }));
    expect(next.instances.a).toEqual(inst([4, 7], { state: 'LEAVING' }));
    expect(next.instances.b).toBe(desc.instances.b);
    expect(desc.instances.a.state).toBe('ACTIVE');
    expect(Object.keys(updateInstance(desc, 'b', () => undefined).instances)).toEqual(['a']);
  });
});

describe('RandomTokenGenerator', () => {
  it.each([1, 128, 512])('generates %i sorted unique uint32 tokens', (count) => {
    const tokens = new RandomTokenGenerator(seededRandom(9)).generate(count, new Set());
    expect(tokens).toHaveLength(count);
    expect(new Set(tokens).size).toBe(count);
    expect([...tokens].sort((a, b) => a - b)).toEqual(tokens);
    expect(tokens.every((t) => Number.isInteger(t) && t >= 0 && t <= 0xffffffff)).toBe(true);
  });

  it('never returns a taken token, even when its random source proposes exactly those first', () => {
    const taken = new Set(new RandomTokenGenerator(seededRandom(5)).generate(128, new Set()));
    // Same seed: the first 128 candidates are all taken.
    const fresh = new RandomTokenGenerator(seededRandom(5)).generate(128, taken);
    expect(fresh).toHaveLength(128);
    expect(fresh.filter((t) => taken.has(t))).toEqual([]);
  });
});
