import { DecodedWriteRequest, LABEL_REF_STRIDE, METADATA_REF_STRIDE } from './decoded-write-request';
import { ProtoWriter } from './encoder';

/** Bit in `DecodedWriteRequest.exemplarFlags` set by the caller: leave this exemplar out. */
export const EXEMPLAR_FLAG_DROPPED = 4;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Re-encodes chosen series of a decoded request (1.0 or 2.0) as an uncompressed remote write 1.0
 * `prometheus.WriteRequest`: what the distributor sends to one ingest-log partition or one
 * ingester. Works on the columnar form only: label bytes are copied from the request buffer (no
 * strings), sample values are copied as their 8 stored bytes (staleness-marker NaN payloads stay
 * exact), each series' current label range is used (so dropped labels stay dropped).
 *
 * Exemplars of a written series go with it; metadata entries are written when asked for (the
 * caller sends them with one of the partitions). A 2.0 series' metadata becomes a 1.0
 * `MetricMetadata` named after the series' metric.
 *
 * One encoder per concurrent caller: the output buffer is reused, so copy or send the result
 * before the next `encode`.
 */
export class WriteRequestSubsetEncoder {
  private readonly w = new ProtoWriter();
  private exemplarStart = new Uint32Array(256);

  /**
   * `series[0..count)` are indices of series in `req`, in the order to write them. `metadata`:
   * indices of metadata entries to include (null for none).
   */
  encode(
    req: DecodedWriteRequest,
    series: Uint32Array,
    count: number,
    metadata: Uint32Array | null = null,
    metadataCount = 0,
  ): Buffer {
    const w = this.w;
    w.pos = 0;
    const src = req.buf;
    const refs = req.labelRefs;
    const valueBytes = new Uint8Array(req.values.buffer, req.values.byteOffset, req.sampleCount * 8);
    const exStart = req.exemplarCount > 0 ? this.indexExemplars(req) : null;
    for (let k = 0; k < count; k++) {
      const s = series[k];
      const m = w.begin(1);
      for (let e = req.seriesLabelStart[s], end = req.seriesLabelEnd[s]; e < end; e++) {
        const r = e * LABEL_REF_STRIDE;
        writeLabelBytes(w, 1, src, refs[r], refs[r + 1], refs[r + 2], refs[r + 3]);
      }
      for (let i = req.seriesSampleStart[s], end = req.seriesSampleStart[s + 1]; i < end; i++) {
        const sm = w.begin(2);
        w.tag(1, 1);
        w.rawDouble(valueBytes, i * 8);
        const t = req.timestamps[i];
        if (t !== 0) {
          w.tag(2, 0);
          w.int64(t);
        }
        w.end(sm);
      }
      if (exStart !== null) {
        for (let x = exStart[s], end = exStart[s + 1]; x < end; x++) {
          if ((req.exemplarFlags[x] & EXEMPLAR_FLAG_DROPPED) === 0) this.writeExemplar(req, x);
        }
      }
      w.end(m);
    }
    if (metadata !== null) {
      for (let k = 0; k < metadataCount; k++) this.writeMetadata(req, metadata[k]);
    }
    return w.finish();
  }

  /** exemplarStart[s]..exemplarStart[s+1]: the exemplars of series s (the decoder emits them in series order). */
  private indexExemplars(req: DecodedWriteRequest): Uint32Array {
    const n = req.seriesCount;
    if (this.exemplarStart.length < n + 1) this.exemplarStart = new Uint32Array(Math.max(n + 1, this.exemplarStart.length * 2));
    const start = this.exemplarStart;
    start.fill(0, 0, n + 1);
    for (let x = 0; x < req.exemplarCount; x++) start[req.exemplarSeries[x] + 1]++;
    for (let s = 0; s < n; s++) start[s + 1] += start[s];
    return start;
  }

  private writeExemplar(req: DecodedWriteRequest, x: number): void {
    const w = this.w;
    const refs = req.exemplarLabelRefs;
    const m = w.begin(3);
    for (let e = req.exemplarLabelStart[x], end = req.exemplarLabelStart[x + 1]; e < end; e++) {
      const r = e * LABEL_REF_STRIDE;
      writeLabelBytes(w, 1, req.buf, refs[r], refs[r + 1], refs[r + 2], refs[r + 3]);
    }
    const v = req.exemplarValues[x];
    if (v !== 0 || Object.is(v, -0) || Number.isNaN(v)) {
      w.tag(2, 1);
      w.double(v);
    }
    const t = req.exemplarTimestamps[x];
    if (t !== 0) {
      w.tag(3, 0);
      w.int64(t);
    }
    w.end(m);
  }

  private writeMetadata(req: DecodedWriteRequest, md: number): void {
    const w = this.w;
    const r = md * METADATA_REF_STRIDE;
    const refs = req.metadataRefs;
    const m = w.begin(3);
    const type = req.metadataType[md];
    if (type !== 0) {
      w.tag(1, 0);
      w.uvarint(type);
    }
    writeBytes(w, 2, req.buf, refs[r], refs[r + 1]);
    writeBytes(w, 4, req.buf, refs[r + 2], refs[r + 3]);
    writeBytes(w, 5, req.buf, refs[r + 4], refs[r + 5]);
    w.end(m);
  }
}

function writeBytes(w: ProtoWriter, field: number, src: Buffer, off: number, len: number): void {
  if (len === 0) return;
  w.tag(field, 2);
  w.rawBytes(src, off, len);
}

function writeLabelBytes(w: ProtoWriter, field: number, src: Buffer, nOff: number, nLen: number, vOff: number, vLen: number): void {
  const m = w.begin(field);
  writeBytes(w, 1, src, nOff, nLen);
  writeBytes(w, 2, src, vOff, vLen);
  w.end(m);
}

// ProtoWriter is little-endian on the wire; the raw copy of a Float64Array's bytes is only right on
// little-endian hosts (every platform Node supports today). Fail loudly rather than corrupt data.
if (!LITTLE_ENDIAN) throw new Error('WriteRequestSubsetEncoder needs a little-endian host');
