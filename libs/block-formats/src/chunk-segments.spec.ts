import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkSegmentWriter, chunkRef, encodeChunkRecord, readChunkRecord } from './chunk-segments';

const chunk = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('ChunkSegmentWriter', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chunk-segments-'));
    for (const d of ['a', 'b', 'c']) await mkdir(join(dir, d));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same segment bytes and refs through tryWriteChunk as through writeChunk', async () => {
    const sizes = [10, 200, 3, 1000, 127, 128];
    const viaAsync = new ChunkSegmentWriter(join(dir, 'a'));
    const viaTry = new ChunkSegmentWriter(join(dir, 'b'));
    const refsAsync: number[] = [];
    const refsTry: number[] = [];
    for (const [i, n] of sizes.entries()) {
      refsAsync.push(await viaAsync.writeChunk(1, chunk(n, i)));
      let ref = viaTry.tryWriteChunk(1, chunk(n, i));
      if (ref < 0) ref = await viaTry.writeChunk(1, chunk(n, i));
      refsTry.push(ref);
    }
    await viaAsync.close();
    await viaTry.close();
    expect(refsTry).toEqual(refsAsync);
    const a = await readFile(join(dir, 'a', '000001'));
    expect((await readFile(join(dir, 'b', '000001'))).equals(a)).toBe(true);
    expect(Buffer.from(readChunkRecord(a, refsAsync[3]).data).equals(chunk(1000, 3))).toBe(true);
  });

  it.each([
    { name: 'before the first segment exists', before: [], size: 10 },
    { name: 'when the chunk would push the segment past its size limit', before: [40], size: 41 },
  ])('leaves a chunk to writeChunk $name', async ({ before, size }) => {
    const w = new ChunkSegmentWriter(join(dir, 'c'), 100);
    for (const n of before) await w.writeChunk(1, chunk(n, 1));
    expect(w.tryWriteChunk(1, chunk(size, 2))).toBe(-1);
    const ref = await w.writeChunk(1, chunk(size, 2));
    await w.close();
    expect(ref).toBe(chunkRef(before.length === 0 ? 0 : 1, 8));
    const last = await readFile(join(dir, 'c', before.length === 0 ? '000001' : '000002'));
    expect(last.subarray(8).equals(Buffer.from(encodeChunkRecord(1, chunk(size, 2))))).toBe(true);
  });
});
