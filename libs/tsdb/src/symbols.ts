import { grown } from './series-page';

// Read once: a global lookup in a hot loop is slow inside vm contexts (Jest).
const { imul } = Math;

/** Words of a byte-lookup slot, and their places. */
const SLOT = 4;
const HASH = 0;
const ID = 1;
const AT = 2;
const LEN = 3;

/**
 * Interned strings: every label name and value the head holds is stored once and referred to by a
 * dense integer id. Ids are never reused while the table lives (series hold them in typed arrays).
 *
 * ASCII symbols can also be found from their bytes (`internBytes`): an open-addressing table whose
 * slots hold the hash of the bytes, the id, and where a copy of the bytes lies in a byte arena, so a
 * new series made from a request's bytes builds no string for labels the head already knows. A
 * lookup touches one slot and one run of arena bytes (a string would cost the strings array, the
 * string object and its characters: more cache misses, on the path every new series takes).
 */
export class SymbolTable {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];
  /** Byte-lookup table, SLOT words a slot: hash, id + 1 (0 = empty), arena offset, byte length; load kept under 1/2. */
  private slots = new Int32Array(1024 * SLOT);
  private slotsUsed = 0;
  /** The bytes of every symbol in `slots`, one after another. */
  private arena = new Uint8Array(16 * 1024);
  private arenaUsed = 0;

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
    h ^= h >>> 16;
    const slots = this.slots;
    const arena = this.arena;
    const mask = slots.length / SLOT - 1;
    let o = (h & mask) * SLOT;
    for (;;) {
      const entry = slots[o + ID];
      if (entry === 0) break;
      if (slots[o + HASH] === h && slots[o + LEN] === len) {
        const at = slots[o + AT];
        let k = 0;
        while (k < len && arena[at + k] === buf[off + k]) k++;
        if (k === len) return entry - 1;
      }
      o = (o + SLOT) & (slots.length - 1);
    }
    const id = this.intern(buf.toString('latin1', off, end));
    if (this.arenaUsed + len > arena.length) this.arena = grown(arena, Math.max(arena.length * 2, this.arenaUsed + len));
    this.arena.set(buf.subarray(off, end), this.arenaUsed);
    slots[o + HASH] = h;
    slots[o + ID] = id + 1;
    slots[o + AT] = this.arenaUsed;
    slots[o + LEN] = len;
    this.arenaUsed += len;
    if (++this.slotsUsed * 2 > slots.length / SLOT) this.growSlots();
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
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = slots.length / SLOT - 1;
    for (let from = 0; from < old.length; from += SLOT) {
      if (old[from + ID] === 0) continue;
      let o = (old[from + HASH] & mask) * SLOT;
      while (slots[o + ID] !== 0) o = (o + SLOT) & (slots.length - 1);
      slots.set(old.subarray(from, from + SLOT), o);
    }
    this.slots = slots;
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
