export { seededRandom } from '@panoptes/common';

/** A float64 from its bit pattern, through a typed array so NaN payloads survive. */
export function floatFromBits(hi: number, lo: number): number {
  const buf = Buffer.alloc(8);
  buf.writeUInt32BE(hi >>> 0, 0);
  buf.writeUInt32BE(lo >>> 0, 4);
  return buf.readDoubleBE(0);
}

/** Prometheus' staleness marker: a NaN with payload 2 (0x7ff0000000000002). */
export const STALE_NAN_HI = 0x7ff00000;
export const STALE_NAN_LO = 0x00000002;

/** Bit patterns of a Float64Array as hex strings, for exact comparisons (NaN payloads included). */
export function bitsOf(values: Float64Array): string[] {
  const b = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) out.push(b.subarray(i * 8, i * 8 + 8).toString('hex'));
  return out;
}
