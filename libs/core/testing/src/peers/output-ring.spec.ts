import { OutputRing } from './output-ring';

describe('OutputRing', () => {
  it.each([
    { name: 'keeps every line while under capacity', capacity: 5, writes: ['a\nb\n'], want: ['a', 'b'] },
    { name: 'keeps only the newest lines once full', capacity: 2, writes: ['a\nb\nc\nd\n'], want: ['c', 'd'] },
    { name: 'joins a line split across chunks', capacity: 5, writes: ['hel', 'lo\nwor', 'ld\n'], want: ['hello', 'world'] },
    { name: 'drops the carriage return of CRLF lines', capacity: 5, writes: ['a\r\nb\r\n'], want: ['a', 'b'] },
    { name: 'holds an unterminated last line until flushed', capacity: 5, writes: ['a\nb'], want: ['a'] },
  ])('$name', ({ capacity, writes, want }) => {
    const ring = new OutputRing(capacity);
    for (const w of writes) ring.write('stdout', w);
    expect(ring.tail()).toEqual(want);
  });

  it('flush pushes out the unterminated tail of each stream', () => {
    const ring = new OutputRing(5);
    ring.write('stdout', 'out');
    ring.write('stderr', 'err');
    ring.flush();
    expect(ring.tail()).toEqual(['out', 'err']);
  });

  it('keeps stdout and stderr partial lines apart', () => {
    const ring = new OutputRing(5);
    ring.write('stdout', 'o1 ');
    ring.write('stderr', 'e1\n');
    ring.write('stdout', 'o2\n');
    expect(ring.tail()).toEqual(['e1', 'o1 o2']);
  });

  it('cuts lines longer than maxLineLength so memory stays bounded', () => {
    const ring = new OutputRing(5, 10);
    ring.write('stdout', 'x'.repeat(25));
    const [line] = ring.tail();
    expect(line.startsWith('x'.repeat(10))).toBe(true);
    expect(line.length).toBeLessThan(20);
  });

  it('tail(n) returns the newest n lines oldest first and counts every line written', () => {
    const ring = new OutputRing(3);
    ring.write('stdout', '1\n2\n3\n4\n5\n');
    expect(ring.tail(2)).toEqual(['4', '5']);
    expect(ring.linesWritten).toBe(5);
  });
});
