import { decompressSnappy, RemoteWriteDecoder } from '@panoptes/proto';
import { buildRemoteWriteBodies, SteadyStateBodies } from './remote-write-bodies';
import { Dataset, generateDataset } from './series-model';

const T0 = 1_700_000_000_000;

function seriesKey(names: string[], values: string[]): string {
  return names.map((n, j) => `${n}=${values[j]}`).join(',');
}

/** Every generated sample as `series|timestamp|value`, sorted. */
function expectedSamples(ds: Dataset): string[] {
  const out: string[] = [];
  ds.series.forEach((s, i) => {
    const key = seriesKey(s.names, s.values);
    for (let k = 0; k < ds.samplesPerSeries; k++) out.push(`${key}|${ds.timestamps[i * ds.samplesPerSeries + k]}|${ds.values[i * ds.samplesPerSeries + k]}`);
  });
  return out.sort();
}

describe('buildRemoteWriteBodies', () => {
  const ds = generateDataset({ series: 700, samplesPerSeries: 7, seed: 3, startMs: T0 });

  it.each([
    ['one sample per series per request (steady state)', 1, 2000],
    ['a few samples per series per request (catching up)', 3, 2000],
    ['small requests', 2, 150],
  ])('%s: the bodies decode to exactly the generated samples', (_name, perSeries, maxSamples) => {
    const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: perSeries, maxSamplesPerRequest: maxSamples, seed: 3 });
    const decoder = new RemoteWriteDecoder();
    const got: string[] = [];
    for (const b of plan.bodies) {
      const req = decoder.decode(decompressSnappy(b.body, 64 << 20), 1);
      expect(req.sampleCount).toBe(b.samples);
      expect(req.sampleCount).toBeLessThanOrEqual(maxSamples);
      expect(req.unsortedSeriesCount).toBe(0);
      expect(req.invalidUtf8Count).toBe(0);
      for (let s = 0; s < req.seriesCount; s++) {
        const labels = req.seriesLabels(s);
        const key = seriesKey(
          labels.map((l) => l.name),
          labels.map((l) => l.value),
        );
        for (let x = req.seriesSampleStart[s]; x < req.seriesSampleStart[s + 1]; x++) got.push(`${key}|${req.timestamps[x]}|${req.values[x]}`);
      }
    }
    expect(got.sort()).toEqual(expectedSamples(ds));
    expect(plan.samples).toBe(ds.series.length * ds.samplesPerSeries);
  });

  it('orders bodies window-major, each group holding the same series in every window', () => {
    const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 2, maxSamplesPerRequest: 400, seed: 3 });
    expect(plan.groups).toBe(Math.ceil(700 / 200));
    expect(plan.windows).toBe(4);
    expect(plan.bodies.map((b) => [b.window, b.group])).toEqual(
      Array.from({ length: plan.windows * plan.groups }, (_, i) => [Math.floor(i / plan.groups), i % plan.groups]),
    );
    const decoder = new RemoteWriteDecoder();
    const seriesOf = (i: number): string[] => {
      const req = decoder.decode(decompressSnappy(plan.bodies[i].body, 64 << 20), 1);
      return Array.from({ length: req.seriesCount }, (_, s) => req.seriesString(s));
    };
    for (let g = 0; g < plan.groups; g++) expect(seriesOf(3 * plan.groups + g)).toEqual(seriesOf(g));
  });

  it('spreads series over groups (shards) instead of cutting them in scrape order', () => {
    const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 1, maxSamplesPerRequest: 100, seed: 3 });
    const decoder = new RemoteWriteDecoder();
    const req = decoder.decode(decompressSnappy(plan.bodies[0].body, 64 << 20), 1);
    const firstTen = ds.series.slice(0, 10).map((s) => seriesKey(s.names, s.values));
    const inFirst = Array.from({ length: req.seriesCount }, (_, s) => {
      const l = req.seriesLabels(s);
      return seriesKey(
        l.map((x) => x.name),
        l.map((x) => x.value),
      );
    }).filter((k) => firstTen.includes(k));
    expect(inFirst.length).toBeLessThan(10);
  });

  it('is deterministic: the same data and seed give byte-identical bodies', () => {
    const a = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 4, maxSamplesPerRequest: 2000, seed: 3 });
    const b = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 4, maxSamplesPerRequest: 2000, seed: 3 });
    expect(Buffer.concat(a.bodies.map((x) => x.body)).equals(Buffer.concat(b.bodies.map((x) => x.body)))).toBe(true);
  });

  it('rejects a request size below the samples per series it must carry', () => {
    expect(() => buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 4, maxSamplesPerRequest: 3, seed: 3 })).toThrow(/maxSamplesPerRequest/);
  });
});

describe('SteadyStateBodies', () => {
  const ds = generateDataset({ series: 700, samplesPerSeries: 5, seed: 4, startMs: T0 });
  const decoder = new RemoteWriteDecoder();
  const decode = (body: Buffer) => decoder.decode(decompressSnappy(body, 64 << 20), 1);

  it('window w decodes to sample w of every series, in the same groups as buildRemoteWriteBodies with one sample per series', () => {
    const bodies = new SteadyStateBodies(ds, 150, 4);
    const plan = buildRemoteWriteBodies(ds, { samplesPerSeriesPerRequest: 1, maxSamplesPerRequest: 150, seed: 4 });
    expect(bodies.groups).toBe(plan.groups);
    const zeros = Array.from(ds.values).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0); // the explicit 0 value is exercised
    for (let w = 0; w < ds.samplesPerSeries; w++) {
      const got = bodies.window(w);
      expect(got.map((b) => [b.window, b.group, b.samples])).toEqual(plan.bodies.slice(w * plan.groups, (w + 1) * plan.groups).map((b) => [b.window, b.group, b.samples]));
      got.forEach((b, g) => {
        const ours = decode(b.body);
        const theirs = decode(plan.bodies[w * plan.groups + g].body);
        expect(ours.unsortedSeriesCount).toBe(0);
        expect(Array.from({ length: ours.seriesCount }, (_, s) => ours.seriesString(s))).toEqual(Array.from({ length: theirs.seriesCount }, (_, s) => theirs.seriesString(s)));
        expect(Array.from(ours.timestamps.subarray(0, ours.sampleCount))).toEqual(Array.from(theirs.timestamps.subarray(0, theirs.sampleCount)));
        expect(Array.from(ours.values.subarray(0, ours.sampleCount))).toEqual(Array.from(theirs.values.subarray(0, theirs.sampleCount)));
      });
    }
  });

  it('refuses a timestamp its fixed 6-byte layout cannot hold, and a window outside the data set', () => {
    const early = generateDataset({ series: 3, samplesPerSeries: 1, seed: 4, startMs: 1000 });
    expect(() => new SteadyStateBodies(early, 10, 4).window(0)).toThrow(/outside the steady-state layout/);
    expect(() => new SteadyStateBodies(ds, 10, 4).window(5)).toThrow(/outside the data set/);
  });
});

