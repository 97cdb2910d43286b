import { type ByteWriter, type Decbuf, compareLabels } from '@panoptes/block-formats';

/** One series of a Prometheus matrix response, as JSON gives it. */
interface JsonSeries {
  metric: Record<string, string>;
  values?: [number, string][];
}

/** The Prometheus JSON envelope of a successful query_range. */
export interface MatrixResponse {
  status: 'success';
  data: { resultType: 'matrix'; result: JsonSeries[] };
  warnings?: string[];
  infos?: string[];
}

/**
 * One series of a matrix kept as the JSON text it is answered with: the results cache slices,
 * joins and writes out series without parsing or formatting a single point again.
 * `text` holds the points as `[t,"v"]` items joined by commas; point i starts at `offsets[i]`, and
 * `offsets[n]` is `text.length + 1` (as if a comma followed the last point).
 */
export interface RenderedSeries {
  /** The `metric` object as JSON text; also the series' identity within one query. */
  metric: string;
  /** Point timestamps, ms, ascending. */
  times: Float64Array;
  offsets: Uint32Array;
  text: string;
}

/** A matrix answer held as rendered series, sorted by labels as Prometheus sorts a matrix. */
export interface RenderedMatrix {
  series: RenderedSeries[];
  warnings: string[];
  infos: string[];
}

const sortedPairs = (metric: Record<string, string>): [string, string][] =>
  Object.entries(metric).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** Renders a parsed query_range answer (from a querier) for the cache, series sorted by labels. */
export function renderMatrix(res: MatrixResponse): RenderedMatrix {
  const series: RenderedSeries[] = [];
  for (const s of res.data.result) {
    const values = s.values ?? [];
    if (values.length === 0) continue;
    const times = new Float64Array(values.length);
    const offsets = new Uint32Array(values.length + 1);
    let text = '';
    for (let i = 0; i < values.length; i++) {
      const [t, v] = values[i];
      times[i] = Math.round(t * 1000);
      offsets[i] = text.length;
      text += `${i === 0 ? '' : ','}[${t},${JSON.stringify(v)}]`;
      if (i > 0) offsets[i]++;
    }
    offsets[values.length] = text.length + 1;
    series.push({ metric: JSON.stringify(s.metric), times, offsets, text });
  }
  return { series: sortedByLabels(series), warnings: res.warnings ?? [], infos: res.infos ?? [] };
}

const MATRIX_PREFIX = '{"status":"success","data":{"resultType":"matrix","result":[';

