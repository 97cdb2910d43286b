import { SymbolTable } from './symbols';

const utf8 = (s: string) => Buffer.from(`##${s}#`, 'utf8');

describe('SymbolTable.internBytes', () => {
  it.each([
    { name: 'ASCII', s: 'node_cpu_seconds_total' },
    { name: 'non-ASCII', s: 'Zürich 🌡️' },
    { name: 'one byte', s: 'a' },
    { name: 'long', s: 'x'.repeat(700) },
  ])('gives the id intern gives the same string, whichever comes first: $name', ({ s }) => {
    const stringFirst = new SymbolTable();
    const id = stringFirst.intern(s);
    const buf = utf8(s);
    expect(stringFirst.internBytes(buf, 2, buf.length - 3)).toBe(id);
    expect(stringFirst.size).toBe(1);

    const bytesFirst = new SymbolTable();
    bytesFirst.intern('other');
    const byBytes = bytesFirst.internBytes(buf, 2, buf.length - 3);
    expect(bytesFirst.get(byBytes)).toBe(s);
    expect(bytesFirst.intern(s)).toBe(byBytes);
    expect(bytesFirst.internBytes(buf, 2, buf.length - 3)).toBe(byBytes);
    expect(bytesFirst.size).toBe(2);
  });

  it('keeps every symbol findable while its byte table grows', () => {
    const table = new SymbolTable();
    const words = Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? `pod-${i}` : i % 3 === 1 ? `${i}` : `v${i}-é`));
    const ids = words.map((w) => {
      const b = utf8(w);
      return table.internBytes(b, 2, b.length - 3);
    });
    expect(new Set(ids).size).toBe(words.length);
    words.forEach((w, i) => {
      const b = utf8(w);
      expect(table.internBytes(b, 2, b.length - 3)).toBe(ids[i]);
      expect(table.lookup(w)).toBe(ids[i]);
    });
    expect(table.size).toBe(words.length);
  });

  it('tells apart strings that differ only in length or a late byte', () => {
    const table = new SymbolTable();
    const a = Buffer.from('abcdefgh');
    const ids = [table.internBytes(a, 0, 8), table.internBytes(a, 0, 7), table.internBytes(Buffer.from('abcdefgX'), 0, 8)];
    expect(ids.map((id) => table.get(id))).toEqual(['abcdefgh', 'abcdefg', 'abcdefgX']);
  });

  it('tells apart strings whose byte hashes are equal', () => {
    // Among these 200 000 names, 9 pairs share the table's 32-bit hash (e.g. "pod-8a24b42-5" and
    // "pod-4d2e0de6-3"): found only by comparing the bytes.
    const table = new SymbolTable();
    const words = Array.from({ length: 200_000 }, (_, i) => `pod-${(Math.imul(i, 2654435761) >>> 0).toString(16)}-${i % 7}`);
    const ids = words.map((w) => table.internBytes(Buffer.from(w), 0, w.length));
    expect(new Set(ids).size).toBe(words.length);
    for (const [a, b] of [['pod-8a24b42-5', 'pod-4d2e0de6-3'], ['pod-9f599f66-5', 'pod-f7662976-6']]) {
      expect(table.get(table.internBytes(Buffer.from(a), 0, a.length))).toBe(a);
      expect(table.get(table.internBytes(Buffer.from(b), 0, b.length))).toBe(b);
    }
    words.forEach((w, i) => expect(table.internBytes(Buffer.from(w), 0, w.length)).toBe(ids[i]));
    expect(table.size).toBe(words.length);
  });
});
