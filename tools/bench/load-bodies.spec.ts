import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompressSnappy, RemoteWriteDecoder } from '@panoptes/proto';
import { buildLoadBodies, type LoadBodiesOptions, readLoadBodies, writeLoadBodies } from './load-bodies';

const options: LoadBodiesOptions = { series: 900, windows: 3, intervalMs: 5000, maxSamplesPerRequest: 400, seed: 2 };

describe('load bodies', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'load-bodies-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('window w holds sample w of every series, inside interval w after the start, which lies after the build', () => {
    const before = Date.now();
    const b = buildLoadBodies(options);
    expect(b.startMs).toBeGreaterThan(before);
    expect(b.groups).toBe(3);
    expect(b.bodies).toHaveLength(options.windows * b.groups);
    expect(b.families.reduce((n, [, c]) => n + c, 0)).toBe(options.series);
    const decoder = new RemoteWriteDecoder();
    for (let w = 0; w < options.windows; w++) {
      const series = new Set<string>();
      for (const x of b.bodies.slice(w * b.groups, (w + 1) * b.groups)) {
        const req = decoder.decode(decompressSnappy(x.body, 1 << 26), 1);
        expect(req.sampleCount).toBe(x.samples);
        for (let s = 0; s < req.seriesCount; s++) {
          series.add(req.seriesString(s));
          const t = req.timestamps[req.seriesSampleStart[s]];
          expect(t).toBeGreaterThanOrEqual(b.startMs + w * options.intervalMs);
          expect(t).toBeLessThan(b.startMs + (w + 1) * options.intervalMs);
        }
      }
      expect(series.size).toBe(options.series);
    }
  });

  it('the file the child process writes reads back to the same bodies', () => {
    const file = join(dir, 'bodies.bin');
    execFileSync(process.execPath, [join(__dirname, 'load-bodies.js'), JSON.stringify(options), file]);
    const fromChild = readLoadBodies(file);
    const again = join(dir, 'again.bin');
    writeLoadBodies(again, fromChild);
    const reread = readLoadBodies(again);
    expect(reread.startMs).toBe(fromChild.startMs);
    expect(reread.families).toEqual(fromChild.families);
    expect(reread.bodies.map((x) => [x.samples, x.rawBytes, x.body.toString('base64')])).toEqual(fromChild.bodies.map((x) => [x.samples, x.rawBytes, x.body.toString('base64')]));
    expect(fromChild.bodies.reduce((n, x) => n + x.samples, 0)).toBe(options.series * options.windows);
  });
});
