import { Agent, request } from 'node:http';
import type { MatrixSeries } from './compare';

/** A range query's window, ms since the epoch, and its step in ms. */
export interface QueryRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

export interface TimedAnswer {
  status: number;
  /** From sending the request to the last byte of the answer. */
  ms: number;
  /** The result when the answer was a successful matrix. */
  result?: MatrixSeries[];
  /** Start of the answer when it was not. */
  error?: string;
}

/**
 * Sends range queries the way Grafana does (POST, form-encoded) over one keep-alive connection,
 * one at a time: the timing is the server's answer time plus one loopback round trip.
 */
export class RangeQueryClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  /** `url` is the full query_range URL (`http://host:port/api/v1/query_range`). */
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 120_000,
  ) {}

  async query(expr: string, range: QueryRange, keepResult: boolean): Promise<TimedAnswer> {
    const form = new URLSearchParams({ query: expr, start: String(range.startMs / 1000), end: String(range.endMs / 1000), step: String(range.stepMs / 1000) }).toString();
    const t0 = process.hrtime.bigint();
    const { status, body } = await this.post(form);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (status !== 200) return { status, ms, error: body.toString('utf8').slice(0, 300) };
    if (!keepResult) return { status, ms };
    const json = JSON.parse(body.toString('utf8')) as { status: string; data?: { resultType: string; result: MatrixSeries[] } };
    if (json.data?.resultType !== 'matrix') return { status, ms, error: `answer is not a matrix: ${body.toString('utf8').slice(0, 200)}` };
    return { status, ms, result: json.data.result };
  }

  close(): void {
    this.agent.destroy();
  }

  private post(form: string): Promise<{ status: number; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(form)) };
      const req = request(this.url, { method: 'POST', agent: this.agent, headers, timeout: this.timeoutMs }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(form);
    });
  }
}
