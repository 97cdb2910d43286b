import { ValidationError } from '@panoptes/common';
import { REASON_MALFORMED_REQUEST, tooLarge } from '../errors';

/**
 * Snappy *block* format (what Prometheus remote write uses; not the framed/stream format), in
 * plain TypeScript. Format: a varint uncompressed length, then elements whose tag byte's low two
 * bits say literal (00), copy with 1-byte (01), 2-byte (10) or 4-byte (11) offset.
 *
 * Safety: the declared length is checked against the caller's limit, and against the largest
 * expansion the format allows for the input size, before anything is allocated; every copy is
 * bounds-checked, and every element consumes input, so corrupt input fails fast with a
 * `ValidationError` (reason `malformed_request`) and never loops or reads out of bounds.
 */

/**
 * The largest output one input byte can produce: a 3-byte copy element yields at most 64 bytes.
 * Declared lengths above (input bytes × this) cannot be honest.
 */
const MAX_EXPANSION = 22;

function corrupt(message: string, offset: number): ValidationError {
  return new ValidationError(
    REASON_MALFORMED_REQUEST,
    `corrupt snappy block: ${message} at byte ${offset}; remote write bodies must be compressed with snappy's block format (not the framed format)`,
  );
}

/**
 * The uncompressed length declared in a snappy block's header, and the header's size.
 * Throws `ValidationError` when the header is truncated or longer than 5 bytes (over 2^32-1).
 */
export function snappyDecodedLength(src: Uint8Array): { length: number; headerBytes: number } {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw corrupt('truncated length header', i);
    const b = src[i];
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > 0xffffffff) throw corrupt('declared length over 2^32-1', 0);
      return { length: v, headerBytes: i + 1 };
    }
    mul *= 128;
  }
  throw corrupt('length header longer than 5 bytes', 0);
}

/**
 * Decompresses a snappy block. Throws `TooLargeError` (reason `request_too_large`, HTTP 413) when
 * the declared uncompressed length is over `maxDecompressedBytes` — checked before allocating —
 * and `ValidationError` (reason `malformed_request`) on corrupt input. With `headroom`, the result
 * is a view that starts that many bytes into its own allocation (their content is unspecified).
 * `into`: memory to decompress into when it holds `headroom` + the declared length + 8 bytes (the
 * result is then a view of it; corrupt input may have overwritten it); else a new allocation.
 */
export function decompressSnappy(src: Uint8Array, maxDecompressedBytes: number, headroom = 0, into?: Buffer): Buffer {
  const { length, headerBytes } = snappyDecodedLength(src);
  if (length > maxDecompressedBytes) throw tooLarge(length, maxDecompressedBytes);
  if (length > (src.length - headerBytes) * MAX_EXPANSION) {
    throw corrupt(`declared length ${length} is more than ${src.length - headerBytes} compressed bytes can hold`, 0);
  }
  // 8 spare bytes: copies move 4-byte words and may write up to 3 bytes past an element's end
  // (overwritten by the next element; the spare bytes are cut off the returned view). `headroom`
  // bytes before the output belong to the caller (a record header written in front, no copy).
  const out = (into !== undefined && into.length >= headroom + length + 8 ? into : Buffer.allocUnsafe(headroom + length + 8)).subarray(headroom);
  const dst = new DataView(out.buffer, out.byteOffset, length + 8);
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let ip = headerBytes;
  let op = 0;
  const end = src.length;
  while (ip < end) {
    const at = ip;
    const tag = src[ip++];
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const extra = len - 59;
          if (end - ip < extra) throw corrupt('truncated literal length', at);
          len = src[ip];
          if (extra > 1) len |= src[ip + 1] << 8;
          if (extra > 2) len |= src[ip + 2] << 16;
          if (extra > 3) len = (len | (src[ip + 3] << 24)) >>> 0;
          ip += extra;
        }
        len += 1;
        if (len > end - ip) throw corrupt(`literal of ${len} bytes runs past the end of the input`, at);
        if (len > length - op) throw corrupt(`literal of ${len} bytes overflows the declared length ${length}`, at);
        if (len > 64 && Buffer.isBuffer(src)) {
          src.copy(out, op, ip, ip + len);
        } else if (ip + len + 3 <= end) {
          for (let i = 0; i < len; i += 4) dst.setInt32(op + i, sv.getInt32(ip + i, true), true);
        } else {
          for (let i = 0; i < len; i++) dst.setUint8(op + i, src[ip + i]);
        }
        ip += len;
        op += len;
        continue;
      }
      case 1:
        if (ip >= end) throw corrupt('truncated copy element', at);
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | src[ip++];
        break;
      case 2:
        if (end - ip < 2) throw corrupt('truncated copy element', at);
        len = (tag >>> 2) + 1;
        offset = src[ip] | (src[ip + 1] << 8);
        ip += 2;
        break;
      default:
        if (end - ip < 4) throw corrupt('truncated copy element', at);
        len = (tag >>> 2) + 1;
        offset = (src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16) | (src[ip + 3] << 24)) >>> 0;
        ip += 4;
    }
    if (offset === 0 || offset > op) throw corrupt(`copy offset ${offset} is outside the ${op} bytes produced so far`, at);
    if (len > length - op) throw corrupt(`copy of ${len} bytes overflows the declared length ${length}`, at);
    const from = op - offset;
    if (offset >= 4) {
      // Each word read lies in bytes already written (offset ≥ 4), so the copy is exact even
      // when source and destination overlap.
      for (let i = 0; i < len; i += 4) dst.setInt32(op + i, dst.getInt32(from + i, true), true);
    } else {
      // offset 1..3: a run repeating the last `offset` bytes, byte by byte.
      for (let i = 0; i < len; i++) dst.setUint8(op + i, dst.getUint8(from + i));
    }
    op += len;
  }
  if (op !== length) throw corrupt(`produced ${op} bytes, but the header declared ${length}`, end);
  return out.subarray(0, length);
}

