import { seededRandom } from '@panoptes/common';
import { ByteWriter, Decbuf } from '@panoptes/block-formats';
import {
  type MatrixResponse,
  type SeriesPieces,
  concatMatrices,
  extractRange,
  joinMatrixBodies,
  matrixJson,
  matrixJsonChunks,
  readMatrix,
  readMatrixBody,
  readMatrixSlices,
  renderMatrix,
  scanMatrixBody,
  skipMatrix,
  slicePointsText,
  writeMatrix,
} from './matrix';

function response(series: Array<{ metric: Record<string, string>; times: number[] }>, extra: Partial<MatrixResponse> = {}): MatrixResponse {
  return {
    status: 'success',
    data: { resultType: 'matrix', result: series.map((s) => ({ metric: s.metric, values: s.times.map((t): [number, string] => [t / 1000, String(Math.sin(t) * 1e3)]) })) },
    ...extra,
  };
}

/** The plain-JSON way: what the cache must give the same answer as. */
function referenceRange(res: MatrixResponse, start: number, end: number): MatrixResponse {
  const result = res.data.result
    .map((s) => ({ metric: s.metric, values: (s.values ?? []).filter(([t]) => t * 1000 >= start && t * 1000 <= end) }))
    .filter((s) => s.values.length > 0);
  return { ...res, data: { resultType: 'matrix', result } };
}

