// Read once: a global lookup in a hot loop is slow inside vm contexts (Jest).
const { imul } = Math;

/**
 * Interned strings: every label name and value the head holds is stored once and referred to by a
 * dense integer id. Ids are never reused while the table lives (series hold them in typed arrays).
 *
 * ASCII symbols can also be found from their bytes (`internBytes`): an open-addressing table of
 * (hash of the bytes, id), checked character by character against the stored string, so a new
 * series made from a request's bytes builds no string for labels the head already knows.
 */
export class SymbolTable {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];
  /** Byte-lookup table: slot → id + 1 (0 = empty), and the slot's hash; load kept under 1/2. */
  private slotIds = new Int32Array(1024);
  private slotHashes = new Uint32Array(1024);
  private slotsUsed = 0;

  /** The id of `s`, adding it when new. */
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  /**
   * The id of the string whose UTF-8 bytes are `buf[off, off+len)`, adding it when new. Builds no
   * string when an ASCII symbol is already in the table; other bytes are decoded and interned.
   */
  internBytes(buf: Buffer, off: number, len: number): number {
    const end = off + len;
    let h = 0x811c9dc5 ^ len;
    let high = 0;
    for (let k = off; k < end; k++) {
      const b = buf[k];
      high |= b;
      h = imul(h ^ b, 0x01000193);
    }
    if (high >= 0x80) return this.intern(buf.toString('utf8', off, end));
    h = (h ^ (h >>> 16)) >>> 0;
    const slotIds = this.slotIds;
    const slotHashes = this.slotHashes;
    const mask = slotIds.length - 1;
    let slot = h & mask;
    for (;;) {
      const entry = slotIds[slot];
      if (entry === 0) break;
      if (slotHashes[slot] === h && utf8Equals(buf, off, len, this.strings[entry - 1])) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.intern(buf.toString('latin1', off, end));
    slotIds[slot] = id + 1;
    slotHashes[slot] = h;
    if (++this.slotsUsed * 2 > slotIds.length) this.growSlots();
    return id;
  }

  /** The id of `s`, or undefined when the table has never seen it. */
  lookup(s: string): number | undefined {
    return this.ids.get(s);
  }

  get(id: number): string {
    const s = this.strings[id];
    if (s === undefined) throw new RangeError(`symbol ${id} is not in the table (size ${this.strings.length})`);
    return s;
  }

  get size(): number {
    return this.strings.length;
  }

  private growSlots(): void {
    const oldIds = this.slotIds;
    const oldHashes = this.slotHashes;
    const ids = new Int32Array(oldIds.length * 2);
    const hashes = new Uint32Array(ids.length);
    const mask = ids.length - 1;
    for (let s = 0; s < oldIds.length; s++) {
      if (oldIds[s] === 0) continue;
      let slot = oldHashes[s] & mask;
      while (ids[slot] !== 0) slot = (slot + 1) & mask;
      ids[slot] = oldIds[s];
      hashes[slot] = oldHashes[s];
    }
    this.slotIds = ids;
    this.slotHashes = hashes;
  }
}

const decoder = new TextDecoder();

/** Whether `buf[off..off+len)` is the UTF-8 encoding of `s`; ASCII compares without allocating. */
export function utf8Equals(buf: Uint8Array, off: number, len: number, s: string): boolean {
  const n = s.length;
  if (n > len) return false; // every UTF-16 unit takes at least one UTF-8 byte
  if (n === len) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return decoder.decode(buf.subarray(off, off + len)) === s;
      if (buf[off + i] !== c) return false;
    }
    return true;
  }
  // Fewer units than bytes: non-ASCII somewhere; compare the decoded string.
  return decoder.decode(buf.subarray(off, off + len)) === s;
}
