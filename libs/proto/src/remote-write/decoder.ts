import { ValidationError } from '@panoptes/common';
import { malformed } from '../errors';
import { decompressSnappy, snappyDecodedLength } from '../snappy/snappy';
import { canonicalLabelSize } from '../hash/series-hash';
import { DecodedWriteRequest, RemoteWriteVersion, METRIC_NAME } from './decoded-write-request';

export interface RemoteWriteDecoderConfig {
  /** Series slots allocated when the decoder is built (grown on demand). */
  initialSeriesCapacity: number;
  /** Sample slots allocated when the decoder is built (grown on demand). */
  initialSampleCapacity: number;
  /** Series slots kept between requests; above this, the next decode goes back to the initial size. */
  maxRetainedSeriesCapacity: number;
  /** Sample slots kept between requests; above this, the next decode goes back to the initial size. */
  maxRetainedSampleCapacity: number;
}

export function defaultRemoteWriteDecoderConfig(): RemoteWriteDecoderConfig {
  return {
    initialSeriesCapacity: 1024,
    initialSampleCapacity: 8192,
    maxRetainedSeriesCapacity: 65536,
    maxRetainedSampleCapacity: 1 << 20,
  };
}

// Wire types.
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

// Expected wire type per known field number, for "wrong wire type" errors (-1: unknown field).
const V1_REQUEST = wireTypes('prometheus.WriteRequest', [-1, LEN, -1, LEN]);
const V1_SERIES = wireTypes('prometheus.TimeSeries', [-1, LEN, LEN, LEN, LEN]);
const V1_LABEL = wireTypes('prometheus.Label', [-1, LEN, LEN]);
const V1_EXEMPLAR = wireTypes('prometheus.Exemplar', [-1, LEN, I64, VARINT]);
const V1_METADATA = wireTypes('prometheus.MetricMetadata', [-1, VARINT, LEN, -1, LEN, LEN]);
const SAMPLE = wireTypes('Sample', [-1, I64, VARINT]);
const V2_REQUEST = wireTypes('io.prometheus.write.v2.Request', [-1, -1, -1, -1, LEN, LEN]);
const V2_SERIES = wireTypes('io.prometheus.write.v2.TimeSeries', [-1, LEN, LEN, LEN, LEN, LEN, VARINT]);
const V2_EXEMPLAR = wireTypes('io.prometheus.write.v2.Exemplar', [-1, LEN, I64, VARINT]);
const V2_METADATA = wireTypes('io.prometheus.write.v2.Metadata', [-1, VARINT, -1, VARINT, VARINT]);

interface MessageShape {
  name: string;
  wireTypes: readonly number[];
}

function wireTypes(name: string, types: number[]): MessageShape {
  return { name, wireTypes: types };
}

const WHAT: Record<RemoteWriteVersion, string> = {
  1: 'remote write 1.0 request (prometheus.WriteRequest)',
  2: 'remote write 2.0 request (io.prometheus.write.v2.Request)',
};

const EMPTY = Buffer.alloc(0);
/** Largest body whose memory a decoder keeps for the next one (`decompress`); larger ones get their own. */
const MAX_KEPT_BODY_BYTES = 8 << 20;
const TWO_POW_32 = 4294967296;

/**
 * Hand-written, allocation-free protobuf decoder for Prometheus remote write 1.0 and 2.0 bodies
 * (already decompressed). It fills one reusable, columnar `DecodedWriteRequest` (see there for
 * the layout and ownership rules) without creating a JS object or string per series or sample.
 *
 * Strictness: every varint, length and fixed-width field is bounds-checked against its enclosing
 * message; truncation, lengths past the end, varints over 10 bytes, field number 0, groups,
 * invalid wire types and known fields with the wrong wire type throw a `ValidationError` (reason
 * `malformed_request`) naming the byte offset. Unknown fields are skipped, as protobuf requires.
 * Every loop consumes at least one byte per iteration, so no input can make it loop forever.
 *
 * Not validated here (the distributor's job, on the columnar data): label name syntax, `__name__`
 * presence, limits (label count, lengths), timestamps. Flagged here because only the decoder
 * touches every byte: unsorted/duplicate label names and invalid UTF-8 (`seriesFlags`).
 * Native histograms are counted, not decoded.
 *
 * Not thread-safe and not re-entrant: one decoder per concurrent request stream.
 */
export class RemoteWriteDecoder {
  private readonly out: DecodedWriteRequest;
  private buf: Buffer = EMPTY;
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private version: RemoteWriteVersion = 1;

