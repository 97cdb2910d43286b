import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithTool, promtool } from '@panoptes/testing';
import { blockStats, findBlockDirs } from './block-stats';
import { escapeLabelValue, formatTimestampSeconds, writeOpenMetrics } from './openmetrics';
import { Dataset, generateDataset } from './series-model';

const T0 = 1_700_000_000_000;

interface ParsedSample {
  family: string;
  type: string;
  labels: Record<string, string>;
  value: number;
  timestampMs: number;
}

/** A strict reader of the subset of OpenMetrics text the writer produces; throws on anything else. */
function parseOpenMetrics(text: string): ParsedSample[] {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.pop() !== '# EOF') throw new Error('must end with "# EOF\\n"');
  const out: ParsedSample[] = [];
  const seenFamilies = new Set<string>();
  let family = '';
  let type = '';
  for (const [n, line] of lines.entries()) {
    const typeLine = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|unknown)$/.exec(line);
    if (typeLine) {
      if (seenFamilies.has(typeLine[1])) throw new Error(`line ${n + 1}: family ${typeLine[1]} declared twice (families must be contiguous)`);
      seenFamilies.add(typeLine[1]);
      [, family, type] = typeLine;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+) (\d+)\.(\d{3})$/.exec(line);
    if (!m || !family) throw new Error(`line ${n + 1}: not a sample of a declared family: ${line}`);
    const suffixes = type === 'counter' ? ['_total'] : type === 'histogram' ? ['_bucket', '_sum', '_count'] : [''];
    if (!suffixes.some((s) => m[1] === family + s)) throw new Error(`line ${n + 1}: ${m[1]} does not belong to ${type} family ${family}`);
    out.push({ family, type, labels: { __name__: m[1], ...parseLabels(m[2] ?? '') }, value: Number(m[3]), timestampMs: Number(m[4]) * 1000 + Number(m[5]) });
  }
  return out;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const name = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(text.slice(i));
    if (!name) throw new Error(`bad label at "${text.slice(i)}"`);
    i += name[0].length;
    let value = '';
    for (;;) {
      const c = text[i++];
      if (c === undefined) throw new Error('unterminated label value');
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        value += e === 'n' ? '\n' : e;
      } else value += c;
    }
    labels[name[1]] = value;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected "," at "${text.slice(i)}"`);
  }
  return labels;
}

function samplesOf(ds: Dataset): string[] {
  const out: string[] = [];
  ds.series.forEach((s, i) => {
    const labels = sortKeys(Object.fromEntries(s.names.map((n, j) => [n, s.values[j]])));
    for (let k = 0; k < ds.samplesPerSeries; k++) {
      out.push(JSON.stringify([ds.families[s.family].name, labels, ds.values[i * ds.samplesPerSeries + k], ds.timestamps[i * ds.samplesPerSeries + k]]));
    }
  });
  return out.sort();
}

describe('writeOpenMetrics', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bench-om-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes text that parses back to exactly the generated samples, families contiguous, ending with # EOF', () => {
    const ds = generateDataset({ series: 1500, samplesPerSeries: 4, seed: 11, startMs: T0 });
    const file = join(dir, 'x.om');
    const written = writeOpenMetrics(ds, file);
    const text = readFileSync(file, 'utf8');
    expect(written.bytes).toBe(Buffer.byteLength(text));
    const parsed = parseOpenMetrics(text);
    expect(written.samples).toBe(parsed.length);
    const got = parsed.map((p) => JSON.stringify([p.family, sortKeys(p.labels), p.value, p.timestampMs])).sort();
    expect(got).toEqual(samplesOf(ds));
  });

  it('keeps each series in timestamp order (promtool rejects out-of-order samples)', () => {
    const ds = generateDataset({ series: 300, samplesPerSeries: 5, seed: 2, startMs: T0 });
    const file = join(dir, 'x.om');
    writeOpenMetrics(ds, file);
    const last = new Map<string, number>();
    for (const s of parseOpenMetrics(readFileSync(file, 'utf8'))) {
      const key = JSON.stringify(sortKeys(s.labels));
      expect(s.timestampMs).toBeGreaterThan(last.get(key) ?? -1);
      last.set(key, s.timestampMs);
    }
  });

  it.each([
    ['whole seconds', 1_700_000_000_000, '1700000000.000'],
    ['milliseconds padded to three digits', 1_700_000_000_015, '1700000000.015'],
    ['the last millisecond of a second', 1_700_000_000_999, '1700000000.999'],
  ])('formats timestamps in seconds with exactly three decimals: %s', (_name, ms, text) => {
    expect(formatTimestampSeconds(ms)).toBe(text);
  });

  it.each([
    ['plain text unchanged', 'prod-eu-west-1', 'prod-eu-west-1'],
    ['quote, backslash and line feed escaped', 'a"b\\c\nd', 'a\\"b\\\\c\\nd'],
  ])('escapes label values: %s', (_name, value, text) => {
    expect(escapeLabelValue(value)).toBe(text);
    expect(parseLabels(`x="${text}"`).x).toBe(value);
  });
});

describeWithTool('promtool', 'writeOpenMetrics read by promtool', () => {
  it('promtool tsdb create-blocks-from openmetrics builds blocks holding every generated sample and series', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-om-promtool-'));
    try {
      const ds = generateDataset({ series: 400, samplesPerSeries: 3, seed: 5, startMs: T0 });
      writeOpenMetrics(ds, join(dir, 'x.om'));
      const res = await promtool(['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', join(dir, 'x.om'), join(dir, 'out')], { timeoutMs: 60_000 });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const stats = blockStats(findBlockDirs(join(dir, 'out')));
      expect(stats).toMatchObject({ blocks: 1, numSeries: 400, numSamples: 1200 });
      expect(stats.bytesPerSample).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
