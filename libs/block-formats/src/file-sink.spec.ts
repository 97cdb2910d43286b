import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink } from './file-sink';

describe('FileSink', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-sink-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes what fits its buffer through tryWrite and refuses the rest untouched, keeping write order', async () => {
    const sink = await new FileSink(join(dir, 'f'), 100).open();
    expect(sink.tryWrite(Buffer.from('abcdef'), 1, 4)).toBe(true);
    expect(sink.pos).toBe(3);
    const big = Buffer.alloc(98, 0x78);
    expect(sink.tryWrite(big)).toBe(false);
    expect(sink.pos).toBe(3);
    await sink.write(big);
    expect(sink.tryWrite(Buffer.from('yy'))).toBe(true);
    expect(sink.tryWrite(Buffer.from('z'))).toBe(false);
    expect(sink.pos).toBe(103);
    await sink.close();
    expect((await readFile(join(dir, 'f'))).toString()).toBe(`bcd${'x'.repeat(98)}yy`);
  });
});
