import { open, FileHandle } from 'node:fs/promises';

/**
 * Sequential writes to one file through a fixed buffer: memory stays at `bufferBytes` however
 * large the file grows. `pos` is the file offset of the next byte. `close()` flushes and fsyncs.
 */
export class FileSink {
  private fh: FileHandle | undefined;
  private readonly buf: Buffer;
  private used = 0;
  private written = 0;

  constructor(
    readonly path: string,
    bufferBytes = 1 << 20,
  ) {
    this.buf = Buffer.allocUnsafe(bufferBytes);
  }

  async open(): Promise<this> {
    this.fh = await open(this.path, 'wx');
    return this;
  }

  get pos(): number {
    return this.written + this.used;
  }

  async write(data: Uint8Array): Promise<void> {
    if (data.length > this.buf.length - this.used) {
      await this.flush();
      if (data.length > this.buf.length) {
        await this.writeRaw(data);
        return;
      }
    }
    this.buf.set(data, this.used);
    this.used += data.length;
  }

  /**
   * Copies `data[start, end)` into the buffer when it fits there (no I/O, no promise) and returns
   * true; otherwise writes nothing and returns false: then `await write(…)`.
   */
  tryWrite(data: Uint8Array, start = 0, end = data.length): boolean {
    const n = end - start;
    if (n > this.buf.length - this.used) return false;
    if (n <= 64) {
      const buf = this.buf;
      let u = this.used;
      for (let i = start; i < end; i++) buf[u++] = data[i];
    } else {
      this.buf.set(data.subarray(start, end), this.used);
    }
    this.used += n;
    return true;
  }

  private async writeRaw(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh!.write(data, off, data.length - off);
      off += bytesWritten;
    }
    this.written += data.length;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await this.writeRaw(this.buf.subarray(0, n));
  }

  async close(): Promise<void> {
    if (!this.fh) return;
    await this.flush();
    await this.fh.sync();
    await this.fh.close();
    this.fh = undefined;
  }

  /** Closes without flushing (after a failure; the file is about to be removed). */
  async discard(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    this.used = 0;
    await fh?.close();
  }
}
