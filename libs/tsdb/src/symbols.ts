/**
 * Interned strings: every label name and value the head holds is stored once and referred to by a
 * dense integer id. Ids are never reused while the table lives (series hold them in typed arrays).
 */
export class SymbolTable {
  private readonly ids = new Map<string, number>();
  private readonly strings: string[] = [];

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
}
