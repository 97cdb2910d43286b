import { Labels } from '@panoptes/block-formats';
import { SymbolTable, utf8Equals } from './symbols';
import { SeriesKeyBuilder, viewBytesEqual } from './series-key';

const TWO_32 = 0x1_0000_0000;
/** Low 32 bits of a 53-bit series hash. */
const hashLow = (hash: number): number => hash % TWO_32 >>> 0;
/** High 21 bits of a 53-bit series hash. */
const hashHigh = (hash: number): number => Math.floor(hash / TWO_32) >>> 0;
import { PAGE_BITS, PAGE_MASK, SeriesPage } from './series-page';

const EMPTY = 0;
const TOMBSTONE = 0xffffffff;
const MIN_TABLE = 64;

/**
 * The head's series: ref → state through `SeriesPage`s, and series hash → ref through an
 * open-addressing table (linear probing over a Uint32Array of [ref, hashLo] pairs). Several series
 * may share a hash: lookups walk the probe sequence and compare interned labels (or canonical keys,
 * series-key.ts) with the caller's, so a collision never merges two series.
 *
 * Refs start at 1 (0 marks an empty table slot), ascend and are never reused.
 */
export class SeriesStore {
  private readonly pages: Array<SeriesPage | undefined> = [];
  private nextRef = 1;
  private table = new Uint32Array(MIN_TABLE * 2);
  private tableUsed = 0; // live entries and tombstones
  private live = 0;
  private readonly keys = new SeriesKeyBuilder();
  /** Scratch for a new series' symbol ids (copied into its page). */
  private ids = new Uint32Array(64);

  constructor(private symbols: SymbolTable) {}

  get size(): number {
    return this.live;
  }

  /** The page of a live series, or undefined when `ref` was never handed out or was collected. */
  page(ref: number): SeriesPage | undefined {
    const p = this.pages[ref >>> PAGE_BITS];
    return p !== undefined && p.alive[ref & PAGE_MASK] === 1 ? p : undefined;
  }

