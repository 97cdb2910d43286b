import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the zlib/gzip polynomial). Node ≥ 20.15 / 22.2 ships it as `zlib.crc32`
 * (native, fast); older runtimes get the table-driven version below, which computes the same
 * checksum, so WAL files are portable between them.
 */
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data, previous = 0) => zlib.crc32(data, previous) : tableCrc32;

let table: Uint32Array | undefined;

/** `previous`: the CRC of the bytes before `data` (the checksum of both, continued), 0 to start. */
export function tableCrc32(data: Uint8Array, previous = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
