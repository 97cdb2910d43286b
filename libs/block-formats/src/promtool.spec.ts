import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeWithTool } from '@panoptes/testing';
import { BlockReader } from './block-reader';
import { BlockWriter, defaultBlockWriterConfig } from './block-writer';
import { chunkRefOffset, chunkRefSegment, encodeChunkRecord, segmentFileName } from './chunk-segments';
import { compareLabels, Labels } from './labels';
import { BlockMeta, TENANT_ID_EXTERNAL_LABEL } from './meta';
import { bitsOf, seededRandom, STALE_NAN_HI, STALE_NAN_LO } from './test-util';
import { CHUNK_ENCODING_XOR, XorChunkEncoder, XorChunkIterator } from './xor-chunk';

const run = promisify(execFile);

interface Series {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
}

/** Go's strconv.Unquote for the escapes `strconv.Quote` emits for printable UTF-8. */
function goUnquote(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'x':
      case 'u':
      case 'U':
        return String.fromCodePoint(parseInt(e.slice(1), 16));
      default:
        return e;
    }
  });
}

/** One `promtool tsdb dump` line: `{a="b", c="d"} <%g value> <ms timestamp>`. */
function parseDumpLine(line: string): { labels: Labels; v: number; t: number } {
  const tAt = line.lastIndexOf(' ');
  const vAt = line.lastIndexOf(' ', tAt - 1);
  const labelText = line.slice(0, vAt);
  const labels: Array<[string, string]> = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")(?:, |\})/gu;
  let m: RegExpExecArray | null;
  while ((m = re.exec(labelText)) !== null) labels.push([m[1], goUnquote(m[2])]);
  const vText = line.slice(vAt + 1, tAt);
  const v = vText === '+Inf' ? Infinity : vText === '-Inf' ? -Infinity : vText === 'NaN' ? NaN : Number(vText);
  return { labels, v, t: Number(line.slice(tAt + 1)) };
}

const METRICS = ['http_requests_total', 'node_cpu_seconds_total', 'temperature_celsius', 'queue_depth', 'up'];
const PLACES = ['zürich', '東京', 'emoji 😀', 'say "hi" \\ ok', 'plain'];

/** ~50 series, ~1000 samples each at irregular intervals, a few NaN, ±Inf and staleness markers. */
function workload(): Series[] {
  const rnd = seededRandom(2024);
  const out: Series[] = [];
  for (let i = 0; i < 50; i++) {
    const labels: Array<[string, string]> = [
      ['__name__', METRICS[i % METRICS.length]],
      ['instance', `host-${Math.floor(i / 5)}:9100`],
      ['job', i % 2 ? 'node' : 'api'],
    ];
    if (i % 3 === 0) labels.push(['place', PLACES[i % PLACES.length]]);
    const n = 900 + Math.floor(rnd() * 200);
    const ts = new Float64Array(n);
    const vs = new Float64Array(n);
    const words = new Uint32Array(vs.buffer);
    let t = 1_700_000_000_000 + Math.floor(rnd() * 60_000);
    let v = rnd() * 100;
    for (let k = 0; k < n; k++) {
      const r = rnd();
      t += r < 0.6 ? 15_000 : r < 0.95 ? 1 + Math.floor(rnd() * 30_000) : 60_000 + Math.floor(rnd() * 600_000);
      v = i % 5 === 4 ? 1 : i % 2 ? v + Math.floor(rnd() * 10) : v + (rnd() - 0.5) * 3;
      ts[k] = t;
      vs[k] = v;
    }
    if (i % 7 === 0) {
      vs[10] = NaN;
      vs[11] = Infinity;
      vs[12] = -Infinity;
      words[13 * 2 + 1] = STALE_NAN_HI;
      words[13 * 2] = STALE_NAN_LO;
    }
    out.push({ labels, ts, vs });
  }
  return out;
}

function sameValue(a: number, b: number): boolean {
  return Number.isNaN(a) ? Number.isNaN(b) : Object.is(a, b);
}