  /** The ref of the series with this hash and exactly these labels, or 0. */
  find(hash: number, names: readonly string[], values: readonly string[]): number {
    const lo = hashLow(hash);
    const hi = hashHigh(hash);
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const ref = table[slot * 2];
      if (ref === EMPTY) return 0;
      if (ref === TOMBSTONE || table[slot * 2 + 1] !== lo) continue;
      const p = this.pages[ref >>> PAGE_BITS]!;
      const i = ref & PAGE_MASK;
      if (p.hashHi[i] === hi && this.sameLabels(p, i, names, values)) return ref;
    }
  }

  /**
   * `find` for labels given as UTF-8 byte ranges of `buf` (`refs[4e..4e+3]` = name offset, name
   * length, value offset, value length for entries `from..to`, the decoder's layout): no string
   * is built, so the ingester looks up known series straight from a request's bytes.
   */
  findBytes(hash: number, buf: Uint8Array, refs: Uint32Array, from: number, to: number): number {
    const lo = hashLow(hash);
    const hi = hashHigh(hash);
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const ref = table[slot * 2];
      if (ref === EMPTY) return 0;
      if (ref === TOMBSTONE || table[slot * 2 + 1] !== lo) continue;
      const p = this.pages[ref >>> PAGE_BITS]!;
      const i = ref & PAGE_MASK;
      if (p.hashHi[i] === hi && this.sameLabelBytes(p, i, buf, refs, from, to)) return ref;
    }
  }

  /**
   * `find` for labels given as their canonical key, `buf[keyStart, keyEnd)` (a remote write 1.0
   * series' label bytes, `DecodedWriteRequest.seriesKeyStart/End`): one byte comparison per
   * candidate, no symbol table access. `view`: a DataView of exactly `buf` (a caller looking up
   * many keys of one buffer makes it once). Equal keys mean equal labels (and so equal hashes): the
   * high hash word is not compared, which saves a cache miss per lookup.
   */
  findKey(hash: number, buf: Uint8Array, keyStart: number, keyEnd: number, view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)): number {
    const lo = hashLow(hash);
    const len = keyEnd - keyStart;
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const ref = table[slot * 2];
      if (ref === EMPTY) return 0;
      if (ref === TOMBSTONE || table[slot * 2 + 1] !== lo) continue;
      const p = this.pages[ref >>> PAGE_BITS]!;
      const i = ref & PAGE_MASK;
      const range = p.keyRange;
      if (range[2 * i + 1] === len && viewBytesEqual(p.keyView, range[2 * i], view, keyStart, len)) return ref;
    }
  }

  private sameLabelBytes(p: SeriesPage, i: number, buf: Uint8Array, refs: Uint32Array, from: number, to: number): boolean {
    if (p.labelLen[i] !== (to - from) * 2) return false;
    const off = p.labelOff[i];
    const arena = p.arena;
    for (let e = from, k = off; e < to; e++, k += 2) {
      const r = e * 4;
      if (!utf8Equals(buf, refs[r], refs[r + 1], this.symbols.get(arena[k]))) return false;
      if (!utf8Equals(buf, refs[r + 2], refs[r + 3], this.symbols.get(arena[k + 1]))) return false;
    }
    return true;
  }

  /** Adds a series with these (sorted, validated) labels; returns its ref. Its key is built from the strings. */
  create(hash: number, names: readonly string[], values: readonly string[]): number {
    const ids = this.idScratch(names.length * 2);
    for (let k = 0; k < names.length; k++) {
      ids[2 * k] = this.symbols.intern(names[k]);
      ids[2 * k + 1] = this.symbols.intern(values[k]);
    }
    const key = this.keys.build(names, values);
    return this.createInterned(hash, ids, names.length * 2, key, 0, key.length);
  }

  /**
   * `create` for labels given as UTF-8 byte ranges of `buf` (the decoder's layout, see
   * `findBytes`), whose canonical key is `buf[keyStart, keyEnd)`: symbols are interned from the
   * bytes, so no string is built for labels the head already knows.
   */
  createFromBytes(hash: number, buf: Buffer, refs: Uint32Array, from: number, to: number, keyStart: number, keyEnd: number): number {
    const ids = this.idScratch((to - from) * 2);
    const symbols = this.symbols;
    for (let e = from, k = 0; e < to; e++, k += 2) {
      const r = e * 4;
      ids[k] = symbols.internBytes(buf, refs[r], refs[r + 1]);
      ids[k + 1] = symbols.internBytes(buf, refs[r + 2], refs[r + 3]);
    }
    return this.createInterned(hash, ids, (to - from) * 2, buf, keyStart, keyEnd);
  }

  private idScratch(n: number): Uint32Array {
    if (this.ids.length < n) this.ids = new Uint32Array(n * 2);
    return this.ids;
  }

  private createInterned(hash: number, ids: Uint32Array, n: number, key: Buffer, keyStart: number, keyEnd: number): number {
    const ref = this.nextRef;
    if (ref >= TOMBSTONE) throw new RangeError('the head ran out of series refs (2^32); restart the ingester to reset them');
    const p = this.pageFor(ref);
    const lo = hashLow(hash);
    p.allocate(ref & PAGE_MASK, lo, hashHigh(hash), ids, n, key, keyStart, keyEnd);
    this.nextRef++;
    this.live++;
    this.insert(ref, lo);
    return ref;
  }

  /**
   * Re-creates a series under a given ref (loading a snapshot): `ref` must be above every ref
   * handed out so far, and `labels` are ids of this store's symbol table.
   */
  restore(ref: number, hashLo: number, hashHi: number, labels: Uint32Array, labelCount: number): SeriesPage {
    if (!(ref >= this.nextRef && ref < TOMBSTONE)) throw new RangeError(`series ref ${ref} is not above the last ref ${this.nextRef - 1}`);
    const p = this.pageFor(ref);
    const names = new Array<string>(labelCount >>> 1);
    const values = new Array<string>(labelCount >>> 1);
    for (let k = 0; k < names.length; k++) {
      names[k] = this.symbols.get(labels[2 * k]);
      values[k] = this.symbols.get(labels[2 * k + 1]);
    }
    const key = this.keys.build(names, values);
    p.allocate(ref & PAGE_MASK, hashLo, hashHi, labels, labelCount, key, 0, key.length);
    this.nextRef = ref + 1;
    this.live++;
    this.insert(ref, hashLo);
    return p;
  }

  /** The page of a ref being handed out, made when it is the page's first (sized like the one before). */
  private pageFor(ref: number): SeriesPage {
    const pageIndex = ref >>> PAGE_BITS;
    let p = this.pages[pageIndex];
    if (p === undefined) this.pages[pageIndex] = p = new SeriesPage(pageIndex << PAGE_BITS, this.pages[pageIndex - 1]);
    return p;
  }

  /** The ref the next new series gets (refs below it were handed out, live or collected). */
  get nextSeriesRef(): number {
    return this.nextRef;
  }

  /** Skips refs up to `next` (loading a snapshot whose newest series were collected). */
  advanceNextRef(next: number): void {
    if (next > this.nextRef) this.nextRef = next;
  }

  /** Garbage-collects a series: frees its state and forgets its hash entry. */
  delete(ref: number): void {
    const p = this.page(ref);
    if (p === undefined) return;
    const i = ref & PAGE_MASK;
    const lo = p.hashLo[i];
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    for (let slot = lo & mask; ; slot = (slot + 1) & mask) {
      const r = table[slot * 2];
      if (r === EMPTY) break;
      if (r === ref) {
        table[slot * 2] = TOMBSTONE;
        break;
      }
    }
    p.release(i);
    this.live--;
    // The page of the next ref to hand out stays even when empty.
    if (p.live === 0 && p.full) this.pages[ref >>> PAGE_BITS] = undefined;
  }

  /** Calls `fn` for every live series in ascending ref order. */
  forEach(fn: (p: SeriesPage, i: number, ref: number) => void): void {
    for (const p of this.pages) {
      if (p === undefined) continue;
      for (let i = 0; i < p.used; i++) if (p.alive[i] === 1) fn(p, i, p.base + i);
    }
  }

  /** Calls `fn` for every page in ascending ref order. */
  forEachPage(fn: (p: SeriesPage) => void): void {
    for (const p of this.pages) if (p !== undefined) fn(p);
  }

  /** A series' labels as strings (materialised for queries, errors and blocks only). */
  labels(ref: number): Labels {
    const p = this.page(ref)!;
    const ids = p.labels(ref & PAGE_MASK);
    const out: Array<[string, string]> = new Array(ids.length / 2);
    for (let k = 0; k < ids.length; k += 2) out[k / 2] = [this.symbols.get(ids[k]), this.symbols.get(ids[k + 1])];
    return out;
  }

  /**
   * Rewrites every series' symbol ids through `remap` (old id → new id) and switches to a new
   * symbol table (symbol-table compaction). Each page gets a new arena: a head capture may still
   * read the old one with the old table, so label ids are never rewritten in place.
   */
  remapSymbols(remap: Uint32Array, symbols: SymbolTable): void {
    for (const p of this.pages) {
      if (p === undefined) continue;
      const arena = p.arena.slice();
      for (let i = 0; i < p.used; i++) {
        if (p.alive[i] !== 1) continue;
        const end = p.labelOff[i] + p.labelLen[i];
        for (let k = p.labelOff[i]; k < end; k++) arena[k] = remap[arena[k]];
      }
      p.arena = arena;
    }
    this.symbols = symbols;
  }

  /** Approximate bytes of the hash table (for memory reports). */
  get tableBytes(): number {
    return this.table.byteLength;
  }

  private sameLabels(p: SeriesPage, i: number, names: readonly string[], values: readonly string[]): boolean {
    const len = p.labelLen[i];
    if (len !== names.length * 2) return false;
    const off = p.labelOff[i];
    const arena = p.arena;
    for (let k = 0; k < names.length; k++) {
      if (this.symbols.get(arena[off + 2 * k]) !== names[k]) return false;
      if (this.symbols.get(arena[off + 2 * k + 1]) !== values[k]) return false;
    }
    return true;
  }

  private insert(ref: number, lo: number): void {
    if ((this.tableUsed + 1) * 2 > this.table.length >>> 1) this.rehash();
    const table = this.table;
    const mask = (table.length >>> 1) - 1;
    let slot = lo & mask;
    while (table[slot * 2] !== EMPTY && table[slot * 2] !== TOMBSTONE) slot = (slot + 1) & mask;
    if (table[slot * 2] === EMPTY) this.tableUsed++;
    table[slot * 2] = ref;
    table[slot * 2 + 1] = lo;
  }

  /** Rebuilds the table without tombstones, at a size keeping it at most a quarter full. */
  private rehash(): void {
    const old = this.table;
    let slots = MIN_TABLE;
    while (slots < (this.live + 1) * 4) slots *= 2;
    const table = new Uint32Array(slots * 2);
    const mask = slots - 1;
    for (let s = 0; s < old.length; s += 2) {
      const ref = old[s];
      if (ref === EMPTY || ref === TOMBSTONE) continue;
      let slot = old[s + 1] & mask;
      while (table[slot * 2] !== EMPTY) slot = (slot + 1) & mask;
      table[slot * 2] = ref;
      table[slot * 2 + 1] = old[s + 1];
    }
    this.table = table;
    this.tableUsed = this.live;
  }
}