const HASH_BITS = 14;
const MAX_OFFSET = 65535;

function emitLiteral(dst: Buffer, op: number, src: Uint8Array, from: number, len: number): number {
  const n = len - 1;
  if (n < 60) {
    dst[op++] = n << 2;
  } else if (n < 0x100) {
    dst[op++] = 60 << 2;
    dst[op++] = n;
  } else if (n < 0x10000) {
    dst[op++] = 61 << 2;
    dst[op++] = n & 0xff;
    dst[op++] = n >>> 8;
  } else if (n < 0x1000000) {
    dst[op++] = 62 << 2;
    dst[op++] = n & 0xff;
    dst[op++] = (n >>> 8) & 0xff;
    dst[op++] = n >>> 16;
  } else {
    dst[op++] = 63 << 2;
    dst[op++] = n & 0xff;
    dst[op++] = (n >>> 8) & 0xff;
    dst[op++] = (n >>> 16) & 0xff;
    dst[op++] = n >>> 24;
  }
  for (let i = 0; i < len; i++) dst[op + i] = src[from + i];
  return op + len;
}

function emitCopy(dst: Buffer, op: number, offset: number, len: number): number {
  // Copy elements with a 2-byte offset carry 1..64 bytes; split longer matches.
  while (len > 0) {
    let n = len > 64 ? 64 : len;
    if (len - n > 0 && len - n < 4) n = len - 4; // keep every piece ≥ 4 so matches stay worth it
    if (n >= 4 && n <= 11 && offset < 2048) {
      dst[op++] = 1 | ((n - 4) << 2) | ((offset >>> 8) << 5);
      dst[op++] = offset & 0xff;
    } else {
      dst[op++] = 2 | ((n - 1) << 2);
      dst[op++] = offset & 0xff;
      dst[op++] = offset >>> 8;
    }
    len -= n;
  }
  return op;
}

/**
 * Compresses `src` into a snappy block (greedy matching with a hash table of 4-byte sequences).
 * Used for tests, benchmarks and clients; the ratio is close to, not equal to, the reference
 * implementation's, and the output is valid for any snappy decoder.
 */
export function compressSnappy(src: Uint8Array): Buffer {
  const n = src.length;
  // Worst case: header + literals with their tags (1 extra byte per 60, 5 per long literal).
  const dst = Buffer.allocUnsafe(10 + n + Math.ceil(n / 6) + 16);
  let op = 0;
  let v = n;
  while (v >= 0x80) {
    dst[op++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  dst[op++] = v;
  if (n < 8) {
    if (n > 0) op = emitLiteral(dst, op, src, 0, n);
    return dst.subarray(0, op);
  }
  const table = new Int32Array(1 << HASH_BITS).fill(-1);
  let lit = 0;
  let i = 0;
  const limit = n - 4;
  while (i <= limit) {
    const word = src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24);
    const h = Math.imul(word, 0x1e35a7bd) >>> (32 - HASH_BITS);
    const cand = table[h];
    table[h] = i;
    if (
      cand >= 0 &&
      i - cand <= MAX_OFFSET &&
      src[cand] === src[i] &&
      src[cand + 1] === src[i + 1] &&
      src[cand + 2] === src[i + 2] &&
      src[cand + 3] === src[i + 3]
    ) {
      if (i > lit) op = emitLiteral(dst, op, src, lit, i - lit);
      let len = 4;
      while (i + len < n && src[cand + len] === src[i + len]) len++;
      op = emitCopy(dst, op, i - cand, len);
      i += len;
      lit = i;
    } else {
      i++;
    }
  }
  if (lit < n) op = emitLiteral(dst, op, src, lit, n - lit);
  return dst.subarray(0, op);
}
