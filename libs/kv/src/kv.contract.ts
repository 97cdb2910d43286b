/**
 * The behaviour every KvStore must have, run by each implementation's spec:
 *   runKvContract('MemoryKv', () => ...); runKvContract('RedisKv', () => ...)
 * Not a spec file itself: it only declares tests when called from one.
 */
import { PanoptesError, UnavailableError, ValidationError } from '@panoptes/common';
import { eventually } from '@panoptes/testing';
import { CasFn, CasRetriesExhaustedError, KvCasConfig, KvStore } from './kv';

export interface KvContractHarness {
  /** A new client of the store under test: every client reaches the same data (Redis: its own connection). */
  client(overrides?: Partial<KvCasConfig>): Promise<KvStore>;
  /** Closes every client the harness made and removes what the test wrote. */
  cleanup(): Promise<void>;
}

const text = (b: Buffer | undefined) => b?.toString();
const buf = (s: string) => Buffer.from(s);
const increment: CasFn = (cur) => ({ value: buf(String((cur ? Number(cur.toString()) : 0) + 1)) });

/** Asserts the observed numbers eventually end at `last` and only ever grew on the way. */
async function expectOrderedUpTo(observed: () => number[], last: number): Promise<void> {
  await eventually(() => observed()[observed().length - 1] === last, 3000);
  const seen = observed();
  for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
}

