import { getEventListeners } from 'node:events';
import { FakeClock, SystemClock, sleep } from './clock';

describe('FakeClock', () => {
  it('wakes sleepers in deadline order as time advances', async () => {
    const clock = new FakeClock(1000);
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
    await clock.advance(200);
    expect(woke).toEqual(['a@1100']);
    await clock.advance(200);
    expect(woke).toEqual(['a@1100', 'b@1300']);
    expect(clock.now()).toBe(1400);
  });

  it('rejects an aborted sleep and forgets it', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingSleepers).toBe(0);
  });

  it('leaves no abort listener behind after a normal wake-up', async () => {
    const clock = new FakeClock();
    const ac = new AbortController();
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    ac.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      listeners--;
      remove(...args);
    }) as typeof remove;
    for (let i = 0; i < 20; i++) {
      const p = clock.sleep(10, ac.signal);
      await clock.advance(10);
      await p;
    }
    expect(listeners).toBe(0);
  });
});

describe('SystemClock', () => {
  it('sleeps and can be aborted', async () => {
    const clock = new SystemClock();
    const before = clock.now();
    await clock.sleep(5);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 4);
    const ac = new AbortController();
    const p = clock.sleep(10_000, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });
});

describe('sleep', () => {
  it('resolves after the delay and leaves no listener on the signal', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await sleep(1, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it.each([
    { name: 'aborts while sleeping', abortAfterMs: 5 },
    { name: 'is already aborted', abortAfterMs: -1 },
  ])('resolves at once when the signal $name', async ({ abortAfterMs }) => {
    const ac = new AbortController();
    if (abortAfterMs < 0) ac.abort();
    else setTimeout(() => ac.abort(), abortAfterMs);
    const started = Date.now();
    await sleep(60_000, ac.signal);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
