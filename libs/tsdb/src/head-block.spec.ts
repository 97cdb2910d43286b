import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BlockMeta, BlockReader, compareLabels, Labels, TENANT_ID_EXTERNAL_LABEL } from '@panoptes/block-formats';
import { describeWithTool } from '@panoptes/testing';
import { Head } from './head';
import { HOUR, newHead, read, seededRandom, seriesRef, T0 } from './testing/head-test-util';
import { Matcher } from './matcher';

const run = promisify(execFile);
const BLOCK = 2 * HOUR;

/** Go's strconv.Unquote for the escapes `strconv.Quote` emits for printable UTF-8. */
function goUnquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    if (e[0] === 'x' || e[0] === 'u' || e[0] === 'U') return String.fromCodePoint(parseInt(e.slice(1), 16));
    return e;
  });
}

interface Sample {
  labels: Labels;
  t: number;
  v: number;
}

/** `promtool tsdb dump` lines: `{a="b", c="d"} <%g value> <ms timestamp>`. */
function parseDump(stdout: string): Sample[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const tAt = line.lastIndexOf(' ');
      const vAt = line.lastIndexOf(' ', tAt - 1);
      const labels: Array<[string, string]> = [];
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")(?:, |\})/gu;
      const text = line.slice(0, vAt);
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) labels.push([m[1], goUnquote(m[2])]);
      const vText = line.slice(vAt + 1, tAt);
      const v = vText === '+Inf' ? Infinity : vText === '-Inf' ? -Infinity : Number(vText);
      return { labels, v, t: Number(line.slice(tAt + 1)) };
    });
}

const sameValue = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : a === b);

interface Written {
  labels: Labels;
  ts: number[];
  /** Value words [hi, lo] per sample. */
  bits: Array<[number, number]>;
}

/**
 * ~40 series over [T0 - 40m, T0 + 2h + 40m) at irregular intervals, some only inside or outside
 * [T0, T0 + 2h), with NaN, ±Inf and staleness markers; names and values with UTF-8 and quotes.
 */