  // 2.0 symbol table (offset, length of each symbol in buf) and labels_refs scratch space.
  private symOff: Uint32Array = new Uint32Array(256);
  private symLen: Uint32Array = new Uint32Array(256);
  private symCount = 0;
  private refs: Uint32Array = new Uint32Array(64);
  private refCount = 0;
  private xrefs: Uint32Array = new Uint32Array(16);
  private xrefCount = 0;
  private readonly meta6 = new Uint32Array(6);
  /** `decompress`'s memory, reused from body to body: an allocation of its own, never a view of Node's shared pool. */
  private scratch: Buffer = EMPTY;

  constructor(private readonly config: RemoteWriteDecoderConfig = defaultRemoteWriteDecoderConfig()) {
    this.out = new DecodedWriteRequest(config.initialSeriesCapacity, config.initialSampleCapacity);
  }

  /**
   * Decompresses a snappy remote write body (limits and errors as `decompressSnappy`) into memory
   * this decoder keeps and reuses for its next body: no allocation per request, so the garbage
   * collector is not driven by bodies. Only for a caller that keeps no reference to the body
   * once it is done with the decoded request. The request decoded before is forgotten first (its
   * generation moves), so no holder of it reads it over the new bytes, even when they are corrupt.
   */
  decompress(compressed: Uint8Array, maxDecompressedBytes: number): Buffer {
    this.out.reset(EMPTY, this.version, 0, this.config.maxRetainedSeriesCapacity, this.config.maxRetainedSampleCapacity);
    const { length } = snappyDecodedLength(compressed);
    if (length <= maxDecompressedBytes && length <= MAX_KEPT_BODY_BYTES && length + 8 > this.scratch.length) {
      let size = 64 << 10;
      while (size < length + 8) size *= 2;
      this.scratch = Buffer.allocUnsafeSlow(size);
    }
    return decompressSnappy(compressed, maxDecompressedBytes, 0, this.scratch);
  }

  /**
   * Decodes `body` (the decompressed request) as the given protocol version. `hashSeed` seeds the
   * series hashes (use `tenantHashSeed(tenant)` to shard by tenant and series). The result is owned
   * by this decoder and overwritten by the next call.
   */
  decode(body: Buffer, version: RemoteWriteVersion, hashSeed = 0): DecodedWriteRequest {
    const out = this.out;
    out.reset(body, version, hashSeed, this.config.maxRetainedSeriesCapacity, this.config.maxRetainedSampleCapacity);
    this.buf = body;
    this.dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.pos = 0;
    this.version = version;
    try {
      if (version === 1) this.v1Request(body.length);
      else this.v2Request(body.length);
    } catch (err) {
      // A partially filled result must not be mistaken for a decoded request.
      out.reset(EMPTY, version, hashSeed, this.config.maxRetainedSeriesCapacity, this.config.maxRetainedSampleCapacity);
      throw err;
    } finally {
      this.buf = EMPTY;
      this.dv = new DataView(EMPTY.buffer, 0, 0);
    }
    return out;
  }

  // ---- remote write 1.0 -------------------------------------------------------------------------

