import { LabelNamer, LabelNamerOptions, buildLabelName } from './label-namer';
import { OtlpMetricKind, buildMetricName, buildUnitName } from './metric-namer';
import { NameTranslationError, TranslationStrategy } from './strategy';

// Expected values are what prometheus/otlptranslator (MetricNamer.Build, LabelNamer.Build,
// UnitNamer.Build) returns for the same input, as used by Prometheus 3's OTLP receiver.

const DEFAULT: TranslationStrategy = 'UnderscoreEscapingWithSuffixes';

describe('buildMetricName', () => {
  it.each<[string, string, string, OtlpMetricKind, TranslationStrategy, string]>([
    // [rule, name, unit, kind, strategy, expected]
    ['dots become underscores, unit s adds _seconds', 'http.server.request.duration', 's', 'histogram', DEFAULT, 'http_server_request_duration_seconds'],
    ['a monotonic sum gets _total', 'requests', '', 'monotonic_counter', DEFAULT, 'requests_total'],
    ['a total token anywhere moves to the end', 'total.requests', '', 'monotonic_counter', DEFAULT, 'requests_total'],
    ['_total is not doubled', 'requests_total', '', 'monotonic_counter', DEFAULT, 'requests_total'],
    ['a non-monotonic sum gets no _total', 'active.connections', '', 'non_monotonic_counter', DEFAULT, 'active_connections'],
    ['unit 1 on a gauge adds _ratio', 'cpu.utilization', '1', 'gauge', DEFAULT, 'cpu_utilization_ratio'],
    ['unit 1 on a counter adds no _ratio', 'items', '1', 'monotonic_counter', DEFAULT, 'items_total'],
    ['_ratio is not doubled', 'cpu_ratio', '1', 'gauge', DEFAULT, 'cpu_ratio'],
    ['By maps to bytes', 'process.memory.usage', 'By', 'non_monotonic_counter', DEFAULT, 'process_memory_usage_bytes'],
    ['MiBy maps to mebibytes', 'heap', 'MiBy', 'gauge', DEFAULT, 'heap_mebibytes'],
    ['By/s maps to bytes_per_second', 'network.io', 'By/s', 'gauge', DEFAULT, 'network_io_bytes_per_second'],
    ['ms maps to milliseconds', 'rpc.duration', 'ms', 'histogram', DEFAULT, 'rpc_duration_milliseconds'],
    ['h, d and min map to hours, days, minutes', 'uptime', 'h', 'gauge', DEFAULT, 'uptime_hours'],
    ['% maps to percent', 'disk.usage', '%', 'gauge', DEFAULT, 'disk_usage_percent'],
    ['Cel maps to celsius', 'temperature', 'Cel', 'gauge', DEFAULT, 'temperature_celsius'],
    ['a {annotation} unit is dropped', 'http.server.active_requests', '{request}', 'non_monotonic_counter', DEFAULT, 'http_server_active_requests'],
    ['a {annotation}/s unit keeps only per_second', 'packets', '{packet}/s', 'gauge', DEFAULT, 'packets_per_second'],
    ['a per unit with an annotation is dropped', 'custom_metric', 'By/{custom}', 'gauge', DEFAULT, 'custom_metric_bytes'],
    ['a per unit outside the table is used as is', 'throughput', 'By/request', 'gauge', DEFAULT, 'throughput_bytes_per_request'],
    ['a counter gets unit words before _total', 'http.requests', '1/s', 'monotonic_counter', DEFAULT, 'http_requests_per_second_total'],
    ['an unknown unit is kept, escaped', 'queue.depth', 'custom unit', 'gauge', DEFAULT, 'queue_depth_custom_unit'],
    ['unit spaces are trimmed', 'latency', ' s ', 'gauge', DEFAULT, 'latency_seconds'],
    ['a unit word already in the name is not repeated', 'request.duration.seconds', 's', 'histogram', DEFAULT, 'request_duration_seconds'],
    ['the per suffix is compared as one token (foo_per_second gets it again)', 'foo_per_second', '1/s', 'gauge', DEFAULT, 'foo_per_second_per_second'],
    ['runs of invalid characters collapse to one _', 'foo..bar--baz', '', 'gauge', DEFAULT, 'foo_bar_baz'],
    ['runs of underscores collapse to one _', 'foo__bar___baz', '', 'gauge', DEFAULT, 'foo_bar_baz'],
    ['leading and trailing separators are dropped', '_foo.bar_', '', 'gauge', DEFAULT, 'foo_bar'],
    ['colons are kept', 'ns:metric.name', '', 'gauge', DEFAULT, 'ns:metric_name'],
    ['a leading digit gets a _ prefix', '2xx.responses', '', 'monotonic_counter', DEFAULT, '_2xx_responses_total'],
    ['a non-ASCII character is a separator', 'température.cpu', '', 'gauge', DEFAULT, 'temp_rature_cpu'],
    ['a summary gets the unit but no _total', 'rpc.latency', 's', 'summary', DEFAULT, 'rpc_latency_seconds'],
    ['an exponential histogram is named like a histogram', 'request.size', 'By', 'exponential_histogram', DEFAULT, 'request_size_bytes'],
    // UnderscoreEscapingWithoutSuffixes
    ['without suffixes: escaped, no unit word', 'http.server.duration', 's', 'histogram', 'UnderscoreEscapingWithoutSuffixes', 'http_server_duration'],
    ['without suffixes: no _total', 'requests', '', 'monotonic_counter', 'UnderscoreEscapingWithoutSuffixes', 'requests'],
    ['without suffixes: underscore runs are kept', 'foo__bar', '', 'gauge', 'UnderscoreEscapingWithoutSuffixes', 'foo__bar'],
    ['without suffixes: invalid runs collapse', 'metric@@##$$name', '', 'gauge', 'UnderscoreEscapingWithoutSuffixes', 'metric_name'],
    ['without suffixes: leading digit gets _', '123metric', '', 'gauge', 'UnderscoreEscapingWithoutSuffixes', '_123metric'],
    // NoUTF8EscapingWithSuffixes
    ['UTF-8 with suffixes: name kept, unit appended', 'http.server.duration', 's', 'histogram', 'NoUTF8EscapingWithSuffixes', 'http.server.duration_seconds'],
    ['UTF-8 with suffixes: .total trimmed with its delimiter, _total appended', 'requests.total', '', 'monotonic_counter', 'NoUTF8EscapingWithSuffixes', 'requests_total'],
    ['UTF-8 with suffixes: order is unit, per unit, total', 'io', 'By/s', 'monotonic_counter', 'NoUTF8EscapingWithSuffixes', 'io_bytes_per_second_total'],
    ['UTF-8 with suffixes: gauge with unit 1 gets _ratio', 'cpu.utilization', '1', 'gauge', 'NoUTF8EscapingWithSuffixes', 'cpu.utilization_ratio'],
    ['UTF-8 with suffixes: non-ASCII kept', 'requêsts', '', 'monotonic_counter', 'NoUTF8EscapingWithSuffixes', 'requêsts_total'],
    // NoTranslation
    ['no translation: name as sent', 'http.server.duration', 's', 'histogram', 'NoTranslation', 'http.server.duration'],
  ])('%s: %s [%s] %s (%s) -> %s', (_rule, name, unit, kind, strategy, expected) => {
    expect(buildMetricName(name, unit, kind, strategy)).toBe(expected);
  });

  it.each<[string, string, string, OtlpMetricKind, string]>([
    ['the namespace becomes the first token', 'requests', '1/s', 'monotonic_counter', 'app_requests_per_second_total'],
    ['no _ prefix for a leading digit once a namespace leads', '123_requests', '', 'monotonic_counter', 'app_123_requests_total'],
  ])('%s', (_rule, name, unit, kind, expected) => {
    expect(buildMetricName(name, unit, kind, DEFAULT, 'app')).toBe(expected);
  });

  it.each<[string, string, TranslationStrategy, RegExp]>([
    ['an empty name', '', DEFAULT, /resulted in empty name/],
    ['a name of only invalid characters', '@#$%', DEFAULT, /resulted in empty name/],
    ['a name of only dots', '...', DEFAULT, /resulted in empty name/],
    ['an empty name under NoTranslation', '', 'NoTranslation', /is empty/],
  ])('rejects %s', (_rule, name, strategy, message) => {
    expect(() => buildMetricName(name, '', 'gauge', strategy)).toThrow(NameTranslationError);
    expect(() => buildMetricName(name, '', 'gauge', strategy)).toThrow(message);
  });
});

