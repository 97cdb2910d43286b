import { Agent, request } from 'node:http';
import { RemoteWriteBody } from './remote-write-bodies';

/** The headers Prometheus 2.42 sends with every remote write 1.0 request. */
export const REMOTE_WRITE_V1_HEADERS: Readonly<Record<string, string>> = {
  'Content-Encoding': 'snappy',
  'Content-Type': 'application/x-protobuf',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
  'User-Agent': 'panoptes-bench-ingest',
};

export interface LoadResult {
  requests: number;
  /** Samples in the requests that were sent (whatever the answer). */
  samples: number;
  /** Samples in requests answered 2xx. */
  acceptedSamples: number;
  seconds: number;
  /** acceptedSamples / seconds. */
  samplesPerSecond: number;
  /** Count per HTTP status (`"204"`) or transport error (`"ECONNRESET"`). */
  statuses: Record<string, number>;
  /** Requests not answered 2xx. */
  errors: number;
  /** The first few failures: status and the start of the answer. */
  firstErrors: string[];
}

export interface Response {
  status: number;
  body: string;
}

/** One POST over `agent`; resolves with the status and the answer's first 300 characters. */
export function post(agent: Agent, url: string, body: Buffer, headers: Record<string, string>, timeoutMs = 60_000): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'Content-Length': String(body.length) }, timeout: timeoutMs }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 300) parts.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8').slice(0, 300) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs `bodies` (window-major, see remote-write-bodies.ts) to `url` with at most `concurrency`
 * requests in flight over keep-alive connections, and times the whole batch. A request for
 * window w of group g starts only after window w-1 of the same group was answered, so each series
 * arrives in timestamp order whatever the interleaving.
 */
export async function sendBodies(url: string, bodies: readonly RemoteWriteBody[], groups: number, concurrency: number, headers = REMOTE_WRITE_V1_HEADERS): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const done: Array<Promise<void>> = new Array(bodies.length);
  const release: Array<() => void> = new Array(bodies.length);
  for (let i = 0; i < bodies.length; i++) done[i] = new Promise<void>((r) => (release[i] = r));
  const result: LoadResult = { requests: 0, samples: 0, acceptedSamples: 0, seconds: 0, samplesPerSecond: 0, statuses: {}, errors: 0, firstErrors: [] };
  const fail = (what: string): void => {
    result.errors++;
    if (result.firstErrors.length < 5) result.firstErrors.push(what);
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < bodies.length; i = next++) {
      const b = bodies[i];
      // Same group, previous window: bodies are window-major, `groups` apart.
      if (i >= groups && bodies[i - groups].group === b.group) await done[i - groups];
      try {
        const res = await post(agent, url, b.body, { ...headers });
        result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        if (res.status >= 200 && res.status < 300) result.acceptedSamples += b.samples;
        else fail(`HTTP ${res.status} (window ${b.window}, group ${b.group}): ${res.body.trim()}`);
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as Error).message;
        result.statuses[code] = (result.statuses[code] ?? 0) + 1;
        fail(`${code} (window ${b.window}, group ${b.group})`);
      } finally {
        result.requests++;
        result.samples += b.samples;
        release[i]();
      }
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => worker()));
  result.seconds = Number(process.hrtime.bigint() - start) / 1e9;
  result.samplesPerSecond = result.seconds > 0 ? result.acceptedSamples / result.seconds : 0;
  agent.destroy();
  return result;
}

/** Two consecutive runs as one: counts added, time summed. */
export function combineLoads(a: LoadResult, b: LoadResult): LoadResult {
  const statuses = { ...a.statuses };
  for (const [k, v] of Object.entries(b.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const seconds = a.seconds + b.seconds;
  const acceptedSamples = a.acceptedSamples + b.acceptedSamples;
  return {
    requests: a.requests + b.requests,
    samples: a.samples + b.samples,
    acceptedSamples,
    seconds,
    samplesPerSecond: seconds > 0 ? acceptedSamples / seconds : 0,
    statuses,
    errors: a.errors + b.errors,
    firstErrors: [...a.firstErrors, ...b.firstErrors].slice(0, 5),
  };
}
