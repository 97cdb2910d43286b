import { IndexReader } from './index-reader';
import { EMPTY_POSTINGS, RefList, union } from './postings';
import { grown } from './series-page';
import { SymbolTable } from './symbols';

/** A label set as interned [name, value] id pairs, flattened: n0 v0 n1 v1 …, sorted by name. */
export type InternedLabels = Uint32Array;

// Read once: a global lookup in a hot loop is slow inside vm contexts (Jest).
const { imul } = Math;

/**
 * Pair table layout: per slot, the label name id, the value id, the postings length (0 = empty
 * slot) and either the one ref (length 1) or the index of the postings array in `lists`.
 */
const STRIDE = 4;
const NAME = 0;
const VALUE = 1;
const LEN = 2;
const FIRST = 3;
const INITIAL_SLOTS = 1024;

function pairHash(name: number, value: number): number {
  let h = imul(value ^ imul(name, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return imul(h, 0xc2b2ae35) ^ (h >>> 16);
}

/** The value ids of one label name, in the order they were first indexed. */
interface NameValues {
  ids: Uint32Array;
  n: number;
}

/**
 * The head's inverted index: label name → label value → postings, over interned strings, plus the
 * list of every series. Series refs must be added in ascending order (the head assigns them so).
 *
 * Postings live in one open-addressing table keyed by the (name id, value id) pair: indexing a
 * label of a new series is one probe in one typed array, and a value only one series has (a pod,
 * a container id) keeps its ref in the slot, with no object or array of its own. Each name keeps
 * the list of its value ids, for label values and regex matchers.
 */
export class HeadIndex implements IndexReader {
  readonly symbols = new SymbolTable();
  private slots = new Uint32Array(INITIAL_SLOTS * STRIDE);
  private pairs = 0;
  /** Postings of pairs with two refs or more; a slot's FIRST is the index here. */
  private lists: Uint32Array[] = [];
  private readonly valuesOf = new Map<number, NameValues>();
  private readonly all = new RefList(1024);

  /** Interns a sorted label set given as parallel name/value strings. */
  internLabels(names: readonly string[], values: readonly string[]): InternedLabels {
    const out = new Uint32Array(names.length * 2);
    for (let i = 0; i < names.length; i++) {
      out[2 * i] = this.symbols.intern(names[i]);
      out[2 * i + 1] = this.symbols.intern(values[i]);
    }
    return out;
  }

  /** Indexes series `ref` with the interned labels `labels[from, to)` (all of them by default). */
  add(ref: number, labels: InternedLabels, from = 0, to = labels.length): void {
    this.all.append(ref);
    for (let i = from; i < to; i += 2) this.addPair(labels[i], labels[i + 1], ref);
  }

  /** Drops series (head garbage collection); empty lists and names disappear. */
  remove(refs: Set<number>): void {
    if (refs.size === 0) return;
    const keep = (ref: number) => !refs.has(ref);
    this.all.retain(keep);
    // Every pair's refs are filtered in place and the table rebuilt from the survivors, name by
    // name in the order their values were first indexed; lists and value lists are reused.
    const old = this.slots;
    const oldLists = this.lists;
    const slots = new Uint32Array(old.length);
    const lists: Uint32Array[] = [];
    let pairs = 0;
    for (const [name, values] of this.valuesOf) {
      let kept = 0;
      for (let k = 0; k < values.n; k++) {
        const value = values.ids[k];
        const s = findSlot(old, name, value);
        let len = old[s + LEN];
        let first = old[s + FIRST];
        if (len === 1) {
          if (!keep(first)) continue;
        } else {
          const list = oldLists[first];
          let w = 0;
          for (let r = 0; r < len; r++) if (keep(list[r])) list[w++] = list[r];
          if (w === 0) continue;
          len = w;
          first = w === 1 ? list[0] : lists.push(list) - 1;
        }
        placePair(slots, name, value, len, first);
        pairs++;
        values.ids[kept++] = value;
      }
      values.n = kept;
      if (kept === 0) this.valuesOf.delete(name);
    }
    this.slots = slots;
    this.lists = lists;
    this.pairs = pairs;
    // Give back most of the table after a large collection (keeping the load under 1/2).
    let size = slots.length / STRIDE;
    while (size > INITIAL_SLOTS && pairs * 8 < size) size /= 2;
    if (size !== slots.length / STRIDE) this.resize(size);
  }

  labelNames(): string[] {
    return [...this.valuesOf.keys()].map((id) => this.symbols.get(id)).sort();
  }

  labelValues(name: string): string[] {
    const nameId = this.symbols.lookup(name);
    const values = nameId === undefined ? undefined : this.valuesOf.get(nameId);
    if (values === undefined) return [];
    const out = new Array<string>(values.n);
    for (let k = 0; k < values.n; k++) out[k] = this.symbols.get(values.ids[k]);
    return out;
  }

  postings(name: string, values: Iterable<string>): Uint32Array {
    const nameId = this.symbols.lookup(name);
    if (nameId === undefined || !this.valuesOf.has(nameId)) return EMPTY_POSTINGS;
    const lists: Uint32Array[] = [];
    for (const v of values) {
      const valueId = this.symbols.lookup(v);
      if (valueId === undefined) continue;
      const s = this.find(nameId, valueId);
      if (s >= 0) lists.push(this.refsAt(s));
    }
    return union(lists);
  }

  allPostings(): Uint32Array {
    return this.all.view().slice();
  }

  get numSeries(): number {
    return this.all.length;
  }

  /** The postings of the pair at slot offset `s` (a view, valid until the next add). */
  private refsAt(s: number): Uint32Array {
    const len = this.slots[s + LEN];
    return len === 1 ? Uint32Array.of(this.slots[s + FIRST]) : this.lists[this.slots[s + FIRST]].subarray(0, len);
  }

  /** The slot offset of the pair, or -1. */
  private find(name: number, value: number): number {
    return findSlot(this.slots, name, value);
  }

  private addPair(name: number, value: number, ref: number): void {
    const slots = this.slots;
    const mask = slots.length / STRIDE - 1;
    let s: number;
    for (let k = pairHash(name, value) & mask; ; k = (k + 1) & mask) {
      s = k * STRIDE;
      const len = slots[s + LEN];
      if (len === 0) break;
      if (slots[s + NAME] !== name || slots[s + VALUE] !== value) continue;
      // A known pair: refs come in ascending order, so the ref goes last.
      const last = len === 1 ? slots[s + FIRST] : this.lists[slots[s + FIRST]][len - 1];
      if (ref <= last) throw new RangeError(`postings refs must be appended in ascending order: ${ref} after ${last}`);
      if (len === 1) {
        const list = new Uint32Array(4);
        list[0] = slots[s + FIRST];
        list[1] = ref;
        slots[s + FIRST] = this.lists.push(list) - 1;
      } else {
        let list = this.lists[slots[s + FIRST]];
        if (len === list.length) this.lists[slots[s + FIRST]] = list = grown(list, len * 2);
        list[len] = ref;
      }
      slots[s + LEN] = len + 1;
      return;
    }
    // A new pair.
    slots[s + NAME] = name;
    slots[s + VALUE] = value;
    slots[s + LEN] = 1;
    slots[s + FIRST] = ref;
    let values = this.valuesOf.get(name);
    if (values === undefined) this.valuesOf.set(name, (values = { ids: new Uint32Array(4), n: 0 }));
    if (values.n === values.ids.length) values.ids = grown(values.ids, values.n * 2);
    values.ids[values.n++] = value;
    if (++this.pairs * 2 > slots.length / STRIDE) this.grow();
  }

  private grow(): void {
    this.resize((this.slots.length / STRIDE) * 2);
  }

  private resize(slotCount: number): void {
    const old = this.slots;
    const slots = new Uint32Array(slotCount * STRIDE);
    for (let o = 0; o < old.length; o += STRIDE) {
      if (old[o + LEN] !== 0) placePair(slots, old[o + NAME], old[o + VALUE], old[o + LEN], old[o + FIRST]);
    }
    this.slots = slots;
  }
}

/** The slot offset of the pair in `slots`, or -1. */
function findSlot(slots: Uint32Array, name: number, value: number): number {
  const mask = slots.length / STRIDE - 1;
  for (let k = pairHash(name, value) & mask; ; k = (k + 1) & mask) {
    const s = k * STRIDE;
    if (slots[s + LEN] === 0) return -1;
    if (slots[s + NAME] === name && slots[s + VALUE] === value) return s;
  }
}

/** Puts a pair that `slots` does not hold into its first free slot. */
function placePair(slots: Uint32Array, name: number, value: number, len: number, first: number): void {
  const mask = slots.length / STRIDE - 1;
  let k = pairHash(name, value) & mask;
  while (slots[k * STRIDE + LEN] !== 0) k = (k + 1) & mask;
  const s = k * STRIDE;
  slots[s + NAME] = name;
  slots[s + VALUE] = value;
  slots[s + LEN] = len;
  slots[s + FIRST] = first;
}