  private v1Request(end: number): void {
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x0a) this.v1Series(this.lenEnd(end));
      else if (tag === 0x1a) this.v1Metadata(this.lenEnd(end));
      else this.other(tag, at, end, V1_REQUEST);
    }
  }

  private v1Series(end: number): void {
    const out = this.out;
    const s = out.beginSeries();
    // Where the labels' canonical encoding (see hash/series-hash.ts) lies in the body, as long as
    // every label so far was canonical and adjacent to the previous one: then the series is hashed
    // in place, without building its key.
    let canonical = true;
    let keyStart = -1;
    let keyEnd = -1;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      switch (tag) {
        case 0x0a: {
          // labels
          const e = this.lenEnd(end);
          const ok = this.v1Label(at, e, false);
          if (canonical) {
            if (!ok || (keyStart >= 0 && at !== keyEnd)) {
              canonical = false;
            } else {
              if (keyStart < 0) keyStart = at;
              keyEnd = e;
            }
          }
          break;
        }
        case 0x12: // samples
          this.sample(this.lenEnd(end));
          break;
        case 0x1a: // exemplars
          this.v1Exemplar(s, this.lenEnd(end));
          break;
        case 0x22: // histograms: counted only
          this.pos = this.lenEnd(end);
          out.seriesHistogramCount[s]++;
          out.histogramCount++;
          break;
        default:
          this.other(tag, at, end, V1_SERIES);
      }
    }
    out.endSeries(s, canonical ? keyStart : -1, keyEnd);
  }

  /**
   * Decodes the Label whose field starts at `at` (its tag) and whose content ends at `end`.
   * Returns whether the whole field is in canonical form (see hash/series-hash.ts).
   */
  private v1Label(at: number, end: number, exemplar: boolean): boolean {
    const buf = this.buf;
    const p = this.pos;
    // Fast path: `0A n name 12 m value` with one-byte lengths, exactly filling the message (what
    // every sender produces for labels under 128 bytes). All offsets are checked against `end`.
    if (buf[p] === 0x0a && p === at + 2) {
      const nameLen = buf[p + 1];
      const vt = p + 2 + nameLen;
      if (nameLen > 0 && nameLen < 0x80 && vt + 2 <= end && buf[vt] === 0x12) {
        const valueLen = buf[vt + 1];
        if (valueLen > 0 && valueLen < 0x80 && vt + 2 + valueLen === end) {
          if (exemplar) this.out.pushExemplarLabel(p + 2, nameLen, vt + 2, valueLen);
          else this.out.pushLabel(p + 2, nameLen, vt + 2, valueLen);
          this.pos = end;
          return true;
        }
      }
    }
    let inOrder = true;
    let nameOff = 0;
    let nameLen = 0;
    let valueOff = 0;
    let valueLen = 0;
    while (this.pos < end) {
      const fat = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x0a) {
        const e = this.lenEnd(end);
        if (valueOff > 0) inOrder = false;
        nameOff = this.pos;
        nameLen = e - nameOff;
        this.pos = e;
      } else if (tag === 0x12) {
        const e = this.lenEnd(end);
        valueOff = this.pos;
        valueLen = e - valueOff;
        this.pos = e;
      } else {
        this.other(tag, fat, end, V1_LABEL);
      }
    }
    if (exemplar) this.out.pushExemplarLabel(nameOff, nameLen, valueOff, valueLen);
    else this.out.pushLabel(nameOff, nameLen, valueOff, valueLen);
    // Any duplicate, unknown or explicitly empty field, or non-minimal varint, adds bytes.
    return inOrder && end - at === canonicalLabelSize(nameLen, valueLen);
  }

  private v1Exemplar(s: number, end: number): void {
    const x = this.out.beginExemplar(s);
    let value = 0;
    let timestamp = 0;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x0a) this.v1Label(at, this.lenEnd(end), true);
      else if (tag === 0x11) value = this.double(end);
      else if (tag === 0x18) timestamp = this.int64(end);
      else this.other(tag, at, end, V1_EXEMPLAR);
    }
    this.out.endExemplar(x, value, timestamp);
  }

  private v1Metadata(end: number): void {
    const m = this.meta6;
    m.fill(0);
    let type = 0;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x08) {
        type = this.varint32(end);
      } else if (tag === 0x12 || tag === 0x22 || tag === 0x2a) {
        const e = this.lenEnd(end);
        const i = tag === 0x12 ? 0 : tag === 0x22 ? 2 : 4;
        m[i] = this.pos;
        m[i + 1] = e - this.pos;
        this.pos = e;
      } else {
        this.other(tag, at, end, V1_METADATA);
      }
    }
    this.out.pushMetadata(-1, type, m);
  }

  /** `Sample { double value = 1; int64 timestamp = 2; }`: the same in 1.0 and 2.0. */
  private sample(end: number): void {
    let value = 0;
    let timestamp = 0;
    // Fast path: `09 <8 bytes> 10 <varint>` (both fields present, in order).
    const p = this.pos;
    if (this.buf[p] === 0x09 && end - p >= 11 && this.buf[p + 9] === 0x10) {
      value = this.dv.getFloat64(p + 1, true);
      this.pos = p + 10;
      timestamp = this.int64(end);
    }
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x09) value = this.double(end);
      else if (tag === 0x10) timestamp = this.int64(end);
      else this.other(tag, at, end, SAMPLE);
    }
    this.out.pushSample(timestamp, value);
  }

  // ---- remote write 2.0 -------------------------------------------------------------------------

  private v2Request(end: number): void {
    // Pass 1: the symbol table (field 4), which the series reference and which protobuf allows
    // anywhere in the message; this pass also validates the top-level framing.
    this.symCount = 0;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x22) {
        const e = this.lenEnd(end);
        this.pushSymbol(this.pos, e - this.pos);
        this.pos = e;
      } else if (tag === 0x2a) {
        this.pos = this.lenEnd(end);
      } else {
        this.other(tag, at, end, V2_REQUEST);
      }
    }
    this.out.symbolCount = this.symCount;
    // Pass 2: the series.
    this.pos = 0;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x2a) this.v2Series(this.lenEnd(end));
      else if (tag === 0x22) this.pos = this.lenEnd(end);
      else this.other(tag, at, end, V2_REQUEST);
    }
  }

  private pushSymbol(off: number, len: number): void {
    const n = this.symCount;
    if (n === this.symOff.length) {
      this.symOff = grow(this.symOff);
      this.symLen = grow(this.symLen);
    }
    this.symOff[n] = off;
    this.symLen[n] = len;
    this.symCount = n + 1;
  }

  private v2Series(end: number): void {
    const out = this.out;
    const start = this.pos;
    const s = out.beginSeries();
    this.refCount = 0;
    let hasMetadata = false;
    let type = 0;
    let helpRef = 0;
    let unitRef = 0;
    let metadataAt = 0;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      switch (tag) {
        case 0x0a: {
          // labels_refs, packed
          const e = this.lenEnd(end);
          while (this.pos < e) this.pushRef(this.varint32(e));
          break;
        }
        case 0x08: // labels_refs, unpacked
          this.pushRef(this.varint32(end));
          break;
        case 0x12:
          this.sample(this.lenEnd(end));
          break;
        case 0x1a: // histograms: counted only
          this.pos = this.lenEnd(end);
          out.seriesHistogramCount[s]++;
          out.histogramCount++;
          break;
        case 0x22:
          this.v2Exemplar(s, this.lenEnd(end));
          break;
        case 0x2a: {
          // metadata (a singular message: repeated occurrences merge, last field wins)
          const e = this.lenEnd(end);
          hasMetadata = true;
          metadataAt = at;
          while (this.pos < e) {
            const fat = this.pos;
            const ftag = this.varint32(e);
            if (ftag === 0x08) type = this.varint32(e);
            else if (ftag === 0x18) helpRef = this.varint32(e);
            else if (ftag === 0x20) unitRef = this.varint32(e);
            else this.other(ftag, fat, e, V2_METADATA);
          }
          break;
        }
        case 0x30:
          out.seriesCreatedTimestamp[s] = this.int64(end);
          break;
        default:
          this.other(tag, at, end, V2_SERIES);
      }
    }
    const refs = this.refs;
    const n = this.refCount;
    if (n & 1) throw this.fail(`io.prometheus.write.v2.TimeSeries has an odd number (${n}) of labels_refs`, start);
    for (let i = 0; i < n; i += 2) {
      const name = refs[i];
      const value = refs[i + 1];
      this.checkRef(name, start);
      this.checkRef(value, start);
      out.pushLabel(this.symOff[name], this.symLen[name], this.symOff[value], this.symLen[value]);
    }
    out.endSeries(s, -1, -1);
    if (hasMetadata && (type !== 0 || helpRef !== 0 || unitRef !== 0)) {
      this.checkRef(helpRef, metadataAt);
      this.checkRef(unitRef, metadataAt);
      const m = this.meta6;
      const e = out.findLabel(s, METRIC_NAME);
      m[0] = e < 0 ? 0 : out.labelRefs[e * 4 + 2];
      m[1] = e < 0 ? 0 : out.labelRefs[e * 4 + 3];
      m[2] = this.symOff[helpRef];
      m[3] = this.symLen[helpRef];
      m[4] = this.symOff[unitRef];
      m[5] = this.symLen[unitRef];
      out.pushMetadata(s, type, m);
    }
  }

  private v2Exemplar(s: number, end: number): void {
    const start = this.pos;
    const out = this.out;
    const x = out.beginExemplar(s);
    this.xrefCount = 0;
    let value = 0;
    let timestamp = 0;
    while (this.pos < end) {
      const at = this.pos;
      const tag = this.varint32(end);
      if (tag === 0x0a) {
        const e = this.lenEnd(end);
        while (this.pos < e) this.pushXref(this.varint32(e));
      } else if (tag === 0x08) {
        this.pushXref(this.varint32(end));
      } else if (tag === 0x11) {
        value = this.double(end);
      } else if (tag === 0x18) {
        timestamp = this.int64(end);
      } else {
        this.other(tag, at, end, V2_EXEMPLAR);
      }
    }
    const n = this.xrefCount;
    if (n & 1) throw this.fail(`io.prometheus.write.v2.Exemplar has an odd number (${n}) of labels_refs`, start);
    for (let i = 0; i < n; i += 2) {
      const name = this.xrefs[i];
      const val = this.xrefs[i + 1];
      this.checkRef(name, start);
      this.checkRef(val, start);
      out.pushExemplarLabel(this.symOff[name], this.symLen[name], this.symOff[val], this.symLen[val]);
    }
    out.endExemplar(x, value, timestamp);
  }

  private pushRef(ref: number): void {
    if (this.refCount === this.refs.length) this.refs = grow(this.refs);
    this.refs[this.refCount++] = ref;
  }

  private pushXref(ref: number): void {
    if (this.xrefCount === this.xrefs.length) this.xrefs = grow(this.xrefs);
    this.xrefs[this.xrefCount++] = ref;
  }

  private checkRef(ref: number, at: number): void {
    if (ref >= this.symCount) {
      throw this.fail(`symbol reference ${ref} is out of range (the symbol table has ${this.symCount} entries)`, at);
    }
  }

  // ---- wire primitives --------------------------------------------------------------------------

  /** An unsigned varint's low 32 bits (tags, enums, uint32 fields); at most 10 bytes. */
  private varint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) throw this.truncated(pos, end);
    let b = buf[pos++];
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let v = b & 0x7f;
    for (let shift = 7; ; shift += 7) {
      if (pos >= end) throw this.truncated(this.pos, end);
      b = buf[pos++];
      if (shift < 32) v |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      if (shift === 63) throw this.fail('varint longer than 10 bytes', pos - 10);
    }
    this.pos = pos;
    return v >>> 0;
  }

  /**
   * An int64 varint as a JS number: exact when |value| < 2^53 (timestamps in ms are), rounded to
   * the nearest double beyond. Negative values are sign-extended 10-byte varints.
   */
  private int64(end: number): number {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= end) throw this.truncated(start, end);
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return lo;
      }
    }
    if (pos >= end) throw this.truncated(start, end);
    b = buf[pos++];
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >>> 4;
    if (b >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (pos >= end) throw this.truncated(start, end);
        b = buf[pos++];
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
        if (shift === 31) throw this.fail('varint longer than 10 bytes', pos - 10);
      }
    }
    this.pos = pos;
    return (hi | 0) * TWO_POW_32 + (lo >>> 0);
  }

  /**
   * Reads a length prefix and returns the end offset of the field it announces (the content starts
   * at `this.pos`), after checking it fits inside the enclosing message.
   */
  private lenEnd(end: number): number {
    const at = this.pos;
    let len: number;
    const b = this.pos < end ? this.buf[this.pos] : 0x80;
    if (b < 0x80) {
      this.pos++;
      len = b;
    } else {
      len = this.uvarintNumber(end);
    }
    if (len > end - this.pos) {
      throw this.fail(`length ${len} runs past the end of the enclosing message (which ends at byte ${end})`, at);
    }
    return this.pos + len;
  }

  /** An unsigned varint as a number (exact below 2^53; larger lengths are rejected by callers anyway). */
  private uvarintNumber(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (pos >= end) throw this.truncated(this.pos, end);
      const b = buf[pos++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      if (i === 9) throw this.fail('varint longer than 10 bytes', pos - 10);
      mul *= 128;
    }
    this.pos = pos;
    return v;
  }

  private double(end: number): number {
    const pos = this.pos;
    if (end - pos < 8) throw this.fail(`truncated 8-byte field (the enclosing message ends at byte ${end})`, pos);
    this.pos = pos + 8;
    return this.dv.getFloat64(pos, true);
  }

  /** A field this message does not decode: skipped if unknown, rejected if malformed. */
  private other(tag: number, at: number, end: number, shape: MessageShape): void {
    const field = tag >>> 3;
    const wt = tag & 7;
    if (field === 0) throw this.fail(`invalid field number 0 in ${shape.name}`, at);
    const expected = field < shape.wireTypes.length ? shape.wireTypes[field] : -1;
    if (expected >= 0) {
      throw this.fail(`field ${field} of ${shape.name} has wire type ${wt}, expected ${expected}`, at);
    }
    switch (wt) {
      case VARINT:
        this.uvarintNumber(end);
        return;
      case I64:
        if (end - this.pos < 8) throw this.fail(`truncated 8-byte field ${field} in ${shape.name}`, at);
        this.pos += 8;
        return;
      case LEN:
        this.pos = this.lenEnd(end);
        return;
      case I32:
        if (end - this.pos < 4) throw this.fail(`truncated 4-byte field ${field} in ${shape.name}`, at);
        this.pos += 4;
        return;
      default:
        throw this.fail(`field ${field} of ${shape.name} has unsupported wire type ${wt} (groups are not accepted)`, at);
    }
  }

  private truncated(pos: number, end: number): ValidationError {
    return this.fail('truncated varint', pos, ` (the enclosing message ends at byte ${end})`);
  }

  private fail(message: string, offset: number, detail = ''): ValidationError {
    return malformed(WHAT[this.version], message, offset, detail);
  }
}

function grow(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
