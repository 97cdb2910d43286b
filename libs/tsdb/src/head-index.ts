import { IndexReader } from './index-reader';
import { EMPTY_POSTINGS, RefList, union } from './postings';
import { SymbolTable } from './symbols';

/** A label set as interned [name, value] id pairs, flattened: n0 v0 n1 v1 …, sorted by name. */
export type InternedLabels = Uint32Array;

/**
 * The head's inverted index: label name → label value → postings, over interned strings, plus the
 * list of every series. Series refs must be added in ascending order (the head assigns them so).
 */
export class HeadIndex implements IndexReader {
  readonly symbols = new SymbolTable();
  private readonly byName = new Map<number, Map<number, RefList>>();
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
    for (let i = from; i < to; i += 2) {
      let values = this.byName.get(labels[i]);
      if (!values) this.byName.set(labels[i], (values = new Map()));
      let list = values.get(labels[i + 1]);
      if (!list) values.set(labels[i + 1], (list = new RefList()));
      list.append(ref);
    }
  }

  /** Drops series (head garbage collection); empty lists and names disappear. */
  remove(refs: Set<number>): void {
    if (refs.size === 0) return;
    const keep = (ref: number) => !refs.has(ref);
    this.all.retain(keep);
    for (const [name, values] of this.byName) {
      for (const [value, list] of values) {
        list.retain(keep);
        if (list.length === 0) values.delete(value);
      }
      if (values.size === 0) this.byName.delete(name);
    }
  }

  labelNames(): string[] {
    return [...this.byName.keys()].map((id) => this.symbols.get(id)).sort();
  }

  labelValues(name: string): string[] {
    const nameId = this.symbols.lookup(name);
    const values = nameId === undefined ? undefined : this.byName.get(nameId);
    return values ? [...values.keys()].map((id) => this.symbols.get(id)) : [];
  }

  postings(name: string, values: Iterable<string>): Uint32Array {
    const nameId = this.symbols.lookup(name);
    const byValue = nameId === undefined ? undefined : this.byName.get(nameId);
    if (!byValue) return EMPTY_POSTINGS;
    const lists: Uint32Array[] = [];
    for (const v of values) {
      const valueId = this.symbols.lookup(v);
      const list = valueId === undefined ? undefined : byValue.get(valueId);
      if (list) lists.push(list.view());
    }
    return union(lists);
  }

  allPostings(): Uint32Array {
    return this.all.view().slice();
  }

  get numSeries(): number {
    return this.all.length;
  }
}