/** Index just past the JSON object or string starting at `i` (`{` or `"`), honouring strings and escapes; -1 if unterminated. */
function skipJson(body: string, i: number): number {
  let depth = 0;
  for (let j = i; j < body.length; j++) {
    const c = body.charCodeAt(j);
    if (c === 0x22) {
      for (j++; j < body.length; j++) {
        const d = body.charCodeAt(j);
        if (d === 0x5c) j++;
        else if (d === 0x22) break;
      }
      if (depth === 0) return j + 1;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/**
 * Walks a plain matrix answer's series (`MATRIX_PREFIX`, then `{"metric":{…},"values":[…]}` items):
 * for each series with points, `points(metric, start)` gets its `metric` object's text and the index
 * of its first point's `[`, and returns the index of the `]` that closes the points, or -1 to give
 * up. Returns the index just past the result array, or -1 for any other layout.
 */
function walkMatrixSeries(body: string, points: (metric: string, start: number) => number): number {
  if (!body.startsWith(MATRIX_PREFIX)) return -1;
  let i = MATRIX_PREFIX.length;
  if (body.charCodeAt(i) === 0x5d) return i + 1;
  for (;;) {
    if (!body.startsWith('{"metric":', i)) return -1;
    const metricStart = i + 10;
    const metricEnd = skipJson(body, metricStart);
    if (metricEnd < 0 || body.charCodeAt(metricStart) !== 0x7b) return -1;
    i = metricEnd;
    if (body.startsWith(',"values":[', i)) {
      const end = points(body.slice(metricStart, metricEnd), i + 11);
      if (end < 0) return -1;
      i = end + 1;
    }
    if (body.charCodeAt(i) !== 0x7d) return -1;
    i++;
    const next = body.charCodeAt(i);
    i++;
    if (next === 0x5d) return i;
    if (next !== 0x2c) return -1;
  }
}

/**
 * A querier's query_range answer body read straight into rendered series: each series' `metric`
 * and points are slices of the body, only the timestamps are parsed, so no object per point is
 * made and the labels keep the querier's escaping. Undefined for anything but a plain matrix
 * answer (an error, `stats`, an unexpected layout): the caller parses it as JSON instead.
 */
export function scanMatrixBody(body: string): RenderedMatrix | undefined {
  const series: RenderedSeries[] = [];
  const i = walkMatrixSeries(body, (metric, textStart) => {
    const times: number[] = [];
    const offsets: number[] = [];
    let j = textStart;
    for (;;) {
      if (body.charCodeAt(j) !== 0x5b) return -1;
      offsets.push(j - textStart);
      const comma = body.indexOf(',', j);
      const t = Number(body.slice(j + 1, comma));
      if (comma < 0 || Number.isNaN(t) || body.charCodeAt(comma + 1) !== 0x22) return -1;
      times.push(Math.round(t * 1000));
      const close = body.indexOf('"]', comma + 2);
      if (close < 0) return -1;
      j = close + 2;
      const next = body.charCodeAt(j);
      if (next === 0x2c) j++;
      else if (next === 0x5d) break;
      else return -1;
    }
    const text = body.slice(textStart, j);
    offsets.push(text.length + 1);
    series.push({ metric, times: Float64Array.from(times), offsets: Uint32Array.from(offsets), text });
    return j;
  });
  const annotations = i < 0 ? undefined : readAnnotations(body, i);
  if (!annotations) return undefined;
  return { series: sortedByLabels(series), warnings: annotations.warnings ?? [], infos: annotations.infos ?? [] };
}

/** What follows a matrix answer's result array at `i`: the end of `data` (anything else, e.g. `stats`, is left to JSON), then the annotations. */
function readAnnotations(body: string, i: number): { warnings?: string[]; infos?: string[] } | undefined {
  if (body.charCodeAt(i) !== 0x7d) return undefined;
  const rest = body.slice(i + 1);
  if (rest === '}') return {};
  if (!rest.startsWith(',')) return undefined;
  try {
    return JSON.parse(`{${rest.slice(1)}`) as { warnings?: string[]; infos?: string[] };
  } catch {
    return undefined;
  }
}

/** One series of a matrix answer as two slices of its body: the `metric` object and the points' text (`[t,"v"],…`). */
interface SeriesText {
  metric: string;
  text: string;
}

/**
 * A querier's plain matrix answer cut into series without reading a single point: the points'
 * text runs from `,"values":[` to the `"]]` that closes the last point (values are quoted numbers,
 * `NaN` or `±Inf`, so no `]` occurs inside). Undefined for anything else (histograms, `stats`, an
 * error): the caller takes the point-by-point path.
 */
function scanSeriesTexts(body: string): { series: SeriesText[]; warnings: string[]; infos: string[] } | undefined {
  const series: SeriesText[] = [];
  const i = walkMatrixSeries(body, (metric, textStart) => {
    if (body.charCodeAt(textStart) !== 0x5b) return -1;
    const close = body.indexOf('"]]', textStart);
    if (close < 0) return -1;
    series.push({ metric, text: body.slice(textStart, close + 2) });
    return close + 2;
  });
  const annotations = i < 0 ? undefined : readAnnotations(body, i);
  if (!annotations) return undefined;
  return { series, warnings: annotations.warnings ?? [], infos: annotations.infos ?? [] };
}

/**
 * The consecutive splits' query_range answer bodies joined into the whole answer, exactly as
 * `matrixJson(concatMatrices(parts.map(readMatrixBody)))` writes it, without parsing or indexing
 * any point: the path for splits nobody caches, which only need their points' text appended.
 * Undefined when a body is not a plain matrix answer (the caller takes the general path).
 */
export function joinMatrixBodies(bodies: readonly string[]): string | undefined {
  const byMetric = new Map<string, string[]>();
  const warnings = new Set<string>();
  const infos = new Set<string>();
  for (const body of bodies) {
    const part = scanSeriesTexts(body);
    if (!part) return undefined;
    for (const w of part.warnings) warnings.add(w);
    for (const i of part.infos) infos.add(i);
    for (const s of part.series) {
      const texts = byMetric.get(s.metric);
      if (texts) texts.push(s.text);
      else byMetric.set(s.metric, [s.text]);
    }
  }
  const metrics = sortMetricsByLabels([...byMetric.keys()], (m) => m);
  const parts: string[] = [];
  for (const m of metrics) parts.push(`{"metric":${m},"values":[${byMetric.get(m)!.join(',')}]}`);
  let out = `{"status":"success","data":{"resultType":"matrix","result":[${parts.join(',')}]}`;
  if (warnings.size > 0) out += `,"warnings":${JSON.stringify([...warnings])}`;
  if (infos.size > 0) out += `,"infos":${JSON.stringify([...infos])}`;
  return `${out}}`;
}

/** Series in Prometheus's matrix order (by labels); a querier's answer already is, so this mostly checks. */
function sortedByLabels(series: RenderedSeries[]): RenderedSeries[] {
  return sortMetricsByLabels(series, (s) => s.metric);
}

/** A querier's query_range answer as rendered series: scanned when it is a plain matrix, parsed otherwise. */
export function readMatrixBody(body: string): RenderedMatrix {
  return scanMatrixBody(body) ?? renderMatrix(JSON.parse(body) as MatrixResponse);
}

/** First index in `times` (ascending) whose value is ≥ t. */
function lowerBound(times: Float64Array, t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Points from..to-1 of a series (from < to), as a series of their own. */
function slicePoints(s: RenderedSeries, from: number, to: number): RenderedSeries {
  if (from === 0 && to === s.times.length) return s;
  const base = s.offsets[from];
  const offsets = new Uint32Array(to - from + 1);
  for (let i = from; i <= to; i++) offsets[i - from] = s.offsets[i] - base;
  return { metric: s.metric, times: s.times.slice(from, to), offsets, text: s.text.slice(base, s.offsets[to] - 1) };
}

/** The points with start ≤ t ≤ end (ms); series left without points are dropped. */
export function extractRange(m: RenderedMatrix, start: number, end: number): RenderedMatrix {
  const series: RenderedSeries[] = [];
  for (const s of m.series) {
    const from = lowerBound(s.times, start);
    const to = lowerBound(s.times, end + 1);
    if (to > from) series.push(slicePoints(s, from, to));
  }
  return { series, warnings: m.warnings, infos: m.infos };
}

/** Two parts of one series, `b`'s points all after `a`'s, as one. */
function concatPoints(a: RenderedSeries, b: RenderedSeries): RenderedSeries {
  const n = a.times.length;
  const times = new Float64Array(n + b.times.length);
  times.set(a.times);
  times.set(b.times, n);
  const offsets = new Uint32Array(times.length + 1);
  offsets.set(a.offsets.subarray(0, n));
  const shift = a.text.length + 1;
  for (let i = 0; i < b.offsets.length; i++) offsets[n + i] = b.offsets[i] + shift;
  return { metric: a.metric, times, offsets, text: `${a.text},${b.text}` };
}


/**
 * Joins consecutive parts of one range query (splits, or extents of one split): series matched by
 * labels, points appended in part order (parts never share a step), annotations merged, series
 * sorted by labels as Prometheus sorts a matrix (one part is sorted already: `renderMatrix` sorts).
 */
export function concatMatrices(parts: readonly RenderedMatrix[]): RenderedMatrix {
  if (parts.length === 1) return parts[0];
  const byMetric = new Map<string, RenderedSeries>();
  const warnings = new Set<string>();
  const infos = new Set<string>();
  for (const p of parts) {
    for (const w of p.warnings) warnings.add(w);
    for (const i of p.infos) infos.add(i);
    for (const s of p.series) {
      const prev = byMetric.get(s.metric);
      byMetric.set(s.metric, prev ? concatPoints(prev, s) : s);
    }
  }
  return { series: sortedByLabels([...byMetric.values()]), warnings: [...warnings], infos: [...infos] };
}

/** The query_range answer body, as `JSON.stringify` of the equivalent `MatrixResponse` writes it. */
export function matrixJson(m: RenderedMatrix): string {
  const parts: string[] = [];
  for (const s of m.series) parts.push(`{"metric":${s.metric},"values":[${s.text}]}`);
  let out = `{"status":"success","data":{"resultType":"matrix","result":[${parts.join(',')}]}`;
  if (m.warnings.length > 0) out += `,"warnings":${JSON.stringify(m.warnings)}`;
  if (m.infos.length > 0) out += `,"infos":${JSON.stringify(m.infos)}`;
  return `${out}}`;
}

/** Bytes of a typed array, as stored in a cache entry (platform byte order, little-endian here). */
const bytesOf = (a: Float64Array | Uint32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Appends a rendered matrix to a cache entry (the block formats' `ByteWriter`). */
export function writeMatrix(w: ByteWriter, m: RenderedMatrix): void {
  w.putUvarintStr(m.warnings.length || m.infos.length ? JSON.stringify([m.warnings, m.infos]) : '');
  w.putUvarint(m.series.length);
  for (const s of m.series) {
    w.putUvarintStr(s.metric);
    w.putUvarint(s.times.length);
    w.putBytes(bytesOf(s.times));
    w.putBytes(bytesOf(s.offsets));
    // Points are numbers and "NaN"/"+Inf"/"-Inf": ASCII, so latin1 is exact and cheapest.
    const text = Buffer.from(s.text, 'latin1');
    w.putUvarint(text.length);
    w.putBytes(text);
  }
}

/**
 * One series of a cached matrix as views into the cache entry's bytes (`writeMatrix`'s layout):
 * the `metric` JSON and the points' text are subarrays, times and offsets are read in place, so a
 * cached answer is cut and joined without decoding or copying a point.
 */
export interface SeriesSlice {
  metric: Buffer;
  text: Buffer;
  /** Point count. */
  n: number;
  /** The entry buffer, and where in it the series' times (float64 LE) and offsets (uint32 LE) start. */
  buf: Buffer;
  timesAt: number;
  offsetsAt: number;
}

/** A cached matrix as series slices; `annotated` when it carries warnings or infos. */
export interface MatrixSlices {
  series: SeriesSlice[];
  annotated: boolean;
}

/** Reads what `writeMatrix` wrote as views (`SeriesSlice`); `Decbuf` throws on a truncated entry. */
export function readMatrixSlices(d: Decbuf): MatrixSlices {
  const annotated = d.uvarint();
  d.skip(annotated);
  return { series: readSeriesSlices(d), annotated: annotated > 0 };
}

/** The series part of what `writeMatrix` wrote, as views into the entry. */
function readSeriesSlices(d: Decbuf): SeriesSlice[] {
  const count = d.uvarint();
  const series: SeriesSlice[] = [];
  for (let i = 0; i < count; i++) {
    const metric = d.bytes(d.uvarint());
    const n = d.uvarint();
    const timesAt = d.pos;
    d.skip(n * 8);
    const offsetsAt = d.pos;
    d.skip((n + 1) * 4);
    series.push({ metric, text: d.bytes(d.uvarint()), n, buf: d.buf, timesAt, offsetsAt });
  }
  return series;
}

/** Skips what `writeMatrix` wrote. */
export function skipMatrix(d: Decbuf): void {
  d.skip(d.uvarint());
  const count = d.uvarint();
  for (let i = 0; i < count; i++) {
    d.skip(d.uvarint());
    const n = d.uvarint();
    d.skip(n * 12 + 4);
    d.skip(d.uvarint());
  }
}

/** First point of a slice whose time is ≥ t (ms). */
function sliceLowerBound(s: SeriesSlice, t: number): number {
  let lo = 0;
  let hi = s.n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s.buf.readDoubleLE(s.timesAt + mid * 8) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The text of a slice's points with start ≤ t ≤ end (ms), as a view; undefined when there are none. */
export function slicePointsText(s: SeriesSlice, start: number, end: number): Buffer | undefined {
  // The common warm case, a window that is the cached extent: every point, no search.
  if (s.n > 0 && s.buf.readDoubleLE(s.timesAt) >= start && s.buf.readDoubleLE(s.timesAt + (s.n - 1) * 8) <= end) return s.text;
  const from = sliceLowerBound(s, start);
  const to = sliceLowerBound(s, end + 1);
  if (to <= from) return undefined;
  if (from === 0 && to === s.n) return s.text;
  return s.text.subarray(s.buf.readUInt32LE(s.offsetsAt + from * 4), s.buf.readUInt32LE(s.offsetsAt + to * 4) - 1);
}

const MATRIX_PREFIX_BYTES = Buffer.from(MATRIX_PREFIX);
const SERIES_OPEN = Buffer.from('{"metric":');
const SERIES_VALUES = Buffer.from(',"values":[');
const SERIES_CLOSE = Buffer.from(']}');
const SERIES_CLOSE_NEXT = Buffer.from(']},');
const COMMA = Buffer.from(',');
const MATRIX_SUFFIX = Buffer.from(']}}');

/** One series of an answer cut from cached entries: its `metric` JSON and its points' texts, in time order. */
export interface SeriesPieces {
  metric: Buffer;
  texts: Buffer[];
}

/**
 * The query_range answer body of series without annotations, byte for byte what `matrixJson`
 * writes for them, as the pieces to write in order (views of the cache entries: no copy of the points).
 */
export function matrixJsonChunks(series: readonly SeriesPieces[]): Buffer[] {
  const chunks: Buffer[] = [MATRIX_PREFIX_BYTES];
  for (let i = 0; i < series.length; i++) {
    const s = series[i];
    chunks.push(SERIES_OPEN, s.metric, SERIES_VALUES);
    for (let j = 0; j < s.texts.length; j++) {
      if (j > 0) chunks.push(COMMA);
      chunks.push(s.texts[j]);
    }
    chunks.push(i === series.length - 1 ? SERIES_CLOSE : SERIES_CLOSE_NEXT);
  }
  chunks.push(MATRIX_SUFFIX);
  return chunks;
}

/** `items` in Prometheus's matrix order: by the labels of each one's `metric` JSON object. */
export function sortMetricsByLabels<T>(items: T[], metric: (item: T) => string): T[] {
  if (items.length < 2) return items;
  const keyed = items.map((item) => ({ item, labels: sortedPairs(JSON.parse(metric(item)) as Record<string, string>) }));
  keyed.sort((a, b) => compareLabels(a.labels, b.labels));
  return keyed.map((k) => k.item);
}

/** Reads what `writeMatrix` wrote; `Decbuf` throws on a truncated entry. */
export function readMatrix(d: Decbuf): RenderedMatrix {
  const annotations = d.uvarintStr();
  const [warnings, infos] = annotations ? (JSON.parse(annotations) as [string[], string[]]) : [[], []];
  const series = readSeriesSlices(d).map((s): RenderedSeries => {
    // Copied: typed arrays need aligned offsets, and the entry's buffer is not kept.
    const times = new Float64Array(s.n);
    bytesOf(times).set(s.buf.subarray(s.timesAt, s.timesAt + s.n * 8));
    const offsets = new Uint32Array(s.n + 1);
    bytesOf(offsets).set(s.buf.subarray(s.offsetsAt, s.offsetsAt + (s.n + 1) * 4));
    return { metric: s.metric.toString('utf8'), times, offsets, text: s.text.toString('latin1') };
  });
  return { series, warnings, infos };
}