function fill(head: Head): Written[] {
  const rnd = seededRandom(11);
  const out: Written[] = [];
  const f64 = new Float64Array(1);
  const u32 = new Uint32Array(f64.buffer);
  const app = head.appender();
  for (let i = 0; i < 40; i++) {
    const labels: Array<[string, string]> = [
      ['__name__', ['http_requests_total', 'temperature_celsius', 'up'][i % 3]],
      ['instance', `host-${i}:9100`],
      ['job', i % 4 === 0 ? 'zürich "quoted" \\ 😀' : 'node'],
    ];
    const ref = seriesRef(head, Object.fromEntries(labels));
    const start = i % 10 === 1 ? T0 + 30 * 60_000 : T0 - 40 * 60_000;
    const end = i % 10 === 1 ? T0 + HOUR : i % 10 === 2 ? T0 - 5 * 60_000 : T0 + BLOCK + 40 * 60_000;
    const w: Written = { labels, ts: [], bits: [] };
    let v = rnd() * 100;
    for (let t = start + Math.floor(rnd() * 10_000); t < end; t += rnd() < 0.9 ? 15_000 : 1 + Math.floor(rnd() * 120_000)) {
      v = i % 3 === 2 ? 1 : v + (rnd() - 0.3) * 5;
      f64[0] = v;
      let hi = u32[1];
      let lo = u32[0];
      const special = rnd();
      if (i % 5 === 0 && special < 0.02) [hi, lo] = [0x7ff00000, 0x00000002]; // staleness marker
      else if (i % 5 === 0 && special < 0.03) [hi, lo] = [0x7ff00000, 0]; // +Inf
      else if (i % 5 === 0 && special < 0.04) [hi, lo] = [0x7ff80000, 0]; // NaN
      app.appendBits(ref, t, hi, lo);
      w.ts.push(t);
      w.bits.push([hi, lo]);
    }
    out.push(w);
  }
  expect(app.commit().rejected).toBe(0);
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

function valueOf([hi, lo]: [number, number]): number {
  const u32 = new Uint32Array([lo, hi]);
  return new Float64Array(u32.buffer)[0];
}

/** The written samples in [minT, maxT), in `promtool tsdb dump` order. */
function samplesIn(written: Written[], minT: number, maxT: number): Sample[] {
  const out: Sample[] = [];
  for (const w of written) {
    w.ts.forEach((t, k) => {
      if (t >= minT && t < maxT) out.push({ labels: w.labels, t, v: valueOf(w.bits[k]) });
    });
  }
  return out;
}

function mismatches(got: Sample[], want: Sample[]): string[] {
  const bad: string[] = [];
  if (got.length !== want.length) bad.push(`got ${got.length} samples, want ${want.length}`);
  for (let k = 0; k < Math.min(got.length, want.length) && bad.length < 5; k++) {
    const g = got[k];
    const w = want[k];
    if (compareLabels(g.labels, w.labels) !== 0 || g.t !== w.t || !sameValue(g.v, w.v)) {
      bad.push(`#${k}: got ${JSON.stringify(g.labels)} ${g.t} ${g.v}, want ${JSON.stringify(w.labels)} ${w.t} ${w.v}`);
    }
  }
  return bad;
}

describe('Head.cutBlock series order', () => {
  it('adds series to the block in compareLabels order whatever order they were created in (unicode, prefixes, label counts)', async () => {
    const head = newHead();
    const values = ['a', 'b', 'ab', 'a b', 'Z', 'é', '\uffff', '😀', '\ue000', 'ä', ''];
    const sets: Array<Record<string, string>> = [];
    for (const v of values) {
      sets.push({ __name__: 'm', job: v === '' ? 'x' : v });
      sets.push({ __name__: 'm', job: 'x', pod: v === '' ? 'y' : v });
      sets.push({ __name__: v === '' ? 'n' : `m${v}` });
    }
    sets.push({ __name__: 'm' }, { __name__: 'm', a: 'z' }, { __name__: 'm', zz: 'a' });
    const unique = [...new Map(sets.map((l) => [JSON.stringify(Object.entries(l).sort()), l])).values()];
    const rand = seededRandom(3);
    const shuffled = unique.map((l) => ({ l, k: rand() })).sort((a, b) => a.k - b.k).map((x) => x.l);
    const app = head.appender();
    for (const l of shuffled) app.append(seriesRef(head, l), T0 + 1000, 1);
    app.commit();
    const dir = await mkdtemp(join(tmpdir(), 'cut-order-'));
    try {
      const meta = (await head.cutBlock(T0, T0 + BLOCK, dir))!;
      const block = await BlockReader.open(join(dir, meta.ulid));
      // The index lists series in label order; the head added them in its own order, which shows
      // in the chunk refs (chunks are written as series are added): ascending iff the orders agree.
      const all = [...block.allSeries()];
      expect(all).toHaveLength(unique.length);
      expect(all.map((s) => s.labels)).toEqual(all.map((s) => s.labels).sort(compareLabels));
      const refs = all.map((s) => s.chunks[0].ref);
      expect(refs).toEqual([...refs].sort((a, b) => a - b));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithTool('promtool', 'Head.cutBlock compatibility with Prometheus 2.42', (promtool) => {
  jest.setTimeout(60_000);
  let root: string;
  let head: Head;
  let written: Written[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tsdb-head-block-'));
    head = newHead();
    written = fill(head);
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function cut(name: string, minT: number, maxT: number): Promise<{ dir: string; meta: BlockMeta }> {
    const dir = join(root, name);
    await mkdir(join(dir, 'wal'), { recursive: true }); // `promtool tsdb dump` opens the directory as a TSDB
    const meta = await head.cutBlock(minT, maxT, dir, { externalLabels: { [TENANT_ID_EXTERNAL_LABEL]: 'tenant-1' } });
    expect(meta).toBeDefined();
    return { dir, meta: meta! };
  }

  async function dump(dir: string, meta: BlockMeta): Promise<Sample[]> {
    const { stdout } = await run(promtool, ['tsdb', 'dump', `--min-time=${meta.minTime}`, `--max-time=${meta.maxTime}`, dir], {
      maxBuffer: 64 << 20,
    });
    return parseDump(stdout);
  }

  describe('an aligned block [T0, T0+2h)', () => {
    let dir: string;
    let meta: BlockMeta;
    let want: Sample[];

    beforeAll(async () => {
      ({ dir, meta } = await cut('aligned', T0, T0 + BLOCK));
      want = samplesIn(written, T0, T0 + BLOCK);
    });

    it('passes `promtool tsdb analyze`', async () => {
      const { stdout } = await run(promtool, ['tsdb', 'analyze', dir, meta.ulid], { maxBuffer: 16 << 20 });
      expect(stdout).toContain(`Block ID: ${meta.ulid}`);
      expect(stdout).toMatch(new RegExp(`^Series: ${new Set(want.map((s) => JSON.stringify(s.labels))).size}$`, 'm'));
    });

    it('dumps exactly the samples appended in the range', async () => {
      expect(mismatches(await dump(dir, meta), want)).toEqual([]);
    });

    it('has the range, stats and tenant in meta.json and reuses the head chunks as they are', async () => {
      expect(meta.minTime).toBe(want.reduce((a, s) => Math.min(a, s.t), Infinity));
      expect(meta.maxTime).toBe(want.reduce((a, s) => Math.max(a, s.t), -Infinity) + 1);
      expect(meta.stats.numSamples).toBe(want.length);
      expect(meta.thanos?.labels).toEqual({ [TENANT_ID_EXTERNAL_LABEL]: 'tenant-1' });
      // Aligned range: every chunk lies inside it, so the block has exactly the head's chunks.
      let headChunks = 0;
      for (const s of head.select([new Matcher('=~', 'job', '.+')], T0, T0 + BLOCK - 1)) headChunks += s.chunks.length;
      expect(meta.stats.numChunks).toBe(headChunks);
    });

    it('keeps every value bit for bit (staleness markers included)', async () => {
      const block = await BlockReader.open(join(dir, meta.ulid));
      let stale = 0;
      for (const s of block.allSeries()) {
        const w = written.find((x) => compareLabels(x.labels, s.labels) === 0)!;
        const { timestamps, values } = block.samples(s.ref);
        const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
        const got: Array<[number, number, number]> = [];
        for (let k = 0; k < timestamps.length; k++) got.push([timestamps[k], words[2 * k + 1], words[2 * k]]);
        const expected = w.ts.map((t, k) => [t, w.bits[k][0], w.bits[k][1]] as [number, number, number]).filter(([t]) => t >= T0 && t < T0 + BLOCK);
        expect(got).toEqual(expected);
        stale += got.filter(([, hi, lo]) => hi === 0x7ff00000 && lo === 2).length;
      }
      expect(stale).toBeGreaterThan(0);
    });
  });

  it('re-encodes the chunks crossing the edges of an unaligned range', async () => {
    const minT = T0 + 30 * 60_000 + 7_777;
    const maxT = T0 + 90 * 60_000 + 1;
    const { dir, meta } = await cut('unaligned', minT, maxT);
    const want = samplesIn(written, minT, maxT);
    expect(mismatches(await dump(dir, meta), want)).toEqual([]);
    expect(meta.stats.numSamples).toBe(want.length);
    await run(promtool, ['tsdb', 'analyze', dir, meta.ulid], { maxBuffer: 16 << 20 });
  });

  it('cuts nothing for a range without samples', async () => {
    const dir = join(root, 'empty');
    await mkdir(dir);
    expect(await head.cutBlock(T0 - 10 * BLOCK, T0 - 9 * BLOCK, dir)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('after truncate, selects nothing in the truncated range and has collected the series that ended there', async () => {
    const before = head.numSeries;
    const ended = written.filter((w) => w.ts[w.ts.length - 1] < T0 + BLOCK).length;
    expect(ended).toBeGreaterThan(0);
    const result = head.truncate(T0 + BLOCK);
    expect(result.seriesRemoved).toBe(ended);
    expect(head.numSeries).toBe(before - ended);
    expect(read(head, [new Matcher('=~', 'job', '.+')], -Infinity, T0 + BLOCK - 1)).toEqual([]);
    const remaining = read(head, [new Matcher('=~', 'job', '.+')]);
    expect(remaining).toHaveLength(before - ended);
    for (const s of remaining) expect(s.ts[0]).toBeGreaterThanOrEqual(T0 + BLOCK);
    const endedInstances = written.filter((w) => w.ts[w.ts.length - 1] < T0 + BLOCK).map((w) => w.labels[1][1]);
    const indexed = head.labelValues('instance');
    for (const inst of endedInstances) expect(indexed).not.toContain(inst);
    // The next block starts where the last one ended and holds the rest.
    const { dir, meta } = await cut('next', T0 + BLOCK, T0 + 2 * BLOCK);
    expect(mismatches(await dump(dir, meta), samplesIn(written, T0 + BLOCK, T0 + 2 * BLOCK))).toEqual([]);
  });
});
