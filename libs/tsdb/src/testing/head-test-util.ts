export { seededRandom } from '@panoptes/common';

// Helpers for this library's specs only (not exported from index.ts).
import { Registry } from 'prom-client';
import { nopLogger } from '@panoptes/log';
import { Head } from '../head';
import { defaultHeadConfig, HeadConfig } from '../head-config';
import { seriesHash53OfLabels } from '@panoptes/proto';
import { Matcher } from '../matcher';

/** A 2h-aligned timestamp (ms). */
export const T0 = 1_700_006_400_000;
export const HOUR = 3_600_000;

/** Prometheus' staleness marker, 0x7ff0000000000002. */
export const STALE_NAN = fromBits(0x7ff00000, 0x00000002);

export function fromBits(hi: number, lo: number): number {
  const u = new Uint32Array(2);
  const le = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  u[le ? 1 : 0] = hi;
  u[le ? 0 : 1] = lo;
  return new Float64Array(u.buffer)[0];
}

/** Big-endian hex of a float's bits. */
export function hexBits(v: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b.toString('hex');
}

export function newHead(config: Partial<HeadConfig> = {}, registry = new Registry()): Head {
  return new Head({ ...defaultHeadConfig(), ...config }, 'tenant-1', nopLogger, registry);
}

/** The sorted names and values of a label object. */
export function split(labels: Record<string, string>): [string[], string[]] {
  const names = Object.keys(labels).sort();
  return [names, names.map((n) => labels[n])];
}

export function seriesRef(head: Head, labels: Record<string, string>): number {
  const [names, values] = split(labels);
  return head.getOrCreateSeries(seriesHash53OfLabels(names, values), names, values);
}

export interface ReadSeries {
  labels: string;
  ts: number[];
  /** Values as big-endian hex bits, so NaN payloads compare exactly. */
  bits: string[];
}

/** Everything `select` returns, materialised. */
export function read(head: Head, matchers: Matcher[], minT = -Infinity, maxT = Infinity): ReadSeries[] {
  const out: ReadSeries[] = [];
  for (const s of head.select(matchers, minT, maxT)) {
    const it = s.iterator();
    const ts: number[] = [];
    const bits: string[] = [];
    const { values, timestamps } = it.readAll();
    for (let k = 0; k < timestamps.length; k++) {
      ts.push(timestamps[k]);
      const b = Buffer.from(values.buffer, values.byteOffset + k * 8, 8);
      bits.push(Buffer.from(b).reverse().toString('hex'));
    }
    out.push({ labels: s.labels.map(([n, v]) => `${n}=${v}`).join(','), ts, bits });
  }
  return out;
}

