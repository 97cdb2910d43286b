import { CorruptBlockError } from './errors';
import { ByteWriter, Decbuf, uvarintSize, verifyCrc32c } from './encoding';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ByteWriter / Decbuf', () => {
  // Expected bytes were produced by Go's encoding/binary PutUvarint / PutVarint.
  it.each([
    { name: '0', x: 0, want: '00' },
    { name: '1', x: 1, want: '01' },
    { name: '127', x: 127, want: '7f' },
    { name: '128', x: 128, want: '8001' },
    { name: '300', x: 300, want: 'ac02' },
    { name: '16384', x: 16384, want: '808001' },
    { name: '2^31', x: 2 ** 31, want: '8080808008' },
    { name: '2^32 - 1', x: 2 ** 32 - 1, want: 'ffffffff0f' },
    { name: '2^32', x: 2 ** 32, want: '8080808010' },
    { name: '2^53 - 1', x: Number.MAX_SAFE_INTEGER, want: 'ffffffffffffff0f' },
  ])('uvarint $name encodes like Go and decodes back', ({ x, want }) => {
    const w = new ByteWriter(2);
    w.putUvarint(x);
    expect(hex(w.bytes())).toBe(want);
    expect(uvarintSize(x)).toBe(want.length / 2);
    expect(new Decbuf(w.bytes(), 't').uvarint()).toBe(x);
  });

  it.each([
    { name: '0', x: 0, want: '00' },
    { name: '-1', x: -1, want: '01' },
    { name: '1', x: 1, want: '02' },
    { name: '-64', x: -64, want: '7f' },
    { name: '64', x: 64, want: '8001' },
    { name: '1000000', x: 1_000_000, want: '80897a' },
    { name: '-1700000000000', x: -1_700_000_000_000, want: 'ff9fabfef962' },
    { name: 'beyond 2^52', x: 2 ** 52 + 2, want: '8480808080808010' },
    { name: 'below -2^52', x: -(2 ** 52) - 2, want: '8380808080808010' },
  ])('varint $name zig-zags like Go and decodes back', ({ x, want }) => {
    const w = new ByteWriter();
    w.putVarint(x);
    expect(hex(w.bytes())).toBe(want);
    expect(new Decbuf(w.bytes(), 't').varint()).toBe(x);
  });

  it('writes a negative delta as the uvarint of its uint64 bits (10 bytes) and reads it back as int64', () => {
    const w = new ByteWriter();
    w.putUvarintOfInt64(-5);
    expect(hex(w.bytes())).toBe('fbffffffffffffffff01');
    expect(new Decbuf(w.bytes(), 't').uvarintAsInt64()).toBe(-5);
  });

  it.each([
    { name: 'be32', write: (w: ByteWriter) => w.putBE32(0xbaaad700), read: (d: Decbuf) => d.be32(), want: 'baaad700', value: 0xbaaad700 },
    { name: 'be64', write: (w: ByteWriter) => w.putBE64(2 ** 40 + 5), read: (d: Decbuf) => d.be64(), want: '0000010000000005', value: 2 ** 40 + 5 },
    { name: 'uvarint string', write: (w: ByteWriter) => w.putUvarintStr('é😀'), read: (d: Decbuf) => d.uvarintStr(), want: '06c3a9f09f9880', value: 'é😀' },
  ])('$name is big-endian / length-prefixed and round-trips', ({ write, read, want, value }) => {
    const w = new ByteWriter();
    write(w);
    expect(hex(w.bytes())).toBe(want);
    expect(read(new Decbuf(w.bytes(), 't'))).toBe(value);
  });

  it.each([
    { name: 'already aligned', base: 32, len: 0, align: 16, want: 0 },
    { name: 'to 16 from offset 40', base: 40, len: 0, align: 16, want: 8 },
    { name: 'to 4 with bytes written', base: 1, len: 2, align: 4, want: 1 },
  ])('pads $name with zeros', ({ base, len, align, want }) => {
    const w = new ByteWriter();
    for (let i = 0; i < len; i++) w.putByte(0xff);
    w.pad(align, base);
    expect(w.length - len).toBe(want);
    expect((base + w.length) % align).toBe(0);
    expect([...w.bytes().subarray(len)].every((b) => b === 0)).toBe(true);
  });

  it.each([
    { name: 'a 1-byte length before a short tail', tail: 5 },
    { name: 'a 2-byte length before a tail moved byte by byte', tail: 130 - 66 },
    { name: 'a 2-byte length before a long tail', tail: 200 },
    { name: 'a 3-byte length', tail: 20_000 },
  ])('inserts $name as a uvarint prefix, moving the bytes after it', ({ tail }) => {
    const w = new ByteWriter(8);
    w.putBytes(Buffer.from('head'));
    const body = Buffer.from(Array.from({ length: tail }, (_, i) => (i * 7) & 0xff));
    w.putBytes(body);
    w.insertUvarint(4, tail);
    const prefix = new ByteWriter();
    prefix.putUvarint(tail);
    expect(Buffer.from(w.bytes()).equals(Buffer.concat([Buffer.from('head'), prefix.bytes(), body]))).toBe(true);
  });

  it.each([
    { name: 'a short slice', start: 3, end: 10 },
    { name: 'a long slice', start: 1, end: 300 },
    { name: 'an empty slice', start: 5, end: 5 },
  ])('copies $name of another buffer', ({ start, end }) => {
    const src = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 13) & 0xff));
    const w = new ByteWriter(2);
    w.putByte(0xaa);
    w.putSlice(src, start, end);
    expect(hex(w.bytes())).toBe('aa' + hex(src.subarray(start, end)));
  });

  it('writes a range of 32-bit words big-endian', () => {
    const w = new ByteWriter(2);
    w.putBE32s(Uint32Array.from([1, 0xbaaad700, 0xffffffff, 7]), 1, 3);
    expect(hex(w.bytes())).toBe('baaad700ffffffff');
  });

  it('throws CorruptBlockError naming the section when data runs out', () => {
    const d = new Decbuf(Uint8Array.from([0x80, 0x80]), 'index series 3');
    expect(() => d.uvarint()).toThrow(CorruptBlockError);
    expect(() => new Decbuf(new Uint8Array(2), 'index TOC').be32()).toThrow(/index TOC: unexpected end/);
  });

  it('verifies a section checksum and reports a mismatch', () => {
    const w = new ByteWriter();
    w.putBytes(Buffer.from('123456789'));
    w.putCrc32c(0);
    expect(hex(w.bytes().subarray(9))).toBe('e3069283');
    expect(() => verifyCrc32c(w.bytes(), 0, 9, 's')).not.toThrow();
    w.bytes()[0] ^= 1;
    expect(() => verifyCrc32c(w.bytes(), 0, 9, 'symbol table')).toThrow(/symbol table: checksum mismatch/);
  });
});