describe('buildUnitName (the metadata unit)', () => {
  it.each([
    ['s', 'seconds'],
    ['By/s', 'bytes_per_second'],
    ['1', ''],
    ['{request}', ''],
    ['{packet}/s', 'per_second'],
    ['unit@with#special/chars', 'unit_with_special_per_chars'],
  ])('%s -> %s', (unit, expected) => {
    expect(buildUnitName(unit)).toBe(expected);
  });
});

describe('buildLabelName', () => {
  const PROM_DEFAULT: LabelNamerOptions = { utf8Allowed: false, underscoreLabelSanitization: true, preserveMultipleUnderscores: true };
  const COLLAPSE: LabelNamerOptions = { ...PROM_DEFAULT, preserveMultipleUnderscores: false };
  const NO_KEY: LabelNamerOptions = { ...PROM_DEFAULT, underscoreLabelSanitization: false };
  const UTF8: LabelNamerOptions = { ...PROM_DEFAULT, utf8Allowed: true };

  it.each<[string, string, LabelNamerOptions, string]>([
    ['dots become underscores', 'http.method', PROM_DEFAULT, 'http_method'],
    ['digits inside are kept', 'k8s.pod.name', PROM_DEFAULT, 'k8s_pod_name'],
    ['dashes become underscores', 'host-name', PROM_DEFAULT, 'host_name'],
    ['case is preserved', 'Host.Name', PROM_DEFAULT, 'Host_Name'],
    ['a leading digit gets key_', '0xyz', PROM_DEFAULT, 'key_0xyz'],
    ['a leading digit after escaping gets key_', '1.2.3', PROM_DEFAULT, 'key_1_2_3'],
    ['a single digit gets key_', '9', PROM_DEFAULT, 'key_9'],
    ['a single leading _ gets key (underscore sanitization)', '_private', PROM_DEFAULT, 'key_private'],
    ['a lone _ gets key', '_', PROM_DEFAULT, 'key_'],
    ['a double leading _ is reserved and kept', '__reserved', PROM_DEFAULT, '__reserved'],
    ['a __x__ name is kept', '__meta__', PROM_DEFAULT, '__meta__'],
    ['underscore runs are kept by default', 'a..b', PROM_DEFAULT, 'a__b'],
    ['each non-ASCII code point is one _', 'ключ.name', PROM_DEFAULT, '_____name'],
    ['an astral code point is one _', 'emoji😀x', PROM_DEFAULT, 'emoji_x'],
    ['a lone non-ASCII character becomes _ and then key_', 'é', PROM_DEFAULT, 'key_'],
    ['underscore runs collapse when not preserved', 'a___b', COLLAPSE, 'a_b'],
    ['invalid runs collapse when not preserved', 'a..b', COLLAPSE, 'a_b'],
    ['a reserved __x__ keeps its underscores when collapsing', '__a..b__', COLLAPSE, '__a_b__'],
    ['without underscore sanitization _x stays', '_x', NO_KEY, '_x'],
    ['UTF-8 strategies keep the name', 'http.method', UTF8, 'http.method'],
    ['UTF-8 strategies keep non-ASCII names', 'ключ', UTF8, 'ключ'],
  ])('%s: %s -> %s', (_rule, label, opts, expected) => {
    expect(buildLabelName(label, opts)).toBe(expected);
  });

  it.each<[string, string, LabelNamerOptions, RegExp]>([
    ['an empty name', '', PROM_DEFAULT, /label name is empty/],
    ['a name escaping to __', '__', PROM_DEFAULT, /resulted in invalid name "__"/],
    ['a name escaping to ___', '...', PROM_DEFAULT, /resulted in invalid name "___"/],
    ['a lone non-ASCII character', 'é', NO_KEY, /resulted in invalid name "_"/],
    ['only underscores under UTF-8', '__', UTF8, /contains only underscores/],
  ])('rejects %s', (_rule, label, opts, message) => {
    expect(() => buildLabelName(label, opts)).toThrow(message);
  });

  it('LabelNamer caches results and errors per key', () => {
    const namer = new LabelNamer(PROM_DEFAULT);
    expect(namer.build('a.b')).toBe('a_b');
    expect(namer.build('a.b')).toBe('a_b');
    expect(() => namer.build('__')).toThrow(NameTranslationError);
    expect(() => namer.build('__')).toThrow(NameTranslationError);
  });
});