export function runKvContract(name: string, setup: () => Promise<KvContractHarness>): void {
  describe(`${name} KV contract`, () => {
    let h: KvContractHarness;
    let kv: KvStore;

    beforeEach(async () => {
      h = await setup();
      kv = await h.client();
    });

    afterEach(async () => {
      await h.cleanup();
    });

    it('get of a missing key returns undefined', async () => {
      await expect(kv.get('missing')).resolves.toBeUndefined();
    });

    it.each<{ name: string; initial: string | undefined; fn: CasFn; expected: string | undefined }>([
      { name: 'creates a missing key', initial: undefined, fn: () => ({ value: buf('a') }), expected: 'a' },
      { name: 'updates from the current value', initial: 'a', fn: (c) => ({ value: buf(`${text(c)}b`) }), expected: 'ab' },
      { name: 'deletes when the value is undefined', initial: 'a', fn: () => ({ value: undefined }), expected: undefined },
      { name: 'deleting a missing key is a no-op', initial: undefined, fn: () => ({ value: undefined }), expected: undefined },
      { name: 'null leaves an existing key unchanged', initial: 'a', fn: () => null, expected: 'a' },
      { name: 'null leaves a missing key missing', initial: undefined, fn: () => null, expected: undefined },
      { name: 'an async function commits too', initial: 'a', fn: async (c) => ({ value: buf(`${text(c)}!`) }), expected: 'a!' },
    ])('CAS $name', async ({ initial, fn, expected }) => {
      if (initial !== undefined) await kv.cas('k', () => ({ value: buf(initial) }));
      await kv.cas('k', fn);
      expect(text(await kv.get('k'))).toBe(expected);
      expect(await kv.list('k')).toEqual(expected === undefined ? [] : ['k']);
    });

    it('values are opaque bytes that round-trip exactly', async () => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await kv.cas('bin', () => ({ value: all }));
      expect((await kv.get('bin'))?.equals(all)).toBe(true);
    });

    it('a CAS function that throws aborts the CAS with its error and writes nothing', async () => {
      await kv.cas('k', () => ({ value: buf('kept') }));
      await expect(
        kv.cas('k', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(text(await kv.get('k'))).toBe('kept');
    });

    it('a CAS function asking to retry is called again with the current value', async () => {
      let calls = 0;
      await kv.cas('k', (cur) => (++calls < 3 ? { value: undefined, retry: true } : { value: buf(`${text(cur)}-${calls}`) }));
      expect(calls).toBe(3);
      expect(text(await kv.get('k'))).toBe('undefined-3');
    });

    it('delete removes a key', async () => {
      await kv.cas('k', () => ({ value: buf('v') }));
      await kv.delete('k');
      await kv.delete('k');
      expect(await kv.get('k')).toBeUndefined();
    });

    it.each([
      { name: 'a prefix matches keys under it only', prefix: 'ring/', expected: ['ring/a', 'ring/b/c'] },
      { name: 'an empty prefix matches every key', prefix: '', expected: ['other', 'ring/a', 'ring/b/c', 'ringx'] },
      { name: 'a prefix with no keys matches nothing', prefix: 'none/', expected: [] },
      { name: 'a whole key is its own prefix', prefix: 'ringx', expected: ['ringx'] },
    ])('list: $name', async ({ prefix, expected }) => {
      for (const key of ['ring/b/c', 'ring/a', 'ringx', 'other']) await kv.cas(key, () => ({ value: buf(key) }));
      expect(await kv.list(prefix)).toEqual(expected);
    });

    it.each([
      { name: 'empty', key: '' },
      { name: 'reserved "~" prefix', key: '~kv/version' },
    ])('rejects an invalid key ($name) with a ValidationError', async ({ key }) => {
      await expect(kv.get(key)).rejects.toBeInstanceOf(ValidationError);
      await expect(kv.cas(key, () => null)).rejects.toBeInstanceOf(ValidationError);
    });

    it('watchKey delivers the current value, then every committed update in order, then deletion', async () => {
      await kv.cas('n', () => ({ value: buf('0') }));
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('n', ac.signal, (v) => seen.push(text(v)));
      await eventually(() => seen.length > 0);
      expect(seen[0]).toBe('0');
      const writer = await h.client();
      for (let i = 0; i < 20; i++) await writer.cas('n', increment);
      await expectOrderedUpTo(() => seen.filter((s) => s !== undefined).map(Number), 20);
      await writer.delete('n');
      await eventually(() => seen[seen.length - 1] === undefined);
      ac.abort();
    });

    it('watchKey reports a missing key as undefined and then its creation', async () => {
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('later', ac.signal, (v) => seen.push(text(v)));
      await eventually(() => seen.length === 1);
      expect(seen).toEqual([undefined]);
      await kv.cas('later', () => ({ value: buf('here') }));
      await eventually(() => seen.length === 2);
      expect(seen).toEqual([undefined, 'here']);
      ac.abort();
    });

    it('watchPrefix delivers existing keys, then changes under the prefix only', async () => {
      await kv.cas('w/a', () => ({ value: buf('1') }));
      const ac = new AbortController();
      const state = new Map<string, string>();
      const keysSeen = new Set<string>();
      await kv.watchPrefix('w/', ac.signal, (key, v) => {
        keysSeen.add(key);
        if (v === undefined) state.delete(key);
        else state.set(key, v.toString());
      });
      await eventually(() => state.get('w/a') === '1');
      const writer = await h.client();
      await writer.cas('w/b', () => ({ value: buf('2') }));
      await writer.cas('w/a', () => ({ value: buf('3') }));
      await writer.cas('x/ignored', () => ({ value: buf('4') }));
      await writer.delete('w/b');
      await writer.cas('w/c', () => ({ value: buf('5') }));
      await eventually(() => state.get('w/c') === '5' && state.get('w/a') === '3' && !state.has('w/b'));
      expect(Object.fromEntries(state)).toEqual({ 'w/a': '3', 'w/c': '5' });
      expect(keysSeen.has('x/ignored')).toBe(false);
      ac.abort();
    });

    it('a watch stops calling back once its signal aborts', async () => {
      const ac = new AbortController();
      const seen: Array<string | undefined> = [];
      await kv.watchKey('stop', ac.signal, (v) => seen.push(text(v)));
      await eventually(() => seen.length === 1);
      ac.abort();
      await kv.cas('stop', () => ({ value: buf('after') }));
      await new Promise((r) => setTimeout(r, 100));
      expect(seen).toEqual([undefined]);
    });

    it('concurrent CAS loops from 8 clients x 50 increments end at exactly 400', async () => {
      const clients = await Promise.all(
        Array.from({ length: 8 }, () => h.client({ casMaxRetries: 1000, casBackoffMinMs: 1, casBackoffMaxMs: 10 })),
      );
      await Promise.all(
        clients.map(async (client) => {
          for (let i = 0; i < 50; i++) await client.cas('counter', increment);
        }),
      );
      expect(text(await kv.get('counter'))).toBe('400');
    });

    it('CAS gives up with CasRetriesExhaustedError after the retry bound when every attempt conflicts', async () => {
      const client = await h.client({ casMaxRetries: 3, casBackoffMinMs: 1, casBackoffMaxMs: 2 });
      await client.cas('contended', () => ({ value: buf('0') }));
      let calls = 0;
      const err = await client
        .cas('contended', async () => {
          calls++;
          // Another writer commits between this attempt's read and its write, every time.
          await client.cas('contended', increment);
          return { value: buf('mine') };
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CasRetriesExhaustedError);
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as PanoptesError).reason).toBe('kv_cas_retries_exhausted');
      expect(calls).toBe(3);
      expect(text(await client.get('contended'))).toBe('3');
    });

    it('operations on a closed store fail with UnavailableError', async () => {
      const client = await h.client();
      await client.close();
      await expect(client.get('k')).rejects.toBeInstanceOf(UnavailableError);
      await expect(client.cas('k', () => null)).rejects.toBeInstanceOf(UnavailableError);
    });
  });
}
