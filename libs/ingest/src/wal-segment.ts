import { crc32 } from './crc32';
import { ConsumedRecord, IngestRecord } from './ingest-log';

/**
 * Segment format of the in-process log (version 1). A partition is a directory of segment files
 * named by the offset of their first record (`00000000000000001234.seg`, 20 digits so names sort
 * like offsets). A segment is a sequence of entries:
 *
 *   u32 LE  payload length
 *   u32 LE  CRC-32 (IEEE) of the payload
 *   payload:
 *     u8      format version (1)
 *     f64 LE  offset (every safe integer is exact in a float64)
 *     f64 LE  timestampMs
 *     u16 LE  tenant length, tenant (UTF-8)
 *     i32 LE  key length, or -1 when there is no key; key bytes
 *     …       value: the rest of the payload
 *
 * Offsets inside a segment are consecutive from the file's base offset; a reader checks that, so
 * a stray or misplaced file cannot go unnoticed.
 */
export const SEGMENT_SUFFIX = '.seg';
const ENTRY_HEADER_BYTES = 8;
const FIXED_PAYLOAD_BYTES = 1 + 8 + 8 + 2 + 4;
const FORMAT_VERSION = 1;

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0') + SEGMENT_SUFFIX;
}

/** The base offset named by a segment file, or undefined if the name is not a segment's. */
export function parseSegmentFileName(name: string): number | undefined {
  if (!name.endsWith(SEGMENT_SUFFIX)) return undefined;
  const digits = name.slice(0, -SEGMENT_SUFFIX.length);
  if (!/^\d{20}$/.test(digits)) return undefined;
  const base = Number(digits);
  return Number.isSafeInteger(base) ? base : undefined;
}

export interface EncodedEntries {
  /**
   * What to append to the segment, in order: per record the entry's header and fields up to the
   * value (all in one small buffer), then the record's own value, which is not copied.
   */
  pieces: Uint8Array[];
  /** Total bytes of `pieces`. */
  length: number;
  /** The records as consumers will see them: key and value are the producer's buffers. */
  records: ConsumedRecord[];
}

/** Encodes records of one partition with consecutive offsets starting at `firstOffset`. */
export function encodeEntries(records: readonly IngestRecord[], firstOffset: number): EncodedEntries {
  const tenants = records.map((r) => Buffer.from(r.tenant, 'utf8'));
  let headBytes = 0;
  let length = 0;
  for (let i = 0; i < records.length; i++) {
    const head = ENTRY_HEADER_BYTES + payloadLength(records[i], tenants[i]) - records[i].value.length;
    headBytes += head;
    length += head + records[i].value.length;
  }
  const heads = Buffer.allocUnsafe(headBytes);
  const pieces: Uint8Array[] = [];
  const out: ConsumedRecord[] = new Array(records.length);
  let pos = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const tenant = tenants[i];
    const payload = payloadLength(r, tenant);
    const start = pos + ENTRY_HEADER_BYTES;
    let p = start;
    p = heads.writeUInt8(FORMAT_VERSION, p);
    p = heads.writeDoubleLE(firstOffset + i, p);
    p = heads.writeDoubleLE(r.timestampMs, p);
    p = heads.writeUInt16LE(tenant.length, p);
    p += tenant.copy(heads, p);
    if (r.key) {
      p = heads.writeInt32LE(r.key.length, p);
      p += r.key.copy(heads, p);
    } else {
      p = heads.writeInt32LE(-1, p);
    }
    heads.writeUInt32LE(payload, pos);
    // The checksum covers the payload: the fields written here, then the value where it is.
    heads.writeUInt32LE(crc32(r.value, crc32(heads.subarray(start, p))), pos + 4);
    pieces.push(heads.subarray(pos, p), r.value);
    out[i] = {
      partition: r.partition,
      tenant: r.tenant,
      ...(r.key ? { key: r.key } : {}),
      value: r.value,
      offset: firstOffset + i,
      timestampMs: r.timestampMs,
      // In memory only: the segment bytes never hold it.
      ...(r.attachment !== undefined ? { attachment: r.attachment } : {}),
    };
    pos = p;
  }
  return { pieces, length, records: out };
}

function payloadLength(r: IngestRecord, tenant: Buffer): number {
  return FIXED_PAYLOAD_BYTES + tenant.length + (r.key?.length ?? 0) + r.value.length;
}

export interface DecodedSegment {
  records: ConsumedRecord[];
  /** Bytes of the file that hold complete, valid entries; anything after is to be dropped. */
  validBytes: number;
  /** Why decoding stopped before the end of the file; undefined when the whole file is valid. */
  problem?: string;
}

/** Decodes a segment; stops at the first torn, corrupt or out-of-sequence entry. */
export function decodeSegment(bytes: Buffer, baseOffset: number, partition: number): DecodedSegment {
  const records: ConsumedRecord[] = [];
  let pos = 0;
  const fail = (problem: string): DecodedSegment => ({ records, validBytes: pos, problem });
  while (pos < bytes.length) {
    if (bytes.length - pos < ENTRY_HEADER_BYTES) return fail('torn entry header');
    const length = bytes.readUInt32LE(pos);
    const checksum = bytes.readUInt32LE(pos + 4);
    const start = pos + ENTRY_HEADER_BYTES;
    if (length < FIXED_PAYLOAD_BYTES) return fail(`entry length ${length} is too small`);
    if (start + length > bytes.length) return fail('torn entry: file ends inside it');
    const payload = bytes.subarray(start, start + length);
    if (crc32(payload) !== checksum) return fail('entry checksum mismatch');
    let p = 0;
    const version = payload.readUInt8(p);
    p += 1;
    if (version !== FORMAT_VERSION) return fail(`unknown entry format version ${version}`);
    const offset = payload.readDoubleLE(p);
    p += 8;
    const expected = baseOffset + records.length;
    if (offset !== expected) return fail(`entry offset ${offset} where ${expected} was expected`);
    const timestampMs = payload.readDoubleLE(p);
    p += 8;
    const tenantLength = payload.readUInt16LE(p);
    p += 2;
    if (p + tenantLength + 4 > length) return fail('entry tenant overruns the entry');
    const tenant = payload.toString('utf8', p, p + tenantLength);
    p += tenantLength;
    const keyLength = payload.readInt32LE(p);
    p += 4;
    let key: Buffer | undefined;
    if (keyLength >= 0) {
      if (p + keyLength > length) return fail('entry key overruns the entry');
      key = payload.subarray(p, p + keyLength);
      p += keyLength;
    }
    records.push({ partition, tenant, ...(key ? { key } : {}), value: payload.subarray(p), offset, timestampMs });
    pos = start + length;
  }
  return { records, validBytes: pos };
}
