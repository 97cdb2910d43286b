import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { AppendOutcome } from './head-appender';
import { defaultHeadConfig } from './head-config';
import { readHeadSnapshot, writeHeadSnapshot } from './head-snapshot';
import { Matcher } from './matcher';
import { HOUR, newHead, read, seriesRef, T0 } from './testing/head-test-util';

// A forced cut (the ingester's flush) ends just after the head's newest sample, inside the open
// block range: [minT, maxTime + 1). What the head must do afterwards.

const MIN = 60_000;
const ALL = [new Matcher('=~', 'job', '.+')];
const A = { __name__: 'm', job: 'a' };
const B = { __name__: 'm', job: 'b' };

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsdb-forced-cut-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const blockDir = () => join(root, `b${n++}`);

/** A head with A at T0, T0+10m, T0+20m and B at T0 only, then a forced cut at T0+20m+1. */
async function flushedHead(oooWindowMs = 0) {
  const head = newHead({ outOfOrderTimeWindowMs: oooWindowMs });
  const a = seriesRef(head, A);
  const b = seriesRef(head, B);
  const app = head.appender();
  for (const t of [T0, T0 + 10 * MIN, T0 + 20 * MIN]) app.append(a, t, t);
  app.append(b, T0, 1);
  expect(app.commit().rejected).toBe(0);
  const end = head.maxTime + 1;
  const meta = await head.cutBlock(T0, end, blockDir());
  return { head, a, b, end, meta: meta! };
}

describe('Head after a forced cut up to its newest sample', () => {
  it('writes a block [minT, newest + 1) and keeps every sample for queries', async () => {
    const { head, end, meta } = await flushedHead();
    expect({ minTime: meta.minTime, maxTime: meta.maxTime, samples: meta.stats.numSamples }).toEqual({ minTime: T0, maxTime: end, samples: 4 });
    expect(head.cutEnd).toBe(end);
    expect(read(head, ALL).map((s) => s.ts)).toEqual([[T0, T0 + 10 * MIN, T0 + 20 * MIN], [T0]]);
  });

  it.each([
    { name: 'no out-of-order window', oooWindowMs: 0 },
    { name: 'a 1h out-of-order window', oooWindowMs: HOUR },
  ])('accepts samples from the cut end on and refuses older ones, whatever the series ($name)', async ({ oooWindowMs }) => {
    const { head, a, b, end } = await flushedHead(oooWindowMs);
    const app = head.appender();
    const outcomes = {
      // B's newest is T0: without the cut's floor these would be in order and within maxTime − 1h.
      bBeforeEnd: app.append(b, T0 + 5 * MIN, 1),
      bJustBeforeEnd: app.append(b, end - 1, 1),
      bAtEnd: app.append(b, end, 1),
      aAfterEnd: app.append(a, end + MIN, 1),
    };
    app.commit();
    expect(outcomes).toEqual({
      bBeforeEnd: AppendOutcome.tooOld,
      bJustBeforeEnd: AppendOutcome.tooOld,
      bAtEnd: AppendOutcome.appended,
      aAfterEnd: AppendOutcome.appended,
    });
    expect(head.rejectionError(AppendOutcome.tooOld, b, T0 + 5 * MIN, end).message).toMatch(/end of the last block cut/);
  });

  it('keeps a later out-of-order sample at or after the cut end, but none before it', async () => {
    const { head, a, end } = await flushedHead(HOUR);
    const app = head.appender();
    app.append(a, end + 10 * MIN, 1);
    const outcomes = [app.append(a, end + 5 * MIN, 2), app.append(a, end, 3), app.append(a, end - 1, 4)];
    app.commit();
    expect(outcomes).toEqual([AppendOutcome.appendedOutOfOrder, AppendOutcome.appendedOutOfOrder, AppendOutcome.tooOld]);
  });

  it('starts a new chunk at the cut end, so truncating there drops exactly the samples in the block', async () => {
    const { head, a, b, end } = await flushedHead();
    const app = head.appender();
    app.append(a, end + MIN, 1);
    app.append(b, end + 2 * MIN, 2);
    app.commit();
    const chunkRanges = [...head.select(ALL, -Infinity, Infinity)].map((s) => s.chunks.map((c) => [c.minT, c.maxT]));
    expect(chunkRanges).toEqual([
      [
        [T0, T0 + 20 * MIN],
        [end + MIN, end + MIN],
      ],
      [
        [T0, T0],
        [end + 2 * MIN, end + 2 * MIN],
      ],
    ]);
    head.truncate(end);
    expect(read(head, ALL).map((s) => s.ts)).toEqual([[end + MIN], [end + 2 * MIN]]);
    expect(head.minTime).toBe(end + MIN);
  });

  it('cuts the rest of the range later without any sample of the first block', async () => {
    const { head, a, end } = await flushedHead();
    const app = head.appender();
    app.append(a, end + MIN, 1);
    app.append(a, T0 + 2 * HOUR + HOUR, 2); // closes [T0, T0+2h)
    app.commit();
    const rest = (await head.cutBlock(end, T0 + 2 * HOUR, blockDir()))!;
    expect({ minTime: rest.minTime, maxTime: rest.maxTime, samples: rest.stats.numSamples }).toEqual({ minTime: end + MIN, maxTime: end + MIN + 1, samples: 1 });
  });

  it('keeps the cut end in a snapshot: the loaded head refuses what was cut and accepts what is newer', async () => {
    const { head, b, end } = await flushedHead();
    const file = join(root, 'snapshot');
    await writeHeadSnapshot(file, 1, [head]);
    const loaded = (await readHeadSnapshot(file, defaultHeadConfig(), nopLogger, () => new Registry())).heads.get('tenant-1')!;
    expect(loaded.cutEnd).toBe(end);
    const app = loaded.appender();
    expect([app.append(b, end - 1, 1), app.append(b, end, 1)]).toEqual([AppendOutcome.tooOld, AppendOutcome.appended]);
    app.commit();
    expect(read(loaded, [new Matcher('=', 'job', 'b')])[0].ts).toEqual([T0, end]);
  });

  it('markCut makes a head that did not see the cut (older snapshot, replay) refuse older samples, and never lowers the floor', () => {
    const head = newHead();
    const b = seriesRef(head, B);
    head.markCut(T0 + 20 * MIN);
    head.markCut(T0);
    expect(head.cutEnd).toBe(T0 + 20 * MIN);
    const app = head.appender();
    expect([app.append(b, T0 + 20 * MIN - 1, 1), app.append(b, T0 + 20 * MIN, 1)]).toEqual([AppendOutcome.tooOld, AppendOutcome.appended]);
    app.commit();
  });
});
