import { formatSampleValue } from './json';

// Globals read once: in a vm context (Jest) every global lookup in a hot loop goes through an
// interceptor and costs more than the arithmetic around it.
const floor = Math.floor;
const trunc = Math.trunc;
const isInteger = Number.isInteger;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Appends JSON text to a growing byte buffer. Query results can hold millions of points; writing
 * their digits straight into bytes avoids a string (and a rope node) per number, which is what
 * makes the matrix writer several times faster than building strings.
 *
 * Invariant: `len` bytes of `buf` are valid UTF-8; everything but `utf8()` writes ASCII.
 */
export class JsonWriter {
  private buf: Buffer;
  private len = 0;
  private readonly digits = new Uint8Array(24);

  constructor(sizeHint = 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(64, sizeHint));
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** An ASCII string (JSON punctuation, formatted numbers). */
  ascii(s: string): this {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.len = p;
    return this;
  }

  /** Any string, as UTF-8 (already-escaped JSON text such as quoted labels). */
  utf8(s: string): this {
    this.reserve(s.length * 3);
    this.len += this.buf.write(s, this.len, 'utf8');
    return this;
  }

  byte(c: number): this {
    this.reserve(1);
    this.buf[this.len++] = c;
    return this;
  }

  /** A non-negative safe integer, in decimal. */
  private uint(v: number): void {
    const d = this.digits;
    let n = 0;
    do {
      const q = floor(v / 10);
      d[n++] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    this.reserve(n);
    const buf = this.buf;
    let p = this.len;
    while (n > 0) buf[p++] = d[--n];
    this.len = p;
  }

  /** Prometheus's `MarshalTimestamp` of a time in ms (see `formatTimestamp`). */
  timestamp(ms: number): this {
    let t = trunc(ms);
    if (t < 0) {
      this.byte(45);
      t = -t;
    }
    if (t > MAX_SAFE) return this.ascii(formatBigTimestamp(t));
    const sec = floor(t / 1000);
    const frac = t - sec * 1000;
    this.uint(sec);
    if (frac !== 0) {
      this.reserve(4);
      const buf = this.buf;
      buf[this.len++] = 46;
      buf[this.len++] = 48 + floor(frac / 100);
      buf[this.len++] = 48 + (floor(frac / 10) % 10);
      buf[this.len++] = 48 + (frac % 10);
    }
    return this;
  }

  /** A sample value as Prometheus's `MarshalFloat` writes it, with its quotes. */
  sampleValue(v: number): this {
    this.byte(34);
    // Whole numbers below 2^53 are printed as plain digits by Go's 'f' format and by String().
    if (isInteger(v) && v > 0 && v <= MAX_SAFE) this.uint(v);
    else if (isInteger(v) && v < 0 && v >= -MAX_SAFE) this.byte(45).uint(-v);
    else this.ascii(formatSampleValue(v));
    return this.byte(34);
  }

  toString(): string {
    return this.buf.toString('utf8', 0, this.len);
  }
}

/** Timestamps past 2^53 ms only come from Prometheus's min/max time sentinels; precision is lost there anyway. */
function formatBigTimestamp(t: number): string {
  const sec = Math.floor(t / 1000);
  return BigInt(sec).toString();
}
