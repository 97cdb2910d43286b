import { MIN, constantSeries, groupHarness, lbls } from '../testing/harness';

const TENANT = 't1';

function harness(groupYaml: string) {
  const h = groupHarness(groupYaml);
  constantSeries(h.store, TENANT, { __name__: 'up', job: 'a', instance: '1' }, 1, 0, 10 * MIN);
  constantSeries(h.store, TENANT, { __name__: 'up', job: 'a', instance: '2' }, 1, 0, 10 * MIN);
  constantSeries(h.store, TENANT, { __name__: 'up', job: 'b', instance: '3' }, 0, 0, 3 * MIN);
  return h;
}

describe('recording rules', () => {
  it('write the result renamed, with the group and rule labels, at the evaluation time', async () => {
    const h = harness('name: g\nlabels:\n  team: infra\n  source: group\nrules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n    labels:\n      source: rule\n');
    await h.group.evaluate(2 * MIN);
    expect(h.sink.pushes).toEqual([
      {
        tenant: TENANT,
        samples: [
          { labels: lbls({ __name__: 'job:up:sum', job: 'a', source: 'rule', team: 'infra' }), t: 2 * MIN, v: 2 },
          { labels: lbls({ __name__: 'job:up:sum', job: 'b', source: 'rule', team: 'infra' }), t: 2 * MIN, v: 0 },
        ],
      },
    ]);
    expect(h.group.rules[0]).toMatchObject({ health: 'ok', lastError: '' });
  });

  it('query at the evaluation time minus the query offset, and write at that time', async () => {
    const h = harness('name: g\nquery_offset: 1m\nrules:\n  - record: r\n    expr: count(up)\n');
    await h.group.evaluate(10 * MIN);
    expect(h.sink.all()).toEqual([{ labels: lbls({ __name__: 'r' }), t: 9 * MIN, v: 2 }]);
  });

  it('mark series that disappear stale at the next evaluation', async () => {
    const h = harness('name: g\nrules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n');
    await h.group.evaluate(2 * MIN);
    h.sink.clear();
    // job b's last sample is at 3m; by 9m it is beyond the 5m lookback.
    await h.group.evaluate(9 * MIN);
    expect(h.sink.all()).toEqual([
      { labels: lbls({ __name__: 'job:up:sum', job: 'a' }), t: 9 * MIN, v: 2 },
      { labels: lbls({ __name__: 'job:up:sum', job: 'b' }), t: 9 * MIN, v: NaN, stale: true },
    ]);
  });

  it('feed later rules of the group in the same evaluation when written back', async () => {
    const h = groupHarness('name: g\nrules:\n  - record: a\n    expr: vector(3)\n  - record: b\n    expr: a * 2\n', { writeBack: true });
    await h.group.evaluate(MIN);
    expect(h.sink.all().map((s) => [s.labels[0][1], s.v])).toEqual([
      ['a', 3],
      ['b', 6],
    ]);
  });

  it.each<[string, string, string]>([
    ['limit exceeded', 'name: g\nlimit: 2\nrules:\n  - record: r\n    expr: up\n', 'exceeded limit of 2 with 3 series'],
    ['duplicate label sets', 'name: g\nrules:\n  - record: r\n    expr: up\n    labels:\n      instance: x\n      job: y\n', 'vector contains metrics with the same labelset after applying rule labels'],
    ['a string result', `name: g\nrules:\n  - record: r\n    expr: '"s"'\n`, 'rule result is not a vector or scalar'],
  ])('fail on %s, writing nothing', async (_name, groupYaml, message) => {
    const h = harness(groupYaml);
    await h.group.evaluate(2 * MIN);
    expect(h.group.rules[0]).toMatchObject({ health: 'err', lastError: message });
    expect(h.sink.pushes).toEqual([]);
  });

  it('are unhealthy when the write fails, and keep their previous series for staleness', async () => {
    const h = harness('name: g\nrules:\n  - record: r\n    expr: count(up)\n');
    await h.group.evaluate(MIN);
    h.sink.failWith = new Error('distributor unavailable');
    await h.group.evaluate(2 * MIN);
    expect(h.group.rules[0]).toMatchObject({ health: 'err', lastError: 'distributor unavailable' });
    expect((await h.metrics.evaluationFailures.get()).values[0].value).toBe(1);
    h.sink.failWith = undefined;
    await h.group.evaluate(3 * MIN);
    expect(h.group.rules[0].health).toBe('ok');
  });

  it('turn a scalar result into one sample without labels', async () => {
    const h = harness('name: g\nrules:\n  - record: r\n    expr: scalar(count(up))\n');
    await h.group.evaluate(2 * MIN);
    expect(h.sink.all()).toEqual([{ labels: lbls({ __name__: 'r' }), t: 2 * MIN, v: 3 }]);
  });
});
