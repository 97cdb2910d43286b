import { crc32c } from './crc32c';
import { Decbuf } from './encoding';
import { CorruptBlockError } from './errors';

/**
 * The `tombstones` file: magic 0x0130BA30 <4b> | version 1 <1b> |
 * (series ref <uvarint64> | mint <varint64> | maxt <varint64>)* | CRC-32C <4b>.
 * The checksum covers the tombstone entries only (not the version byte), as Prometheus writes it.
 */
export const TOMBSTONES_MAGIC = 0x0130ba30;
export const TOMBSTONES_FORMAT_V1 = 1;

export interface Tombstone {
  seriesRef: number;
  mint: number;
  maxt: number;
}

/** The tombstones file of a block with no deletions (9 bytes). */
export function encodeEmptyTombstones(): Uint8Array {
  const b = Buffer.alloc(9);
  b.writeUInt32BE(TOMBSTONES_MAGIC, 0);
  b[4] = TOMBSTONES_FORMAT_V1;
  b.writeUInt32BE(crc32c(new Uint8Array(0)), 5);
  return b;
}

export function decodeTombstones(data: Uint8Array, what = 'tombstones'): Tombstone[] {
  if (data.length < 9) throw new CorruptBlockError(`${what}: file too short (${data.length} bytes)`);
  const d = new Decbuf(data, what, 0, data.length - 4);
  const magic = d.be32();
  if (magic !== TOMBSTONES_MAGIC) throw new CorruptBlockError(`${what}: bad magic 0x${magic.toString(16)}`);
  const version = d.byte();
  if (version !== TOMBSTONES_FORMAT_V1) throw new CorruptBlockError(`${what}: unsupported version ${version}`);
  const stored = d.buf.readUInt32BE(data.length - 4);
  if (crc32c(data, 5, data.length - 4) !== stored) throw new CorruptBlockError(`${what}: checksum mismatch`);
  const out: Tombstone[] = [];
  while (d.remaining > 0) out.push({ seriesRef: d.uvarint(), mint: d.varint(), maxt: d.varint() });
  return out;
}
