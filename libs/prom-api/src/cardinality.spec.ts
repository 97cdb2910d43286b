import { UnavailableError } from '@panoptes/common';
import { cardinalityLabelNames, cardinalityLabelValues } from './cardinality';
import { form, labels, query, testContext } from './testing/fakes';
import { defaultPromApiConfig } from './types';

function enabled() {
  const ctx = testContext({ limits: { cardinalityAnalysisEnabled: true } });
  ctx.queryable.add(
    't1',
    labels({ __name__: 'up', job: 'api', instance: 'a' }),
    labels({ __name__: 'up', job: 'api', instance: 'b' }),
    labels({ __name__: 'up', job: 'db', instance: 'c' }),
    labels({ __name__: 'requests_total', job: 'api', code: '200' }),
  );
  return ctx;
}

describe('cardinality/label_names', () => {
  it('counts distinct values per label name, most first, then by name', async () => {
    const res = await cardinalityLabelNames(form({}), enabled());
    expect(res.headers['Content-Type']).toBe('application/json');
    expect(res.body).toBe(
      '{"label_values_count_total":8,"label_names_count":4,"cardinality":[' +
        '{"label_name":"instance","label_values_count":3},{"label_name":"__name__","label_values_count":2},' +
        '{"label_name":"job","label_values_count":2},{"label_name":"code","label_values_count":1}]}',
    );
  });

  it('counts only series matching the selector and returns at most limit items', async () => {
    const res = await cardinalityLabelNames(query('selector={job="api"}&limit=1'), enabled());
    expect(JSON.parse(res.body)).toEqual({ label_values_count_total: 6, label_names_count: 4, cardinality: [{ label_name: '__name__', label_values_count: 2 }] });
  });

  it('looks at the series of the configured window before now', async () => {
    const ctx = enabled();
    await cardinalityLabelNames(form({}), ctx);
    const now = ctx.now();
    expect(ctx.queryable.querierRanges).toEqual([{ tenant: 't1', minT: now - defaultPromApiConfig().cardinalityLookbackMs, maxT: now }]);
  });

  it('refuses tenants without cardinality analysis, in plain text like Mimir', async () => {
    const res = await cardinalityLabelNames(form({}), testContext());
    expect(res).toEqual({
      status: 400,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
      body: 'cardinality analysis is disabled for the tenant: t1\n',
    });
  });

  it.each<[string, string, string]>([
    ['two selectors', 'selector=up&selector=x', "multiple 'selector' params are not allowed"],
    ['a bad selector', 'selector=up{', 'failed to parse selector: 1:'],
    ['a bad limit', 'limit=x', 'strconv.Atoi: parsing "x": invalid syntax'],
    ['a negative limit', 'limit=-1', "'limit' param cannot be less than '0'"],
    ['a limit over 500', 'limit=501', "'limit' param cannot be greater than '500'"],
    ['two limits', 'limit=1&limit=2', "multiple 'limit' params are not allowed"],
    ['an unknown count_method', 'count_method=x', "invalid 'count_method' param 'x'. valid options are: [active,inmemory]"],
  ])('rejects %s with 400 in plain text', async (_name, qs, message) => {
    const res = await cardinalityLabelNames(query(qs), enabled());
    expect(res.status).toBe(400);
    expect(res.body.startsWith(message)).toBe(true);
  });

  it('answers a storage failure with its status in plain text', async () => {
    const ctx = enabled();
    ctx.queryable.querier = () => {
      throw new UnavailableError('ingesters_unavailable', 'too many unhealthy ingesters');
    };
    const res = await cardinalityLabelNames(form({}), ctx);
    expect([res.status, res.body]).toEqual([503, 'too many unhealthy ingesters\n']);
  });
});

describe('cardinality/label_values', () => {
  it('counts series per value of each requested label, labels by series count then name', async () => {
    const res = await cardinalityLabelValues(form({ 'label_names[]': ['job', 'code', 'missing'], count_method: 'active' }), enabled());
    expect(JSON.parse(res.body)).toEqual({
      series_count_total: 4,
      labels: [
        {
          label_name: 'job',
          label_values_count: 2,
          series_count: 4,
          cardinality: [
            { label_value: 'api', series_count: 3 },
            { label_value: 'db', series_count: 1 },
          ],
        },
        { label_name: 'code', label_values_count: 1, series_count: 1, cardinality: [{ label_value: '200', series_count: 1 }] },
        { label_name: 'missing', label_values_count: 0, series_count: 0, cardinality: [] },
      ],
    });
  });

  it('applies the selector to the counts but not to series_count_total, and limit to each label', async () => {
    const res = await cardinalityLabelValues(query('label_names[]=instance&selector={job="api"}&limit=1'), enabled());
    expect(res.body).toBe(
      '{"series_count_total":4,"labels":[{"label_name":"instance","label_values_count":2,"series_count":2,"cardinality":[{"label_value":"a","series_count":1}]}]}',
    );
  });

  it.each<[string, string, string]>([
    ['no label_names[]', '', "'label_names[]' param is required"],
    ['an empty label name', 'label_names[]=', "invalid 'label_names' param ''"],
  ])('rejects %s with 400 in plain text', async (_name, qs, message) => {
    const res = await cardinalityLabelValues(query(qs), enabled());
    expect([res.status, res.body]).toEqual([400, `${message}\n`]);
  });
});
