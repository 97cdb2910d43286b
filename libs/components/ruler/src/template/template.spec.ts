import type { Labels } from '@panoptes/block-formats';
import { Template, TemplateError, alertTemplateData, alertTemplateParseError, expandAlertTemplate, parseAlertTemplate } from './template';
import { GoInt, GoSlice, type GoValue } from '@panoptes/gotemplate';

const EXTERNAL_URL = 'http://testhost:9090/path/prefix';

type QueryResult = { labels: Labels; v: number }[];

async function expand(text: string, data: GoValue = null, queryResult: QueryResult = []): Promise<string> {
  let tmpl: Template;
  try {
    tmpl = Template.parse('test', text);
  } catch (err) {
    if (err instanceof TemplateError) return `error parsing template test: ${err.message}`;
    throw err;
  }
  try {
    return await tmpl.expand(data, { timestampMs: 0, externalURL: EXTERNAL_URL, query: async () => queryResult });
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
}

const floats = (...v: number[]): GoSlice => new GoSlice('[]float64', v);
const ints = (...v: number[]): GoSlice => new GoSlice('[]int64', v.map((x) => new GoInt(x)));
const strings = (...v: string[]): GoSlice => new GoSlice('[]string', v);
const metric = (instance: string, v: number, name = 'metric'): { labels: Labels; v: number } => ({
  labels: [
    ['__name__', name],
    ['instance', instance],
  ],
  v,
});

// Prometheus's own template tests (template/template_test.go), text mode.
describe('Template expansion matches Prometheus', () => {
  it.each<[string, string, GoValue, QueryResult, string]>([
    ['plain text', 'plain text', null, [], 'plain text'],
    ['simple value', '{{ 1 }}', null, [], '1'],
    ['non-ASCII space', '{{\u00a0}}', null, [], 'error parsing template test: template: test:1: unrecognized character in action: U+00A0'],
    ['no HTML escaping in text mode', '{{ "<b>" }}', null, [], '<b>'],
    ['arguments to defined templates', '{{define "x"}}{{.arg0}} {{.arg1}}{{end}}{{template "x" (args 1 "2")}}', null, [], '1 2'],
    ['query value', '{{ query "1.5" | first | value }}', null, [{ labels: [], v: 1.5 }], '1.5'],
    ['query value of a metric', `{{ query "metric{instance='a'}" | first | value }}`, null, [metric('a', 11)], '11'],
    ['query label', `{{ query "metric{instance='a'}" | first | label "instance" }}`, null, [metric('a', 11)], 'a'],
    ['strvalue', `{{ query "metric{__value__='a'}" | first | strvalue }}`, null, [{ labels: [['__value__', 'a']], v: 11 }], 'a'],
    ['missing label with label()', `{{ query "metric{instance='a'}" | first | label "foo" }}`, null, [metric('a', 11)], ''],
    ['missing label by field', '{{ $x := query "metric" | first }}{{ $x.Labels.foo }}', null, [metric('a', 11)], ''],
    ['range and sortByLabel', '{{ range query "metric" | sortByLabel "instance" }}{{.Labels.instance}}:{{.Value}}: {{end}}', null, [metric('b', 21), metric('a', 11)], 'a:11: b:21: '],
    ['stripPort hostname', '{{ "foo.example.com" | stripPort }}', null, [], 'foo.example.com'],
    ['stripPort hostname:port', '{{ "foo.example.com:12345" | stripPort }}', null, [], 'foo.example.com'],
    ['stripPort IPv4', '{{ "192.0.2.1" | stripPort }}', null, [], '192.0.2.1'],
    ['stripPort IPv4:port', '{{ "192.0.2.1:12345" | stripPort }}', null, [], '192.0.2.1'],
    ['stripPort IPv6', '{{ "2001:0DB8::1" | stripPort }}', null, [], '2001:0DB8::1'],
    ['stripPort [IPv6]:port', '{{ "[2001:0DB8::1]:12345" | stripPort }}', null, [], '2001:0DB8::1'],
    ['stripPort unsplittable', '{{ "[2001:0DB8::1]::12345" | stripPort }}', null, [], '[2001:0DB8::1]::12345'],
    ['missing field on nil data', '{{ .Foo }}', null, [], '<no value>'],
    ['unclosed action', '{{', null, [], 'error parsing template test: template: test:1: unclosed action'],
    ['error in function', '{{ query "missing" | first }}', null, [], 'error executing template test: template: test:1:21: executing "test" at <first>: error calling first: first() called on vector with no elements'],
    ['field of a query result', '{{ (query "missing").banana }}', null, [], `error executing template test: template: test:1:10: executing "test" at <"missing">: can't evaluate field banana in type template.queryResult`],
    ['reReplaceAll', '{{ reReplaceAll "(a)b" "x$1" "ab" }}', null, [], 'xa'],
    ['humanize floats', '{{ range . }}{{ humanize . }}:{{ end }}', floats(0, 1, 1234567, 0.12), [], '0:1:1.235M:120m:'],
    ['humanize strings', '{{ range . }}{{ humanize . }}:{{ end }}', strings('0.0', '1.0', '1234567.0', '.12'), [], '0:1:1.235M:120m:'],
    ['humanize bad string', '{{ humanize "one" }}', null, [], 'error executing template test: template: test:1:3: executing "test" at <humanize "one">: error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax'],
    ['humanize ints', '{{ range . }}{{ humanize . }}:{{ end }}', ints(0, -1, 1, 1234567, 2 ** 63), [], '0:-1:1:1.235M:9.223E:'],
    ['humanize1024 floats', '{{ range . }}{{ humanize1024 . }}:{{ end }}', floats(0, 1, 1048576, 0.12), [], '0:1:1Mi:0.12:'],
    ['humanize1024 ints', '{{ range . }}{{ humanize1024 . }}:{{ end }}', ints(0, -1, 1, 1234567, 2 ** 63), [], '0:-1:1:1.177Mi:8Ei:'],
    [
      'humanizeDuration seconds',
      '{{ range . }}{{ humanizeDuration . }}:{{ end }}',
      floats(0, 1, 60, 3600, 86400, 86400 + 3600, -(86400 * 2 + 3600 * 3 + 60 * 4 + 5), 899.99),
      [],
      '0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:',
    ],
    ['humanizeDuration fractions', '{{ range . }}{{ humanizeDuration . }}:{{ end }}', floats(0.1, 0.0001, 0.12345, 60.1, 60.5, 1.2345, 12.345), [], '100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:'],
    ['humanizeDuration ints', '{{ range . }}{{ humanizeDuration . }}:{{ end }}', ints(0, -1, 1, 1234567), [], '0s:-1s:1s:14d 6h 56m 7s:'],
    [
      'humanize* of Inf and NaN',
      '{{ range . }}{{ humanize . }}:{{ humanize1024 . }}:{{ humanizeDuration . }}:{{humanizeTimestamp .}}:{{ end }}',
      strings('+Inf', '-Inf', 'NaN'),
      [],
      '+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:',
    ],
    ['humanizePercentage', '{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 | humanizePercentage }}:{{ 1.23456 | humanizePercentage }}', null, [], '-22.22%:0%:12.35%:123.5%'],
    ['humanizePercentage ints', '{{ range . }}{{ humanizePercentage . }}:{{ end }}', ints(0, -1, 1, 1234567, 2 ** 63), [], '0%:-100%:100%:1.235e+08%:9.223e+20%:'],
    ['humanizePercentage bad string', '{{ "one" | humanizePercentage }}', null, [], 'error executing template test: template: test:1:11: executing "test" at <humanizePercentage>: error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax'],
    [
      'humanizeTimestamp ints',
      '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}',
      ints(0, -1, 1, 1234567, 9223372036),
      [],
      '1970-01-01 00:00:00 +0000 UTC:1969-12-31 23:59:59 +0000 UTC:1970-01-01 00:00:01 +0000 UTC:1970-01-15 06:56:07 +0000 UTC:2262-04-11 23:47:16 +0000 UTC:',
    ],
    [
      'humanizeTimestamp overflow',
      '{{ range . }}{{ humanizeTimestamp . }}:{{ end }}',
      ints(-(2 ** 63)),
      [],
      'error executing template test: template: test:1:16: executing "test" at <humanizeTimestamp .>: error calling humanizeTimestamp: -9.223372036854776e+18 cannot be represented as a nanoseconds timestamp since it overflows int64',
    ],
    ['humanizeTimestamp float', '{{ 1435065584.128 | humanizeTimestamp }}', null, [], '2015-06-23 13:19:44.128 +0000 UTC'],
    ['humanizeTimestamp string', '{{ "1435065584.128" | humanizeTimestamp }}', null, [], '2015-06-23 13:19:44.128 +0000 UTC'],
    ['toTime and Format', '{{ (1435065584.128 | toTime).Format "2006" }}', null, [], '2015'],
    ['toTime of a string', '{{ ("1435065584.128" | toTime).Format "2006" }}', null, [], '2015'],
    ['title', '{{ "aa bb CC" | title }}', null, [], 'Aa Bb CC'],
    ['toUpper', '{{ "aa bb CC" | toUpper }}', null, [], 'AA BB CC'],
    ['toLower', '{{ "aA bB CC" | toLower }}', null, [], 'aa bb cc'],
    ['match', '{{ match "a+" "aa" }} {{ match "a+" "b" }}', null, [], 'true false'],
    ['graphLink', '{{ graphLink "up" }}', null, [], '/graph?g0.expr=up&g0.tab=0'],
    ['tableLink', '{{ tableLink "up" }}', null, [], '/graph?g0.expr=up&g0.tab=1'],
    ['pathPrefix', '{{ pathPrefix }}', null, [], '/path/prefix'],
    ['externalURL', '{{ externalURL }}', null, [], EXTERNAL_URL],
    ['parseDuration', '{{ printf "%0.2f" (parseDuration "1h2m10ms") }}', null, [], '3720.01'],
    ['stripDomain hostname', '{{ "foo.example.com" | stripDomain }}', null, [], 'foo'],
    ['stripDomain hostname:port', '{{ "foo.example.com:12345" | stripDomain }}', null, [], 'foo:12345'],
    ['stripDomain IPv4', '{{ "192.0.2.1" | stripDomain }}', null, [], '192.0.2.1'],
    ['stripDomain IPv4:port', '{{ "192.0.2.1:12345" | stripDomain }}', null, [], '192.0.2.1:12345'],
    ['stripDomain IPv6', '{{ "2001:0DB8::1" | stripDomain }}', null, [], '2001:0DB8::1'],
    ['stripDomain [IPv6]:port', '{{ "[2001:0DB8::1]:12345" | stripDomain }}', null, [], '[2001:0DB8::1]:12345'],
    ['stripDomain unsplittable', '{{ "[2001:0DB8::1]::12345" | stripDomain }}', null, [], '[2001:0DB8::1]::12345'],
  ])('%s', async (_name, text, data, queryResult, want) => {
    expect(await expand(text, data, queryResult)).toBe(want);
  });
});

describe('Go text/template semantics', () => {
  it.each<[string, string, string]>([
    ['if / else', '{{ if true }}a{{ else }}b{{ end }}', 'a'],
    ['else if chain', '{{ if false }}a{{ else if eq 1 2 }}b{{ else if eq 2 2 }}c{{ else }}d{{ end }}', 'c'],
    ['with sets dot', '{{ with "x" }}[{{ . }}]{{ else }}none{{ end }}', '[x]'],
    ['with on empty takes else', '{{ with "" }}[{{ . }}]{{ else }}none{{ end }}', 'none'],
    ['else with', '{{ with "" }}a{{ else with "b" }}{{ . }}{{ end }}', 'b'],
    ['range with index', '{{ range $i, $v := args "a" "b" }}{{ $i }}={{ $v }};{{ end }}', 'arg0=a;arg1=b;'],
    ['range else on empty', '{{ range query "x" }}x{{ else }}empty{{ end }}', 'empty'],
    ['range over an int', '{{ range 3 }}{{ . }}{{ end }}', '012'],
    ['break and continue', '{{ range $i, $v := args 1 2 3 4 }}{{ if eq $v 2 }}{{ continue }}{{ end }}{{ if eq $v 4 }}{{ break }}{{ end }}{{ $v }}{{ end }}', '13'],
    ['variables and assignment', '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', '2'],
    ['variable scope ends at end', '{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }}{{ end }}{{ $x }}', 'innerouter'],
    ['and / or return operands', '{{ and 1 0 2 }} {{ or 0 "" "x" }} {{ and 1 2 }}', '0 x 2'],
    ['not', '{{ not 0 }} {{ not "a" }}', 'true false'],
    ['comparisons', '{{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 2.5 }} {{ ge "b" "a" }} {{ ne "a" "b" }} {{ eq 1 2 3 1 }}', 'true true false true true true'],
    ['int vs float comparison fails', '{{ gt 1.5 1 }}', 'error executing template test: template: test:1:3: executing "test" at <gt 1.5 1>: error calling gt: incompatible types for comparison'],
    ['len of string is bytes', '{{ len "héllo" }}', '6'],
    ['index of map and slice', '{{ index (args "a" "b") "arg1" }} {{ index (args "x") "nope" }}', 'b <no value>'],
    ['slice of string', '{{ slice "abcdef" 1 3 }}', 'bc'],
    ['print spaces between non-strings', '{{ print 1 2 "a" "b" 3 }}', '1 2ab3'],
    ['println', '{{ println "a" 1 }}', 'a 1\n'],
    ['html escapes', '{{ html "<a href=\'x\'>&</a>" }}', '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;'],
    ['urlquery', '{{ urlquery "a b&c=d/é" }}', 'a+b%26c%3Dd%2F%C3%A9'],
    ['js escapes', '{{ js "a\'b<" }}', "a\\'b\\u003C"],
    ['trim markers', 'a  {{- "b" -}}  c', 'abc'],
    ['comments', 'a{{/* hidden */}}b{{- /* trimmed */ -}} c', 'abc'],
    ['raw strings', '{{ `a\\n` }}', 'a\\n'],
    ['char constants are ints', "{{ printf \"%c%d\" 'x' 'x' }}", 'x120'],
    ['hex ints', '{{ 0x1F }} {{ 1e3 }} {{ 1.0 }}', '31 1000 1'],
    ['pipelines append the final argument', '{{ "b" | printf "%s-%s" "a" }}', 'a-b'],
    ['parenthesised pipelines', '{{ printf "%s" (printf "%d" 7) }}', '7'],
    ['wrong argument count', '{{ toUpper "a" "b" }}', 'error executing template test: template: test:1:3: executing "test" at <toUpper>: wrong number of args for toUpper: want 1 got 2'],
    ['wrong argument type', '{{ toUpper 1 }}', 'error executing template test: template: test:1:11: executing "test" at <1>: expected string; found 1'],
    ['wrong value type', '{{ 1.5 | toUpper }}', 'error executing template test: template: test:1:9: executing "test" at <toUpper>: wrong type for value; expected string; got float64'],
    ['unknown function', '{{ nope 1 }}', 'error parsing template test: template: test:1: function "nope" not defined'],
    ['undefined variable', '{{ $nope }}', 'error parsing template test: template: test:1: undefined variable "$nope"'],
    ['missing end', '{{ if true }}a', 'error parsing template test: template: test:1: unexpected EOF'],
    ['stray end', 'a{{ end }}', 'error parsing template test: template: test:1: unexpected {{end}}'],
    ['break outside range', '{{ break }}', 'error parsing template test: template: test:1: {{break}} outside {{range}}'],
    ['unterminated string', '{{ "abc }}', 'error parsing template test: template: test:1: unterminated quoted string'],
    ['parse error line numbers', 'a\nb\n{{ nope }}', 'error parsing template test: template: test:3: function "nope" not defined'],
    ['exec error line and column', 'a\n  {{ first (query "x") }}', 'error executing template test: template: test:2:5: executing "test" at <first (query "x")>: error calling first: first() called on vector with no elements'],
    ['range over a string fails', '{{ range "ab" }}{{ end }}', `error executing template test: template: test:1:9: executing "test" at <"ab">: range can't iterate over ab`],
    ['nil is not a command', '{{ nil }}', 'error executing template test: template: test:1:3: executing "test" at <nil>: nil is not a command'],
    ['missing template', '{{ template "nope" }}', 'error executing template test: template: test:1:12: executing "test" at <{{template "nope"}}>: template "nope" not defined'],
    ['reReplaceAll named groups and $$', '{{ reReplaceAll "(?P<h>[a-z]+):(\\\\d+)" "${h}-$2$$" "web:80" }}', 'web-80$'],
    ['reReplaceAll skips the empty match after a match', '{{ reReplaceAll "a*" "x" "baaac" }}', 'xbxcx'],
    ['reReplaceAll $1x is a named group', '{{ reReplaceAll "(a)" "$1x" "a" }}', ''],
    ['args builds a map', '{{ $a := args 1 "s" }}{{ $a.arg0 }}/{{ $a.arg1 }}', '1/s'],
    ['safeHtml prints its text', '{{ "<b>" | safeHtml }}', '<b>'],
    ['now is the evaluation time in seconds', '{{ now }}', '0'],
    ['title keeps the rest of each word', '{{ title "it\'s a dog-eat-dog world_wide" }}', "It's A Dog-Eat-Dog World_wide"],
  ])('%s', async (_name, text, want) => {
    expect(await expand(text)).toBe(want);
  });
});

describe('printf follows Go fmt', () => {
  it.each<[string, string, string]>([
    ['%.2f rounds half to even on the exact value', '{{ printf "%.2f %.2f %.1f" 2.675 1.005 0.25 }}', '2.67 1.00 0.2'],
    ['%d of an int', '{{ printf "%d|%5d|%-5d|%05d|%+d" 42 42 42 42 42 }}', '42|   42|42   |00042|+42'],
    ['%d of a float is a bad verb', '{{ printf "%d" 1.5 }}', '%!d(float64=1.5)'],
    ['%s of a number is a bad verb', '{{ printf "%s" 1 }}', '%!s(int=1)'],
    ['%v', '{{ printf "%v %v %v %v" 1 1.5 "s" true }}', '1 1.5 s true'],
    ['%v of large floats uses exponents', '{{ printf "%v %v" 1e6 123456.5 }}', '1e+06 123456.5'],
    ['%q', '{{ printf "%q" "a\\"b\\n" }}', '"a\\"b\\n"'],
    ['%e and %g', '{{ printf "%e|%.3e|%g|%.3g|%G" 1234.5678 1234.5678 0.00001234 1234.5678 1e-10 }}', '1.234568e+03|1.235e+03|1.234e-05|1.23e+03|1E-10'],
    ['%x', '{{ printf "%x|%X|%#x|%x" 255 255 255 "hi" }}', 'ff|FF|0xff|6869'],
    ['%t and %%', '{{ printf "%t %%" true }}', 'true %'],
    ['width and precision of strings', '{{ printf "[%6s][%-6s][%.2s]" "abc" "abc" "abc" }}', '[   abc][abc   ][ab]'],
    ['missing and extra arguments', '{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 }}', '1 %!d(MISSING)|1%!(EXTRA int=2)'],
    ['%f of a string is a bad verb', '{{ printf "%.2f" "1" }}', '%!f(string=1)'],
    ['zeros', '{{ printf "%.4g %.4g %f" 0.0 -0.0 0.0 }}', '0 -0 0.000000'],
  ])('%s', async (_name, text, want) => {
    expect(await expand(text)).toBe(want);
  });
});

it('prints Inf and NaN as Go does', async () => {
  const text = '{{ range . }}{{ printf "%.2f|%v|%5.1f|%+.1e;" . . . . }}{{ end }}';
  expect(await expand(text, floats(Infinity, -Infinity, NaN))).toBe('+Inf|+Inf| +Inf|+Inf;-Inf|-Inf| -Inf|-Inf;NaN|NaN|  NaN|+NaN;');
});

describe('alert templates', () => {
  const data = alertTemplateData(
    [
      ['instance', 'host1.example.com:9100'],
      ['job', 'node'],
    ],
    [['cluster', 'eu1']],
    'http://prom:9090',
    1234.5678,
  );
  const opts = { timestampMs: 1_700_000_000_000, externalURL: 'http://prom:9090' };

  it.each<[string, string, string]>([
    ['$labels', '{{ $labels.instance }} of {{ $labels.job }}', 'host1.example.com:9100 of node'],
    ['missing label is empty', '[{{ $labels.nope }}]', '[]'],
    ['$value', '{{ $value }}', '1234.5678'],
    ['$externalLabels and $externalURL', '{{ $externalLabels.cluster }} {{ $externalURL }}', 'eu1 http://prom:9090'],
    ['the data itself', '{{ .Labels.job }} {{ .Value }}', 'node 1234.5678'],
    ['humanize in a pipeline', '{{ $value | humanize }}', '1.235k'],
    ['printf of $value', '{{ printf "%.2f" $value }}', '1234.57'],
    ['comparing $value with an int fails, as in Prometheus', '{{ if gt $value 80 }}high{{ end }}', '<error expanding template: error executing template __alert_Test: template: __alert_Test:1:118: executing "__alert_Test" at <gt $value 80>: error calling gt: incompatible types for comparison>'],
    ['comparing $value with a float', '{{ if gt $value 80.0 }}high{{ end }}', 'high'],
    ['stripPort of the instance', '{{ $labels.instance | stripPort | stripDomain }}', 'host1'],
    ['now', '{{ now }}', '1.7e+09'],
  ])('%s', async (_name, text, want) => {
    const { text: out } = await expandAlertTemplate(parseAlertTemplate('Test', text), data, opts);
    expect(out).toBe(want);
  });

  it('reports parse errors the way rule validation shows them', () => {
    expect(alertTemplateParseError('Test', '{{ $label.instance }}')).toBe('template: __alert_Test:1: undefined variable "$label"');
    expect(alertTemplateParseError('Test', '{{ $value | xxx }}')).toBe('template: __alert_Test:1: function "xxx" not defined');
    expect(alertTemplateParseError('Test', 'fine {{ $value }}')).toBeUndefined();
  });
});
