import { createTestEngine } from '../promqltest/engine-adapter';
import { type RunOptions, runTestScript } from '../promqltest/runner';

/**
 * Prometheus 3 behaviours the upstream test scripts do not pin down, written in their script
 * language so each case also runs as a range query and with `@` pinned, as the runner does.
 */
const CASES: [string, string, RunOptions?][] = [
  [
    'an empty side gives nothing before any matching error',
    `load 1m
  b{x="1",y="1"} 1
  b{x="1",y="2"} 2

eval instant at 0 nonexistent + on(x) b

eval instant at 0 nonexistent * on(x) group_left b
`,
  ],
  [
    'timestamp() uses the sample time only for a plain selector',
    `load 1m
  foo{a="1"} 1

eval instant at 2m timestamp(foo)
  {a="1"} 0

eval instant at 2m timestamp((foo))
  {a="1"} 0

eval instant at 2m timestamp(foo or bar)
  {a="1"} 120

eval instant at 2m timestamp(sort(foo))
  {a="1"} 120
`,
  ],
  [
    'count_values without removes the value label it lists',
    `load 1m
  foo{a="1"} 1
  foo{a="2"} 2

eval instant at 0 count_values without (a, v) ("v", foo)
  {} 2

eval instant at 0 count_values without (a) ("v", foo)
  {v="1"} 1
  {v="2"} 1
`,
  ],
  [
    'a subquery starts strictly after its window start',
    `load 1m
  a{x="1"} _ 1
  b{x="1"} _ 1

eval instant at 10m count_over_time(({__name__=~"a|b"} * 1)[5m:5m])
`,
    // As a range query the neighbouring steps' windows do hold 5m, where a*1 and b*1 collide.
    { rangeModeCheck: false },
  ],
  [
    'topk with every k below 1 gives nothing before its int64 checks',
    `load 1m
  foo 1

eval instant at 0 topk(-1e19, foo)
`,
  ],
  [
    'range functions refuse label sets that became equal, even at different steps',
    `load 1m
  a_total{x="1"} 0 1 2 _ _ _ _ _ _ _ _
  b_total{x="1"} _ _ _ _ _ _ _ _ 0 1 2

eval_fail range from 0 to 10m step 1m rate({__name__=~"a_total|b_total"}[2m])
`,
  ],
  [
    'histogram_quantile never mixes the buckets of two histograms',
    `load 1m
  a_bucket{le="1"} 1
  a_bucket{le="+Inf"} 2
  b_bucket{le="1"} 5
  b_bucket{le="+Inf"} 10

eval_fail instant at 0 histogram_quantile(0.5, {__name__=~"a_bucket|b_bucket"})

eval instant at 0 histogram_quantile(0.5, a_bucket)
  {} 1
`,
  ],
  [
    '@-pinned expressions in a range query are the same at every step',
    `load 1m
  foo{a="1"} 0+1x20

eval range from 0 to 10m step 1m sum(rate(foo[5m] @ 10m))
  {} 0.016666666666666666x10

eval range from 0 to 4m step 2m foo @ 3m + foo
  {a="1"} 3 5 7
`,
  ],
];

describe('engine edge cases (Prometheus 3 semantics)', () => {
  // One argument: Jest takes a test function with more parameters than a row has for a done callback.
  it.each(CASES.map(([name, script, options]) => ({ name, script, options })))('$name', async ({ script, options }) => {
    const r = await runTestScript(script, createTestEngine(), options);
    expect(r.loadError).toBeUndefined();
    expect(r.cases.filter((c) => !c.passed).map((c) => `${c.line} ${c.expr}: ${c.reason}`)).toEqual([]);
  });
});
