/**
 * A series' canonical key: its labels serialised exactly as the series hash of `@panoptes/proto`
 * hashes them (hash/series-hash.ts), for each label `0x0A varint(len(L)) L` with
 * `L = 0x0A varint(len(name)) name 0x12 varint(len(value)) value` (names and values are never
 * empty in the head). Remote write 1.0 bodies carry these bytes contiguously, so the head finds a
 * known series by comparing them with the key it keeps per series: one byte comparison instead of
 * a string comparison per label.
 *
 * The encoding is prefix-free per label, so two label lists have equal keys exactly when they are
 * equal: comparing keys tells hash collisions apart as comparing labels does.
 */
export class SeriesKeyBuilder {
  private buf = Buffer.allocUnsafe(1024);

  /** Builds the key of a label set given as parallel name/value strings; valid until the next build. */
  build(names: readonly string[], values: readonly string[]): Buffer {
    let need = 0;
    for (let k = 0; k < names.length; k++) {
      const n = Buffer.byteLength(names[k], 'utf8');
      const v = Buffer.byteLength(values[k], 'utf8');
      need += labelSize(n, v);
    }
    if (need > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    const buf = this.buf;
    let p = 0;
    for (let k = 0; k < names.length; k++) {
      const n = Buffer.byteLength(names[k], 'utf8');
      const v = Buffer.byteLength(values[k], 'utf8');
      buf[p++] = 0x0a;
      p = putVarint(buf, p, 2 + varintSize(n) + n + varintSize(v) + v);
      buf[p++] = 0x0a;
      p = putVarint(buf, p, n);
      p += buf.write(names[k], p, n, 'utf8');
      buf[p++] = 0x12;
      p = putVarint(buf, p, v);
      p += buf.write(values[k], p, v, 'utf8');
    }
    return buf.subarray(0, p);
  }
}

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function labelSize(n: number, v: number): number {
  const body = 2 + varintSize(n) + n + varintSize(v) + v;
  return 1 + varintSize(body) + body;
}

function putVarint(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/**
 * Whether a[aFrom, aFrom+len) and b[bFrom, bFrom+len) hold the same bytes, compared four at a time
 * (DataView reads need no alignment), then the tail: a series key is a hundred-odd bytes, and
 * comparing it byte by byte was the largest cost of appending to a known series.
 */
export function viewBytesEqual(a: DataView, aFrom: number, b: DataView, bFrom: number, len: number): boolean {
  let i = 0;
  for (const whole = len - 3; i < whole; i += 4) if (a.getInt32(aFrom + i) !== b.getInt32(bFrom + i)) return false;
  for (; i < len; i++) if (a.getUint8(aFrom + i) !== b.getUint8(bFrom + i)) return false;
  return true;
}
