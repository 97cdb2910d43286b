import { RuleFormatError, parseRuleFile, parseRuleGroup } from './rulefmt';
import { parse } from 'yaml';
import { namespacesYaml, ruleGroupYaml } from './rulefmt-yaml';

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleFormatError) return [...err.errors];
    throw err;
  }
  return [];
}

const VALID = `
name: node
interval: 30s
query_offset: 1m
limit: 10
labels:
  team: infra
rules:
  - record: job:up:sum
    expr: sum by (job) (up)
    labels:
      source: rule
  - alert: InstanceDown
    expr: up == 0
    for: 5m
    keep_firing_for: 90s
    labels:
      severity: "{{ if eq $labels.job \\"db\\" }}page{{ else }}ticket{{ end }}"
    annotations:
      summary: "{{ $labels.instance }} down ({{ $value | humanize }})"
`;

describe('parseRuleGroup', () => {
  it('reads every field of a valid group', () => {
    const g = parseRuleGroup(VALID);
    expect(g).toEqual({
      name: 'node',
      intervalMs: 30_000,
      queryOffsetMs: 60_000,
      limit: 10,
      labels: { team: 'infra' },
      rules: [
        { record: 'job:up:sum', expr: 'sum by (job) (up)', forMs: 0, keepFiringForMs: 0, labels: { source: 'rule' }, annotations: {} },
        {
          alert: 'InstanceDown',
          expr: 'up == 0',
          forMs: 300_000,
          keepFiringForMs: 90_000,
          labels: { severity: '{{ if eq $labels.job "db" }}page{{ else }}ticket{{ end }}' },
          annotations: { summary: '{{ $labels.instance }} down ({{ $value | humanize }})' },
        },
      ],
    });
  });

  it('writes YAML that reads back to the same group, with Prometheus durations', () => {
    const g = parseRuleGroup(VALID);
    const yaml = ruleGroupYaml(g);
    expect(yaml).toContain('keep_firing_for: 1m30s');
    expect(yaml.startsWith('name: node\ninterval: 30s\nquery_offset: 1m\nlimit: 10\nrules:\n')).toBe(true);
    expect(parseRuleGroup(yaml)).toEqual(g);
    expect(parse(namespacesYaml(new Map([['ns', [g]]])))).toEqual({ ns: [parse(yaml)] });
    expect(namespacesYaml(new Map())).toBe('{}\n');
  });

  it('keeps scalars as written, as yaml.v3 decodes them into strings', () => {
    const g = parseRuleGroup('name: g\nrules:\n  - record: r\n    expr: 1\n    labels:\n      a: true\n      b: 0x10\n');
    expect(g.rules[0].expr).toBe('1');
    expect(g.rules[0].labels).toEqual({ a: 'true', b: '0x10' });
  });

  it.each<[string, string, string[]]>([
    ['empty body', '', ['invalid rules configuration: rule group name must not be empty']],
    ['no name', 'interval: 15s\nrules:\n  - record: r\n    expr: up\n', ['invalid rules configuration: rule group name must not be empty']],
    ['no rules', 'name: rg\ninterval: 15s\n', ["invalid rules configuration: rule group 'rg' has no rules"]],
    ['unknown group field', 'name: g\nbogus: 1\nrules:\n  - record: r\n    expr: up\n', ['2:1: group "g": field bogus not found in type rulefmt.RuleGroup']],
    ['unknown rule field', 'name: g\nrules:\n  - record: r\n    expr: up\n    bogus: x\n', ['5:5: group "g", rule 1, "r": field bogus not found in type rulefmt.Rule']],
    ['repeated key', 'name: g\nrules:\n  - record: r\n    expr: up\n    expr: down\n', ['5:5: group "g", rule 1, "r": mapping key "expr" already defined at line 4']],
    ['bad duration', 'name: g\nrules:\n  - alert: A\n    expr: up\n    for: 5x\n', ['5:10: group "g", rule 1, "A": unknown unit "x" in duration "5x"']],
    ['bad group interval', 'name: g\ninterval: 1 minute\nrules:\n  - record: r\n    expr: up\n', ['2:11: group "g": unknown unit " minute" in duration "1 minute"']],
    ['duration units out of order', 'name: g\ninterval: 1s1m\nrules:\n  - record: r\n    expr: up\n', ['2:11: group "g": not a valid duration string: "1s1m"']],
    ['limit not an integer', 'name: g\nlimit: many\nrules:\n  - record: r\n    expr: up\n', ['2:8: group "g": cannot unmarshal !!str `many` into int']],
    ['labels not a map', 'name: g\nrules:\n  - record: r\n    expr: up\n    labels: [a]\n', ['5:13: group "g", rule 1, "r": cannot unmarshal !!seq into map[string]string']],
    ['bad PromQL', 'name: g\nrules:\n  - alert: A\n    expr: sum(up\n', ['4:11: group "g", rule 1, "A": could not parse expression: 1:7: parse error: unclosed left parenthesis']],
    ['missing expr', 'name: g\nrules:\n  - alert: A\n', ['group "g", rule 1, "A": field \'expr\' must be set in rule']],
    ['record and alert', 'name: g\nrules:\n  - alert: A\n    record: r\n    expr: up\n', ['4:13: group "g", rule 1, "A": only one of \'record\' and \'alert\' must be set']],
    ['neither record nor alert', 'name: g\nrules:\n  - expr: up\n', ['group "g", rule 1, "": one of \'record\' or \'alert\' must be set']],
    [
      'recording rule with alert fields',
      'name: g\nrules:\n  - record: r\n    expr: up\n    for: 1m\n    keep_firing_for: 1m\n    annotations:\n      a: b\n',
      [
        '3:13: group "g", rule 1, "r": invalid field \'annotations\' in recording rule',
        '3:13: group "g", rule 1, "r": invalid field \'for\' in recording rule',
        '3:13: group "g", rule 1, "r": invalid field \'keep_firing_for\' in recording rule',
      ],
    ],
    ['braces in a record name', 'name: g\nrules:\n  - record: up{job="a"}\n    expr: up\n', ['3:13: group "g", rule 1, "up{job=\\"a\\"}": braces present in the recording rule name; should it be in expr?: up{job="a"}']],
    ['__name__ label', 'name: g\nrules:\n  - record: r\n    expr: up\n    labels:\n      __name__: x\n', ['group "g", rule 1, "r": invalid label name: __name__']],
    ['bad group label', 'name: g\nlabels:\n  __name__: x\nrules:\n  - record: r\n    expr: up\n', ['group "g": invalid label name: __name__']],
    [
      'bad annotation template',
      'name: g\nrules:\n  - alert: A\n    expr: up\n    annotations:\n      summary: "{{ $value | xxx }}"\n',
      ['group "g", rule 1, "A": annotation "summary": template: __alert_A:1: function "xxx" not defined'],
    ],
    [
      'bad label template',
      'name: g\nrules:\n  - alert: A\n    expr: up\n    labels:\n      x: "{{ $label.instance }}"\n',
      ['group "g", rule 1, "A": label "x": template: __alert_A:1: undefined variable "$label"'],
    ],
    [
      'several problems at once',
      'name: g\nrules:\n  - alert: A\n    expr: up ==\n  - record: "b c{"\n    expr: up\n',
      ['4:11: group "g", rule 1, "A": could not parse expression: 1:6: parse error: unexpected end of input', '5:13: group "g", rule 2, "b c{": braces present in the recording rule name; should it be in expr?: b c{'],
    ],
  ])('rejects %s', (_name, body, want) => {
    expect(errorsOf(() => parseRuleGroup(body))).toEqual(want);
  });
});

it('reports YAML syntax errors with their line', () => {
  expect(errorsOf(() => parseRuleGroup('name: g\nrules: [\n'))[0]).toMatch(/^yaml: line 3: /);
});

describe('parseRuleFile', () => {
  it('reads every group of a file', () => {
    const groups = parseRuleFile('groups:\n  - name: a\n    rules:\n      - record: r\n        expr: up\n  - name: b\n    rules: []\n');
    expect(groups.map((g) => g.name)).toEqual(['a', 'b']);
  });

  it.each<[string, string, string[]]>([
    ['repeated group names', 'groups:\n  - name: a\n    rules: []\n  - name: a\n    rules: []\n', ['4:5: groupname: "a" is repeated in the same file']],
    ['empty group name', 'groups:\n  - rules: []\n', ['2:5: Groupname must not be empty']],
    ['unknown top-level field', 'groupz: []\n', ['1:1: field groupz not found in type rulefmt.RuleGroups']],
  ])('rejects %s', (_name, body, want) => {
    expect(errorsOf(() => parseRuleFile(body))).toEqual(want);
  });
});
