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