describe('rendered matrices', () => {
  it('write out exactly what JSON.stringify writes for the same answer, annotations included', () => {
    const res = response(
      [
        { metric: {}, times: [60_000] },
        { metric: { __name__: 'up', job: 'a"b', zone: 'é' }, times: [1_000, 61_500, 121_000] },
      ],
      { warnings: ['w1'], infos: ['i1'] },
    );
    res.data.result[0].values!.push([120, 'NaN'], [180, '+Inf']);
    expect(matrixJson(renderMatrix(res))).toBe(JSON.stringify(res));
    const plain = response([{ metric: { job: 'a' }, times: [0] }]);
    expect(matrixJson(renderMatrix(plain))).toBe(JSON.stringify(plain));
  });

  it('sort a querier\'s series by labels, as Prometheus sorts a matrix', () => {
    const m = renderMatrix(response([{ metric: { job: 'b' }, times: [0] }, { metric: { job: 'a', x: '1' }, times: [0] }, { metric: { job: 'a' }, times: [0] }]));
    expect(m.series.map((s) => s.metric)).toEqual(['{"job":"a"}', '{"job":"a","x":"1"}', '{"job":"b"}']);
  });

  it('slice by time like filtering the parsed points, on random ranges', () => {
    const rng = seededRandom(7);
    const times = Array.from({ length: 50 }, (_, i) => i * 15_000);
    const res = response([
      { metric: { job: 'a' }, times },
      { metric: { job: 'b' }, times: times.filter((_, i) => i % 3 === 0) },
    ]);
    const m = renderMatrix(res);
    for (let k = 0; k < 200; k++) {
      const a = Math.floor(rng() * 800_000) - 20_000;
      const b = a + Math.floor(rng() * 400_000);
      const got = extractRange(m, a, b);
      expect(matrixJson(got)).toBe(JSON.stringify(referenceRange(res, a, b)));
      // A slice of a slice is still well formed.
      const mid = a + Math.floor((b - a) / 2);
      expect(matrixJson(extractRange(got, mid, b))).toBe(JSON.stringify(referenceRange(res, Math.max(a, mid), b)));
    }
  });

  it('join consecutive parts series by series, sorted by labels, with annotations merged once', () => {
    const early = renderMatrix(response([{ metric: { job: 'b' }, times: [0, 15_000] }, { metric: { job: 'a' }, times: [15_000] }], { warnings: ['w'] }));
    const late = renderMatrix(response([{ metric: { job: 'c' }, times: [30_000] }, { metric: { job: 'a' }, times: [30_000, 45_000] }], { warnings: ['w'], infos: ['i'] }));
    const joined = concatMatrices([early, late]);
    expect(joined.series.map((s) => s.metric)).toEqual(['{"job":"a"}', '{"job":"b"}', '{"job":"c"}']);
    expect([...joined.series[0].times]).toEqual([15_000, 30_000, 45_000]);
    const body = JSON.parse(matrixJson(joined)) as MatrixResponse;
    expect(body.data.result[0].values!.map(([t]) => t)).toEqual([15, 30, 45]);
    expect(body.warnings).toEqual(['w']);
    expect(body.infos).toEqual(['i']);
    expect(matrixJson(extractRange(joined, 30_000, 30_000))).toBe(
      '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[30,"' +
        String(Math.sin(30_000) * 1e3) +
        '"]]},{"metric":{"job":"c"},"values":[[30,"' +
        String(Math.sin(30_000) * 1e3) +
        '"]]}]},"warnings":["w"],"infos":["i"]}',
    );
  });

  it('round-trip through the binary writer and reader', () => {
    const m = renderMatrix(response([{ metric: { job: 'ü' }, times: [0, 15_000, 30_000] }], { infos: ['i'] }));
    const w = new ByteWriter();
    writeMatrix(w, m);
    writeMatrix(w, extractRange(m, 15_000, 15_000));
    const r = new Decbuf(w.bytes(), 'test');
    expect(readMatrix(r)).toEqual(m);
    expect(matrixJson(readMatrix(r))).toBe(matrixJson(extractRange(m, 15_000, 15_000)));
    expect(r.remaining).toBe(0);
  });

  it('cut from the binary entry without decoding, write the same bytes as slicing the decoded matrix, on random ranges', () => {
    const rng = seededRandom(11);
    const times = Array.from({ length: 40 }, (_, i) => i * 15_000);
    const res = response([
      { metric: { job: 'a', zone: 'é' }, times },
      { metric: { job: 'b' }, times: times.filter((_, i) => i % 7 === 0) },
      { metric: { job: 'c' }, times: times.slice(30) },
    ]);
    const m = renderMatrix(res);
    const w = new ByteWriter();
    writeMatrix(w, renderMatrix(response([{ metric: { job: 'skipped' }, times: [0] }], { warnings: ['w'] })));
    writeMatrix(w, m);
    const d = new Decbuf(w.bytes(), 'test');
    skipMatrix(d);
    const slices = readMatrixSlices(d);
    expect(d.remaining).toBe(0);
    expect(slices.annotated).toBe(false);
    for (let k = 0; k < 200; k++) {
      const a = Math.floor(rng() * 700_000) - 20_000;
      const b = a + Math.floor(rng() * 300_000);
      const pieces: SeriesPieces[] = [];
      for (const s of slices.series) {
        const text = slicePointsText(s, a, b);
        if (text) pieces.push({ metric: s.metric, texts: [text] });
      }
      expect(Buffer.concat(matrixJsonChunks(pieces)).toString('utf8')).toBe(matrixJson(extractRange(m, a, b)));
    }
  });

  describe('read from a querier\'s body without parsing points', () => {
    const bodies = {
      plain: JSON.stringify(response([{ metric: { job: 'a' }, times: [0, 15_000, 30_500] }, { metric: { job: 'b', x: 'y' }, times: [15_000] }])),
      annotated: JSON.stringify(response([{ metric: { job: 'a' }, times: [0] }], { warnings: ['w "1"'], infos: ['i'] })),
      empty: JSON.stringify(response([])),
      unsorted: JSON.stringify(response([{ metric: { job: 'b' }, times: [0] }, { metric: { job: 'a' }, times: [0] }])),
      seriesWithoutValues: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"}},{"metric":{"job":"b"},"values":[[1,"NaN"],[2,"+Inf"]]}]}}',
      trickyLabels: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"}],\\"x","b":"\\u003c{"},"values":[[1.5,"-1e+30"]]}]}}',
    };
    it.each(Object.entries(bodies).map(([name, body]) => ({ name, body })))('$name: the same series, times and answer as parsing it', ({ body }) => {
      const scanned = scanMatrixBody(body);
      expect(scanned).toBeDefined();
      const parsed = renderMatrix(JSON.parse(body) as MatrixResponse);
      expect(scanned!.series.map((s) => [JSON.parse(s.metric), [...s.times], s.text, [...s.offsets]])).toEqual(
        parsed.series.map((s) => [JSON.parse(s.metric), [...s.times], s.text, [...s.offsets]]),
      );
      expect(JSON.parse(matrixJson(scanned!))).toEqual(JSON.parse(matrixJson(parsed)));
      expect([scanned!.warnings, scanned!.infos]).toEqual([parsed.warnings, parsed.infos]);
    });

    it('keeps the querier\'s label escaping byte for byte', () => {
      const body = '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"le":"\\u003c1"},"values":[[1,"2"]]}]}}';
      expect(matrixJson(scanMatrixBody(body)!)).toBe(body);
    });

    it.each([
      { name: 'an error answer', body: '{"status":"error","errorType":"bad_data","error":"x"}' },
      { name: 'a vector', body: '{"status":"success","data":{"resultType":"vector","result":[]}}' },
      { name: 'stats after the result', body: '{"status":"success","data":{"resultType":"matrix","result":[],"stats":{"timings":{}}}}' },
      { name: 'a cut body', body: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"2"' },
    ])('leaves $name to the JSON parser', ({ body }) => {
      expect(scanMatrixBody(body)).toBeUndefined();
    });

    it('readMatrixBody falls back to JSON for a layout it does not scan', () => {
      const body = '{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"2"]],"metric":{"a":"b"}}]}}';
      expect(scanMatrixBody(body)).toBeUndefined();
      expect(matrixJson(readMatrixBody(body))).toBe('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1,"2"]]}]}}');
    });
  });
});

describe('joinMatrixBodies', () => {
  const body = (series: Array<{ metric: Record<string, string>; times: number[] }>, extra: Partial<MatrixResponse> = {}): string => JSON.stringify(response(series, extra));
  const general = (bodies: string[]): string => matrixJson(concatMatrices(bodies.map(readMatrixBody)));

  it.each([
    {
      name: 'two splits with the same series',
      bodies: [body([{ metric: { job: 'a' }, times: [0, 60_000] }, { metric: { job: 'b' }, times: [0] }]), body([{ metric: { job: 'a' }, times: [120_000] }, { metric: { job: 'b' }, times: [180_000] }])],
    },
    {
      name: 'series only in one split, labels needing escapes, out of order in an answer',
      bodies: [
        body([{ metric: { job: 'z"q', zone: 'é' }, times: [0] }, { metric: { job: 'a' }, times: [0] }]),
        body([{ metric: { __name__: 'up' }, times: [60_000] }, { metric: { job: 'a' }, times: [60_000, 120_000] }]),
      ],
    },
    { name: 'an empty split', bodies: [body([]), body([{ metric: {}, times: [60_000] }])] },
    { name: 'annotations merged once', bodies: [body([{ metric: { job: 'a' }, times: [0] }], { warnings: ['w1'], infos: ['i1'] }), body([{ metric: { job: 'a' }, times: [60_000] }], { warnings: ['w1', 'w2'] })] },
    { name: 'three splits', bodies: [body([{ metric: { job: 'a' }, times: [0] }]), body([{ metric: { job: 'a' }, times: [60_000] }]), body([{ metric: { job: 'a' }, times: [120_000] }])] },
  ])('joins $name exactly as the point-by-point path does', ({ bodies }) => {
    expect(joinMatrixBodies(bodies)).toBe(general(bodies));
  });

  it('keeps NaN and infinities as the querier wrote them', () => {
    const res = response([{ metric: { job: 'a' }, times: [0] }]);
    res.data.result[0].values!.push([60, 'NaN'], [120, '+Inf'], [180, '-Inf']);
    const bodies = [JSON.stringify(res), body([{ metric: { job: 'a' }, times: [240_000] }])];
    expect(joinMatrixBodies(bodies)).toBe(general(bodies));
  });

  it.each([
    { name: 'an error answer', other: '{"status":"error","errorType":"bad_data","error":"x"}' },
    { name: 'a series with no points', other: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[]}]}}' },
    { name: 'a series with histograms', other: '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"histograms":[[1,{"count":"1"}]]}]}}' },
    { name: 'query stats after the result', other: '{"status":"success","data":{"resultType":"matrix","result":[],"stats":{}}}' },
  ])('leaves $name to the general path', ({ other }) => {
    expect(joinMatrixBodies([body([{ metric: { job: 'a' }, times: [0] }]), other])).toBeUndefined();
  });
});
