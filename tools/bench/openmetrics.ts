import { closeSync, openSync, writeSync } from 'node:fs';
import { Dataset } from './series-model';

/**
 * Writes a data set as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`:
 * one `# TYPE` line per family followed by all of that family's samples (OpenMetrics forbids
 * interleaving families), each series' samples in timestamp order (promtool appends in file order
 * and rejects out-of-order samples), `name{labels} value timestamp` with the timestamp in seconds
 * and exactly three decimals (promtool rounds it back to the same millisecond), then `# EOF`.
 * Streamed to the file in chunks: the text is about 250 bytes per sample.
 */
export function writeOpenMetrics(ds: Dataset, path: string): { bytes: number; samples: number } {
  const bySeriesFamily: number[][] = ds.families.map(() => []);
  ds.series.forEach((s, i) => bySeriesFamily[s.family].push(i));
  const fd = openSync(path, 'w');
  let pending = '';
  let bytes = 0;
  let samples = 0;
  const flush = (): void => {
    bytes += writeSync(fd, pending);
    pending = '';
  };
  try {
    ds.families.forEach((family, f) => {
      pending += `# TYPE ${family.name} ${family.type}\n`;
      for (const i of bySeriesFamily[f]) {
        const s = ds.series[i];
        let name = '';
        const pairs: string[] = [];
        for (let j = 0; j < s.names.length; j++) {
          if (s.names[j] === '__name__') name = s.values[j];
          else pairs.push(`${s.names[j]}="${escapeLabelValue(s.values[j])}"`);
        }
        const prefix = pairs.length ? `${name}{${pairs.join(',')}} ` : `${name} `;
        const base = i * ds.samplesPerSeries;
        for (let k = 0; k < ds.samplesPerSeries; k++) {
          pending += `${prefix}${formatValue(ds.values[base + k])} ${formatTimestampSeconds(ds.timestamps[base + k])}\n`;
          samples++;
        }
        if (pending.length > 1 << 20) flush();
      }
    });
    pending += '# EOF\n';
    flush();
  } finally {
    closeSync(fd);
  }
  return { bytes, samples };
}

/** OpenMetrics label value escaping: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** Milliseconds as seconds with exactly three decimals: 1700000000015 → "1700000000.015". */
export function formatTimestampSeconds(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`timestamp must be a non-negative integer of ms, got ${ms}`);
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/** The shortest text that parses back to the same double (Go's ParseFloat reads `1e+21` too). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`the generator makes finite values only, got ${v}`);
  return String(v);
}