describeWithTool('promtool', 'block-formats compatibility with Prometheus 2.42', (promtool) => {
  jest.setTimeout(60_000);

  describe('a block written by BlockWriter', () => {
    let db: string;
    let meta: BlockMeta;
    const series = workload();

    beforeAll(async () => {
      db = await mkdtemp(join(tmpdir(), 'block-formats-promtool-'));
      const w = new BlockWriter(defaultBlockWriterConfig(), db, { externalLabels: { [TENANT_ID_EXTERNAL_LABEL]: 'tenant-1' } });
      for (const s of series) await w.addSeries(s.labels, s.ts, s.vs);
      meta = await w.finish();
      // promtool opens the directory as a whole TSDB; `dump` needs a (here empty) WAL directory.
      await mkdir(join(db, 'wal'));
    });

    afterAll(async () => {
      await rm(db, { recursive: true, force: true });
    });

    it('passes `promtool tsdb analyze`', async () => {
      const { stdout } = await run(promtool, ['tsdb', 'analyze', db, meta.ulid], { maxBuffer: 16 << 20 });
      expect(stdout).toContain(`Block ID: ${meta.ulid}`);
      expect(stdout).toMatch(/^Series: 50$/m);
      expect(stdout).toMatch(/^Label names: 4$/m);
    });

    it('is listed by `promtool tsdb list` with its time range and stats', async () => {
      const { stdout } = await run(promtool, ['tsdb', 'list', db]);
      const row = stdout.split('\n').find((l) => l.startsWith(meta.ulid));
      expect(row).toBeDefined();
      const cols = row!.trim().split(/\s+/);
      const totalSamples = series.reduce((n, s) => n + s.ts.length, 0);
      // BLOCK ULID, MIN TIME, MAX TIME, DURATION, NUM SAMPLES, NUM CHUNKS, NUM SERIES, SIZE
      expect(cols.slice(1, 3).map(Number)).toEqual([meta.minTime, meta.maxTime]);
      expect(cols.slice(4, 7).map(Number)).toEqual([totalSamples, meta.stats.numChunks, 50]);
      expect(meta.stats.numSamples).toBe(totalSamples);
      expect(meta.stats.numChunks).toBeGreaterThanOrEqual(50 * 8);
    });

    it('dumps exactly the samples written through `promtool tsdb dump`', async () => {
      const { stdout } = await run(
        promtool,
        ['tsdb', 'dump', `--min-time=${meta.minTime}`, `--max-time=${meta.maxTime}`, db],
        { maxBuffer: 256 << 20 },
      );
      const lines = stdout.split('\n').filter((l) => l !== '');
      const want = [...series].sort((a, b) => compareLabels(a.labels, b.labels));
      expect(lines).toHaveLength(want.reduce((n, s) => n + s.ts.length, 0));
      let at = 0;
      const mismatches: string[] = [];
      for (const s of want) {
        for (let k = 0; k < s.ts.length; k++) {
          const got = parseDumpLine(lines[at++]);
          if (compareLabels(got.labels, s.labels) !== 0 || got.t !== s.ts[k] || !sameValue(got.v, s.vs[k])) {
            mismatches.push(`${lines[at - 1]} (want t=${s.ts[k]} v=${s.vs[k]})`);
          }
        }
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  });

  describe('a block written by promtool create-blocks-from openmetrics', () => {
    let dir: string;
    let blocks: BlockReader[];
    const T0 = 1_700_006_400_000; // a 2h boundary, so promtool's first block starts here
    const GO_NAN_HI = 0x7ff80000; // Go's math.NaN() is 0x7FF8000000000001
    const GO_NAN_LO = 0x00000001;

    /** Series of the OpenMetrics input; timestamps are multiples of 125 ms so "%.3f" seconds parse exactly. */
    const input: Series[] = (() => {
      const rnd = seededRandom(7);
      const mk = (labels: Labels, n: number, step: (k: number) => number, val: (k: number) => number): Series => {
        const ts = new Float64Array(n);
        const vs = new Float64Array(n);
        let t = T0;
        for (let k = 0; k < n; k++) {
          ts[k] = t;
          vs[k] = val(k);
          t += step(k);
        }
        return { labels, ts, vs };
      };
      // Deltas-of-deltas on both sides of every bucket boundary of the XOR timestamp encoding
      // (±8192, ±65536, ±524288 ms, then 64 bits): each size once up (+d) and once down (-d).
      const dods = [125, 8125, 8250, 65_500, 65_625, 524_250, 524_375, 1_000_000];
      const boundarySteps = [10_000, ...dods.flatMap((d) => [10_000 + d, 10_000])];
      let walk = 50;
      return [
        mk([['__name__', 'regular'], ['job', 'a']], 100, () => 15_000, (k) => k * 0.5),
        mk([['__name__', 'boundaries'], ['job', 'ü 😀']], boundarySteps.length + 1, (k) => boundarySteps[k] ?? 1000, (k) => k),
        mk([['__name__', 'walk'], ['job', 'b']], 120, () => 125 * (1 + Math.floor(rnd() * 200)), () => (walk += (rnd() - 0.5) * 7.3)),
        mk([['__name__', 'special'], ['job', 'c']], 40, () => 10_000, (k) => [NaN, Infinity, -Infinity, 0, -1.5e300, 42][k % 6]),
        mk([['__name__', 'constant'], ['job', 'd']], 90, () => 30_000, () => 3.14159),
        mk([['__name__', 'long'], ['job', 'e']], 2000, () => 9_875, (k) => Math.sin(k / 10) * 1000),
      ];
    })();

    function openMetrics(series: Series[]): string {
      const lines: string[] = [];
      const fmt = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
      for (const s of series) {
        const name = s.labels[0][1];
        lines.push(`# TYPE ${name} gauge`);
        const ls = s.labels
          .slice(1)
          .map(([n, v]) => `${n}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
          .join(',');
        for (let k = 0; k < s.ts.length; k++) lines.push(`${name}{${ls}} ${fmt(s.vs[k])} ${(s.ts[k] / 1000).toFixed(3)}`);
      }
      lines.push('# EOF', '');
      return lines.join('\n');
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'block-formats-om-'));
      await writeFile(join(dir, 'input.om'), openMetrics(input));
      await run(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'input.om'), join(dir, 'data')]);
      const ulids = (await readdir(join(dir, 'data'))).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
      blocks = await Promise.all(ulids.map((u) => BlockReader.open(join(dir, 'data', u))));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads every block and finds exactly the input samples', () => {
      expect(blocks.length).toBeGreaterThan(1); // the long series spans several 2h blocks
      const got = new Map<string, { ts: number[]; vs: number[] }>();
      for (const b of blocks) {
        for (const s of b.allSeries()) {
          const key = JSON.stringify(s.labels);
          const acc = got.get(key) ?? { ts: [], vs: [] };
          const { timestamps, values } = b.samples(s.ref);
          acc.ts.push(...timestamps);
          acc.vs.push(...values);
          got.set(key, acc);
        }
      }
      expect([...got.keys()].sort()).toEqual(input.map((s) => JSON.stringify(s.labels)).sort());
      for (const s of input) {
        const g = got.get(JSON.stringify(s.labels))!;
        expect(g.ts).toEqual(Array.from(s.ts));
        expect(g.vs.every((v, k) => sameValue(v, s.vs[k]))).toBe(true);
      }
      const numSamples = blocks.reduce((n, b) => n + b.meta.stats.numSamples, 0);
      expect(numSamples).toBe(input.reduce((n, s) => n + s.ts.length, 0));
    });

    it('encodes each series first chunk to the same bytes and checksum as Prometheus', async () => {
      const first = blocks[0];
      const it = new XorChunkIterator();
      const compared: string[] = [];
      for (const s of first.allSeries()) {
        const meta = s.chunks[0];
        const rec = first.chunk(meta.ref);
        expect(rec.encoding).toBe(CHUNK_ENCODING_XOR);
        const n = it.reset(rec.data).numSamples;
        const src = input.find((x) => compareLabels(x.labels, s.labels) === 0)!;
        const enc = new XorChunkEncoder();
        const words = new Uint32Array(src.vs.buffer);
        for (let k = 0; k < n; k++) {
          if (Number.isNaN(src.vs[k])) enc.appendBits(src.ts[k], GO_NAN_HI, GO_NAN_LO);
          else enc.appendBits(src.ts[k], words[k * 2 + 1], words[k * 2]);
        }
        expect({ series: s.labels, hex: Buffer.from(enc.bytes()).toString('hex') }).toEqual({
          series: s.labels,
          hex: Buffer.from(rec.data).toString('hex'),
        });
        // The whole record (length, encoding, data, CRC-32C) as it sits in the segment file.
        const segment = await readFile(
          join(dir, 'data', first.meta.ulid, 'chunks', segmentFileName(chunkRefSegment(meta.ref))),
        );
        const record = encodeChunkRecord(CHUNK_ENCODING_XOR, enc.bytes());
        const off = chunkRefOffset(meta.ref);
        expect(Buffer.from(segment.subarray(off, off + record.length)).equals(Buffer.from(record))).toBe(true);
        compared.push(`${s.labels[0][1]}:${n}`);
      }
      expect(compared).toHaveLength(input.length);
      expect(compared).toContain(`boundaries:${2 + 2 * 8}`);
      // Prometheus' head cuts chunks by time as well as count, so only require long first chunks.
      expect(compared.every((c) => Number(c.split(':')[1]) >= 18)).toBe(true);
    });

    it('stores the same data in no more chunk bytes per sample than Prometheus (within 10%)', async () => {
      // The same input in one block written by BlockWriter, against promtool's blocks.
      const ours = join(dir, 'ours');
      await mkdir(ours);
      const w = new BlockWriter(defaultBlockWriterConfig(), ours);
      for (const s of input) await w.addSeries(s.labels, s.ts, s.vs);
      const meta = await w.finish();
      const chunkBytes = async (blockDir: string) => {
        let total = 0;
        for (const f of await readdir(join(blockDir, 'chunks'))) total += (await stat(join(blockDir, 'chunks', f))).size;
        return total;
      };
      let theirs = 0;
      for (const b of blocks) theirs += await chunkBytes(join(dir, 'data', b.meta.ulid));
      const samples = meta.stats.numSamples;
      const oursPerSample = (await chunkBytes(join(ours, meta.ulid))) / samples;
      const theirsPerSample = theirs / samples;
      expect(oursPerSample).toBeLessThanOrEqual(theirsPerSample * 1.1);
      expect(await readFile(join(ours, meta.ulid, 'tombstones'))).toEqual(
        await readFile(join(dir, 'data', blocks[0].meta.ulid, 'tombstones')),
      );
    });

    it('reads NaN and ±Inf with the exact bits Prometheus stored', () => {
      const b = blocks[0];
      const s = [...b.allSeries()].find((x) => x.labels[0][1] === 'special')!;
      const { values } = b.samples(s.ref);
      // Little-endian hex of Go's math.NaN() (0x7FF8000000000001), +Inf and -Inf.
      expect(bitsOf(values.subarray(0, 3))).toEqual(['010000000000f87f', '000000000000f07f', '000000000000f0ff']);
    });
  });
});
