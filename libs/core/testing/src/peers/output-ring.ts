/**
 * The last `capacity` lines a child printed on stdout and stderr, interleaved in arrival order.
 * Bounded twice: by line count and by line length (longer lines are cut), so a chatty or binary
 * output can never grow the test process's memory.
 */
export class OutputRing {
  private readonly lines: string[] = [];
  private next = 0;
  private total = 0;
  private readonly partial = new Map<string, string>();

  constructor(
    readonly capacity = 200,
    readonly maxLineLength = 2000,
  ) {
    if (capacity < 1) throw new RangeError(`output ring capacity must be >= 1, got ${capacity}`);
  }

  /** Appends a chunk of one stream; an unterminated last line waits for the stream's next chunk. */
  write(stream: string, chunk: Buffer | string): void {
    const text = (this.partial.get(stream) ?? '') + chunk.toString();
    const parts = text.split('\n');
    let rest = parts.pop() ?? '';
    for (const line of parts) this.push(line);
    if (rest.length > this.maxLineLength) {
      this.push(rest);
      rest = '';
    }
    this.partial.set(stream, rest);
  }

  /** Pushes out the unterminated tail of every stream (call when the child exited). */
  flush(): void {
    for (const [stream, rest] of this.partial) {
      if (rest) this.push(rest);
      this.partial.set(stream, '');
    }
  }

  /** The last `n` lines (all kept lines by default), oldest first. */
  tail(n = this.capacity): string[] {
    const kept = Math.min(this.total, this.capacity);
    const count = Math.min(n, kept);
    const out: string[] = [];
    for (let i = kept - count; i < kept; i++) {
      const start = this.total > this.capacity ? this.next : 0;
      out.push(this.lines[(start + i) % this.capacity]);
    }
    return out;
  }

  /** How many lines were written in total, including those already overwritten. */
  get linesWritten(): number {
    return this.total;
  }

  private push(line: string): void {
    const cut = line.length > this.maxLineLength ? `${line.slice(0, this.maxLineLength)}…[cut]` : line;
    this.lines[this.next] = cut.endsWith('\r') ? cut.slice(0, -1) : cut;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
  }
}
