const DEFAULT_SLOTS = 1 << 14;

/**
 * Label names and values of new series as strings, reusing the string made for the same bytes
 * before: a direct-mapped cache (one string per slot, the newest wins) keyed by a hash of the
 * bytes. New series repeat most of their labels (every name, and values like job, namespace,
 * node), so their creation mostly skips decoding, and the head's symbol table looks up a string
 * whose hash V8 already knows.
 *
 * Only ASCII strings are cached; a hit is checked byte for byte, so a returned string is always
 * exactly the UTF-8 decoding of the bytes. Bounded: `slots` strings at most (shared by tenants,
 * which is safe: a string is just the value of its bytes).
 */
export class LabelStringCache {
  private slots: Array<string | undefined> | undefined;
  private readonly mask: number;

  constructor(slots = DEFAULT_SLOTS) {
    if (!(Number.isInteger(Math.log2(slots)) && slots >= 1)) throw new RangeError(`label string cache slots must be a power of two, got ${slots}`);
    this.mask = slots - 1;
  }

  /** The UTF-8 decoding of `buf[off, off+len)`. */
  get(buf: Buffer, off: number, len: number): string {
    let h = len | 0;
    let high = 0;
    const end = off + len;
    for (let i = off; i < end; i++) {
      const b = buf[i];
      high |= b;
      h = Math.imul(h ^ b, 0x01000193);
    }
    if (high >= 0x80) return buf.toString('utf8', off, end);
    const slots = (this.slots ??= new Array<string | undefined>(this.mask + 1).fill(undefined));
    const slot = (h ^ (h >>> 15)) & this.mask;
    const cached = slots[slot];
    if (cached !== undefined && asciiEquals(buf, off, len, cached)) return cached;
    const s = buf.toString('latin1', off, end); // ASCII: the same as UTF-8, decoded more cheaply
    slots[slot] = s;
    return s;
  }
}

function asciiEquals(buf: Buffer, off: number, len: number, s: string): boolean {
  if (s.length !== len) return false;
  for (let i = 0; i < len; i++) if (s.charCodeAt(i) !== buf[off + i]) return false;
  return true;
}
