import { compressSnappy, decompressSnappy } from '../snappy/snappy';
import { RemoteWriteDecoder } from '../remote-write/decoder';
import { encodeWriteRequestV1, encodeWriteRequestV2, TimeSeriesV2Input } from '../remote-write/encoder';
import { RemoteWriteVersion } from '../remote-write/decoded-write-request';

export interface DecodeBenchOptions {
  /** Series per request. */
  series: number;
  /** Samples per series. */
  samplesPerSeries: number;
  /** Labels per series, `__name__` included. */
  labelsPerSeries: number;
  /** Wall-clock time to spend per measurement, in milliseconds. */
  durationMs: number;
}

export interface DecodeBenchResult {
  version: RemoteWriteVersion;
  requestBytes: number;
  compressedBytes: number;
  samplesPerRequest: number;
  /** Protobuf decode only (body already decompressed). */
  decodeSamplesPerSecond: number;
  decodeRequestsPerSecond: number;
  /** Snappy decompression throughput, in MB (10^6 bytes) of decompressed output per second. */
  snappyMegabytesPerSecond: number;
  /** Decompress + decode. */
  endToEndSamplesPerSecond: number;
}

function defaultOptions(): DecodeBenchOptions {
  return { series: 1000, samplesPerSeries: 100, labelsPerSeries: 8, durationMs: 1500 };
}

/** A request shaped like real scrapes: shared metric names and label names, distinct instances. */
function buildSeries(o: DecodeBenchOptions): TimeSeriesV2Input[] {
  const start = 1_700_000_000_000;
  const out: TimeSeriesV2Input[] = [];
  for (let i = 0; i < o.series; i++) {
    const labels = [{ name: '__name__', value: `http_requests_total_${i % 50}` }];
    for (let l = 1; l < o.labelsPerSeries; l++) labels.push({ name: `label_${l}`, value: `value-${l}-${i}` });
    labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const samples = [];
    for (let j = 0; j < o.samplesPerSeries; j++) samples.push({ timestamp: start + j * 15000, value: i * 1.5 + j });
    out.push({ labels, samples });
  }
  return out;
}

function measure(durationMs: number, fn: () => void): number {
  for (let i = 0; i < 20; i++) fn(); // warm-up, lets the JIT optimise
  let n = 0;
  const t0 = process.hrtime.bigint();
  const deadline = t0 + BigInt(durationMs) * 1_000_000n;
  let now = t0;
  while (now < deadline) {
    fn();
    n++;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - t0) / 1e9); // iterations per second
}

/**
 * Micro-benchmark of the ingestion decode path on one core: snappy decompression and protobuf
 * decode of a 1.0 and a 2.0 request (default 1,000 series × 100 samples, 8 labels each). Not a
 * test: run it by hand (see README) and compare numbers before and after a change.
 */
export function runDecodeBench(options: Partial<DecodeBenchOptions> = {}): DecodeBenchResult[] {
  const o = { ...defaultOptions(), ...options };
  const series = buildSeries(o);
  const results: DecodeBenchResult[] = [];
  for (const version of [1, 2] as const) {
    const body = version === 1 ? encodeWriteRequestV1({ timeseries: series }) : encodeWriteRequestV2({ timeseries: series });
    const compressed = compressSnappy(body);
    const decoder = new RemoteWriteDecoder();
    const samples = o.series * o.samplesPerSeries;
    let sink = 0;
    const decodeRate = measure(o.durationMs, () => {
      sink += decoder.decode(body, version).sampleCount;
    });
    const snappyRate = measure(o.durationMs, () => {
      sink += decompressSnappy(compressed, 1 << 30).length;
    });
    const endToEndRate = measure(o.durationMs, () => {
      sink += decoder.decode(decompressSnappy(compressed, 1 << 30), version).sampleCount;
    });
    if (sink < 0) throw new Error('unreachable');
    results.push({
      version,
      requestBytes: body.length,
      compressedBytes: compressed.length,
      samplesPerRequest: samples,
      decodeSamplesPerSecond: Math.round(decodeRate * samples),
      decodeRequestsPerSecond: Math.round(decodeRate * 10) / 10,
      snappyMegabytesPerSecond: Math.round((snappyRate * body.length) / 1e5) / 10,
      endToEndSamplesPerSecond: Math.round(endToEndRate * samples),
    });
  }
  return results;
}
